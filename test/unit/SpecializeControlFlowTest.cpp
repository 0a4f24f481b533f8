//===- test/unit/SpecializeControlFlowTest.cpp - The pass's C++ API -------===//

#include "ir/Error.h"
#include "passes/Cleanup.h"
#include "passes/SpecializeControlFlow.h"

#include "GraphTestSupport.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/csrc/jit/testing/file_check.h>
#include <torch/torch.h>

using namespace torch::jit;

namespace {

using s2t::unit::parseGraph;
using s2t::unit::runGraph;


const char *kDataBranch = R"IR(
graph(%x : Tensor):
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %s : Tensor = aten::sum(%x, %none)
  %gt : Tensor = aten::gt(%s, %zero)
  %c : bool = aten::Bool(%gt)
  %y : Tensor = prim::If(%c)
    block0():
      %a : Tensor = aten::add(%x, %one, %one)
      -> (%a)
    block1():
      %b : Tensor = aten::sub(%x, %one, %one)
      -> (%b)
  return (%y)
)IR";

TEST(SpecializeControlFlowTest, DecidesDataBranchAndAgreesWithInterpreter) {
  auto graph = parseGraph(kDataBranch);
  for (float sample : {3.0f, -3.0f}) {
    at::Tensor x = torch::tensor({sample, 1.0f});
    s2t::SpecializeResult result = s2t::specializeControlFlow(*graph, {x});
    s2t::cleanupFlatGraph(result.graph);
    torch::jit::testing::FileCheck()
        .check_not("prim::If")
        ->check(sample > 0 ? "aten::add" : "aten::sub")
        ->run(*result.graph);
    ASSERT_EQ(result.decisions.size(), 1u);
    EXPECT_EQ(result.decisions[0].category, s2t::DecisionCategory::Data);
    EXPECT_EQ(result.decisions[0].outcome, sample > 0 ? 0 : 1);
    auto expected = runGraph(graph, {x});
    auto actual = runGraph(result.graph, {x});
    EXPECT_TRUE(torch::equal(actual[0].toTensor(), expected[0].toTensor()));
  }
}

TEST(SpecializeControlFlowTest, UnrollsLoopCountedByScalarArgument) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor, %n : int):
  %true : bool = prim::Constant[value=1]()
  %one : int = prim::Constant[value=1]()
  %y : Tensor = prim::Loop(%n, %true, %x)
    block0(%i : int, %acc : Tensor):
      %next : Tensor = aten::add(%acc, %i, %one)
      -> (%true, %next)
  return (%y)
)IR");
  at::Tensor x = torch::zeros({2});
  s2t::SpecializeResult result =
      s2t::specializeControlFlow(*graph, {x, c10::IValue(int64_t(4))});
  s2t::cleanupFlatGraph(result.graph);
  torch::jit::testing::FileCheck()
      .check_not("prim::Loop")
      ->check_count("aten::add", 4, /*exactly=*/true)
      ->run(*result.graph);
  EXPECT_EQ(result.iterationsUnrolled, 4);
  ASSERT_EQ(result.decisions.size(), 1u);
  EXPECT_EQ(result.decisions[0].category, s2t::DecisionCategory::Shape);
  EXPECT_EQ(result.decisions[0].outcome, 4);
}

TEST(SpecializeControlFlowTest, RunawayLoopIsAnErrorNamingTheLimit) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor):
  %true : bool = prim::Constant[value=1]()
  %max : int = prim::Constant[value=9223372036854775807]()
  %y : Tensor = prim::Loop(%max, %true, %x)
    block0(%i : int, %acc : Tensor):
      -> (%true, %acc)
  return (%y)
)IR");
  s2t::SpecializeOptions options;
  options.maxUnroll = 50;
  try {
    s2t::specializeControlFlow(*graph, {torch::zeros({1})}, options);
    FAIL() << "expected an error";
  } catch (const s2t::Error &e) {
    // The library names the limit by its neutral key; s2t-opt words it as
    // its flag.
    EXPECT_NE(std::string(e.what()).find("max_unroll=50"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("--max-unroll"), std::string::npos)
        << e.what();
    EXPECT_NE(e.message(s2t::flagSpelling).find("--max-unroll=50"),
              std::string::npos)
        << e.message(s2t::flagSpelling);
    EXPECT_EQ(e.exitCode(), 1);
  }
}

TEST(SpecializeControlFlowTest, InPlaceEntryPointReplacesTheGraph) {
  auto graph = parseGraph(kDataBranch);
  auto original = graph;
  EXPECT_TRUE(s2t::SpecializeControlFlow(graph, {torch::ones({2})}));
  EXPECT_NE(graph.get(), original.get());
  torch::jit::testing::FileCheck().check_not("prim::If")->run(*graph);
}

} // namespace

namespace {

TEST(SpecializeControlFlowTest, ShapeDecisionsRunNoKernel) {
  // relu and conv-free arithmetic before a branch on the rank: decided from
  // metadata alone.
  auto graph = parseGraph(R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : int = prim::Constant[value=2]()
  %r : Tensor = aten::relu(%x)
  %m : Tensor = aten::mul(%r, %two)
  %d : int = aten::dim(%m)
  %c : bool = aten::eq(%d, %two)
  %y : Tensor = prim::If(%c)
    block0():
      %a : Tensor = aten::add(%m, %one, %one)
      -> (%a)
    block1():
      -> (%m)
  return (%y)
)IR");
  s2t::SpecializeResult result =
      s2t::specializeControlFlow(*graph, {torch::randn({2, 3})});
  EXPECT_EQ(result.kernelsRun, 0);
  ASSERT_EQ(result.decisions.size(), 1u);
  EXPECT_EQ(result.decisions[0].category, s2t::DecisionCategory::Shape);
  EXPECT_EQ(result.decisions[0].outcome, 0);
}

/// A write through a view of a temporary %y (mvit's
/// `attn[:, :, 1:, 1:] += rel_pos`) between `before` and `after`, which
/// define %r, the result.
std::string writeThroughView(const std::string &before,
                             const std::string &after) {
  return R"IR(
graph(%x : Tensor):
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %end : int = prim::Constant[value=9223372036854775807]()
  %y : Tensor = aten::mul(%x, %one)
)IR" + before + R"IR(
  %s : Tensor = aten::slice(%y, %zero, %one, %end, %one)
  %w : Tensor = aten::add_(%s, %one, %one)
)IR" + after + R"IR(
  return (%r)
)IR";
}

TEST(SpecializeControlFlowTest, WritesTheFlatGraphKeepsAreNotRun) {
  // Kept: %y is read after the write, so the flat graph keeps it and meets
  // its failure when it runs; nothing needs it run now.
  auto kept =
      parseGraph(writeThroughView("", "  %r : Tensor = aten::relu(%y)"));
  s2t::SpecializeResult result =
      s2t::specializeControlFlow(*kept, {torch::ones({3})});
  EXPECT_EQ(result.kernelsRun, 0);
  s2t::cleanupFlatGraph(result.graph);
  torch::jit::testing::FileCheck().check("aten::add_")->run(*result.graph);
  EXPECT_TRUE(at::equal(runGraph(result.graph, {torch::ones({3})})[0].toTensor(),
                        runGraph(kept, {torch::ones({3})})[0].toTensor()));
  // Dropped by the clean-up's alias analysis, as nothing reads %y after the
  // write: it is run on the sample before it goes, with what it needs (mul,
  // slice, add_, and a read of %y before it).
  for (auto [before, after, kernels] :
       std::vector<std::tuple<std::string, std::string, int64_t>>{
           {"", "  %r : Tensor = aten::relu(%x)", 3},
           {"  %r : Tensor = aten::relu(%y)", "", 4}}) {
    auto dropped = parseGraph(writeThroughView(before, after));
    result = s2t::specializeControlFlow(*dropped, {torch::ones({3})});
    EXPECT_EQ(result.kernelsRun, kernels) << before << after;
    s2t::cleanupFlatGraph(result.graph);
    torch::jit::testing::FileCheck().check_not("aten::add_")->run(*result.graph);
  }
}

TEST(SpecializeControlFlowTest, DataDecisionRunsItsSliceAfterInPlaceOps) {
  // y = x.clone(); y.add_(10); the branch reads y after the mutation, and an
  // unrelated tensor op (the mul) is not run.
  auto graph = parseGraph(R"IR(
graph(%x : Tensor):
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %ten : int = prim::Constant[value=10]()
  %unused : Tensor = aten::mul(%x, %ten)
  %y : Tensor = aten::clone(%x, %none)
  %y2 : Tensor = aten::add_(%y, %ten, %one)
  %s : Tensor = aten::sum(%y, %none)
  %gt : Tensor = aten::gt(%s, %zero)
  %c : bool = aten::Bool(%gt)
  %r : Tensor = prim::If(%c)
    block0():
      %a : Tensor = aten::add(%y, %one, %one)
      -> (%a)
    block1():
      %b : Tensor = aten::sub(%y, %one, %one)
      -> (%b)
  return (%r)
)IR");
  // sum(x) < 0 but sum(x + 10) > 0: only the mutated value takes the branch.
  at::Tensor x = torch::tensor({-1.0f, -2.0f});
  s2t::SpecializeResult result = s2t::specializeControlFlow(*graph, {x});
  s2t::cleanupFlatGraph(result.graph);
  torch::jit::testing::FileCheck()
      .check("aten::add_")
      ->check("aten::add(")
      ->check_not("aten::sub")
      ->run(*result.graph);
  // clone, add_, sum, gt, Bool: the mul is not in the decision's slice.
  EXPECT_EQ(result.kernelsRun, 5);
  EXPECT_TRUE(torch::equal(x, torch::tensor({-1.0f, -2.0f})))
      << "the sample must not be mutated";
}

} // namespace

namespace {

/// Unrolls a loop over the last output dimension of `op` (after the
/// constants of `prelude`) applied to x, w: the unrolled count is the size the
/// specializer believes without running the operator.
int64_t believedLastSize(const std::string &prelude, const std::string &op,
                         const at::Tensor &x, const at::Tensor &w) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor, %w : Tensor):
  %none : NoneType = prim::Constant()
  %true : bool = prim::Constant[value=1]()
  %false : bool = prim::Constant[value=0]()
  %last : int = prim::Constant[value=-1]()
)IR" + prelude + "\n  %y : Tensor = " + op + R"IR(
  %n : int = aten::size(%y, %last)
  %r : Tensor = prim::Loop(%n, %true, %x)
    block0(%i : int, %acc : Tensor):
      -> (%true, %acc)
  return (%r)
)IR");
  s2t::SpecializeResult result = s2t::specializeControlFlow(*graph, {x, w});
  EXPECT_EQ(result.kernelsRun, 0) << op;
  return result.iterationsUnrolled;
}

TEST(SpecializeControlFlowTest, ConvolutionShapesWithoutKernels) {
  at::Tensor x2 = torch::randn({1, 4, 17, 23});
  at::Tensor w2 = torch::randn({6, 2, 3, 5});
  EXPECT_EQ(believedLastSize(R"(
  %s : int[] = prim::Constant[value=[2, 3]]()
  %p : int[] = prim::Constant[value=[1, 2]]()
  %d : int[] = prim::Constant[value=[1, 2]]()
  %g : int = prim::Constant[value=2]())",
                             "aten::conv2d(%x, %w, %none, %s, %p, %d, %g)", x2,
                             w2),
            torch::conv2d(x2, w2, {}, {2, 3}, {1, 2}, {1, 2}, 2).size(-1));

  at::Tensor x1 = torch::randn({3, 9}); // unbatched
  at::Tensor w1 = torch::randn({5, 3, 4});
  EXPECT_EQ(believedLastSize(R"(
  %s : int[] = prim::Constant[value=[1]]()
  %p : int[] = prim::Constant[value=[0]]()
  %g : int = prim::Constant[value=1]())",
                             "aten::conv1d(%x, %w, %none, %s, %p, %s, %g)", x1,
                             w1),
            torch::conv1d(x1, w1).size(-1));

  at::Tensor xt = torch::randn({1, 4, 7, 8});
  at::Tensor wt = torch::randn({4, 3, 3, 3});
  EXPECT_EQ(believedLastSize(R"(
  %s : int[] = prim::Constant[value=[2, 2]]()
  %p : int[] = prim::Constant[value=[1, 1]]()
  %d : int[] = prim::Constant[value=[1, 1]]()
  %g : int = prim::Constant[value=1]())",
                             "aten::_convolution(%x, %w, %none, %s, %p, %d, "
                             "%true, %d, %g, %false, %false, %false, %false)",
                             xt, wt),
            torch::conv_transpose2d(xt, wt, {}, 2, 1, 1).size(-1));
}

} // namespace

namespace {

TEST(SpecializeControlFlowTest, DeepNestingIsAnErrorNotACrash) {
  // 5000 nested prim::If, built directly (a textual graph that deep would
  // strain torch's own parser first).
  auto graph = std::make_shared<Graph>();
  Value *x = graph->addInput("x");
  Value *condition = graph->insertConstant(false); // always the else block
  Block *block = graph->block();
  Node *outermost = nullptr;
  for (int i = 0; i < 5000; ++i) {
    WithInsertPoint guard(block);
    Node *branch = graph->create(prim::If, {condition}, 1);
    block->appendNode(branch);
    branch->output()->setType(x->type());
    if (!outermost)
      outermost = branch;
    else
      block->registerOutput(branch->output());
    branch->addBlock()->registerOutput(x);
    block = branch->addBlock();
  }
  block->registerOutput(x);
  graph->registerOutput(outermost->output());
  try {
    s2t::specializeControlFlow(*graph, {torch::ones({1})});
    FAIL() << "expected an error";
  } catch (const s2t::Error &e) {
    // 1000 levels (250 under AddressSanitizer, whose frames are larger).
    EXPECT_NE(std::string(e.what()).find("nest deeper than "),
              std::string::npos)
        << e.what();
  }
}

} // namespace
