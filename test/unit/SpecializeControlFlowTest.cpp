//===- test/unit/SpecializeControlFlowTest.cpp - The pass's C++ API -------===//

#include "ir/Error.h"
#include "passes/Cleanup.h"
#include "passes/SpecializeControlFlow.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/csrc/jit/testing/file_check.h>
#include <torch/torch.h>

using namespace torch::jit;

namespace {

std::shared_ptr<Graph> parse(const std::string &text) {
  auto graph = std::make_shared<Graph>();
  parseIR(text, graph.get());
  return graph;
}

std::vector<c10::IValue> runGraph(const std::shared_ptr<Graph> &graph,
                                  std::vector<c10::IValue> inputs) {
  GraphExecutor executor(graph, "test");
  Stack stack(inputs.begin(), inputs.end());
  executor.run(stack);
  return stack;
}

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
  auto graph = parse(kDataBranch);
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
  auto graph = parse(R"IR(
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
  auto graph = parse(R"IR(
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
    EXPECT_NE(std::string(e.what()).find("--max-unroll=50"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.exitCode(), 1);
  }
}

TEST(SpecializeControlFlowTest, InPlaceEntryPointReplacesTheGraph) {
  auto graph = parse(kDataBranch);
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
  auto graph = parse(R"IR(
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

TEST(SpecializeControlFlowTest, DataDecisionRunsItsSliceAfterInPlaceOps) {
  // y = x.clone(); y.add_(10); the branch reads y after the mutation, and an
  // unrelated tensor op (the mul) is not run.
  auto graph = parse(R"IR(
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
