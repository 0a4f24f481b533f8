//===- test/unit/LazyEvaluatorTest.cpp - Sample values on demand ----------===//
//
// The evaluator of passes/evaluate/ on small parsed graphs, fed the way the
// specializer feeds it (inputs and constants known, every other node
// emitted): what it computes lazily and how many kernels that takes, the
// exact metadata it answers without kernels (MetaShapes for operators
// without a meta kernel), and the alias classes that order writes and reads.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/LazyEvaluator.h"
#include "passes/evaluate/AliasClasses.h"
#include "passes/evaluate/MetaShapes.h"

#include "GraphTestSupport.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>

#include <string>
#include <unordered_map>
#include <vector>

using namespace torch::jit;
using s2t::LazyEvaluator;
using s2t::UnknownValue;

namespace {

/// What the failure handler throws, so that a test sees the failure.
struct Failed {
  std::string message;
};

using s2t::unit::parseGraph;

/// A parsed graph and an evaluator that knows it: the inputs are the
/// samples, the constants are known, every other node is emitted in order.
class Evaluated {
public:
  /// The first `attributes` inputs are a module's attributes (setAttribute).
  Evaluated(const std::string &text, const std::vector<c10::IValue> &samples,
            size_t attributes = 0)
      : graph(std::make_shared<Graph>()),
        evaluator(
            [this](const Node *, const Node *, const std::string &message) {
              ++failures;
              throw Failed{message};
            }) {
    parseIR(text, graph.get(), names);
    EXPECT_EQ(graph->inputs().size(), samples.size());
    for (size_t i = 0; i < samples.size(); ++i)
      i < attributes ? evaluator.setAttribute(graph->inputs()[i], samples[i])
                     : evaluator.setKnown(graph->inputs()[i], samples[i]);
    for (Node *node : graph->nodes()) {
      if (node->kind() == prim::Constant)
        evaluator.setKnown(node->output(), *toIValue(node->output()));
      else
        evaluator.emitted(node, nullptr, node->isNondeterministic(),
                        node->maybeSchema());
    }
  }

  /// The value named `%name` in the graph's text.
  Value *value(const std::string &name) const {
    auto it = names.find(name);
    if (it == names.end())
      ADD_FAILURE() << "no value %" << name;
    return it == names.end() ? nullptr : it->second;
  }
  at::Tensor real(const std::string &name) {
    return evaluator.real(value(name)).toTensor();
  }
  at::Tensor meta(const std::string &name) {
    return evaluator.meta(value(name)).toTensor();
  }

  std::shared_ptr<Graph> graph;
  std::unordered_map<std::string, Value *> names;
  int failures = 0;
  LazyEvaluator evaluator;
};

const char *kTwoBranches = R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %two : int = prim::Constant[value=2]()
  %a : Tensor = aten::add(%x, %one, %one)
  %b : Tensor = aten::mul(%x, %two)
  %c : Tensor = aten::mul(%a, %two)
  %n : int[] = aten::size(%c)
  return (%b, %c, %n)
)IR";

} // namespace

//===----------------------------------------------------------------------===//
// Laziness and kernels
//===----------------------------------------------------------------------===//

TEST(LazyEvaluatorTest, RunsOnlyTheSliceOfWhatIsAsked) {
  Evaluated e(kTwoBranches, {at::tensor({1.0f, 2.0f})});
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);

  EXPECT_TRUE(at::equal(e.real("c"), at::tensor({4.0f, 6.0f})));
  EXPECT_EQ(e.evaluator.kernelsRun(), 2); // %a and %c, not %b

  // Computed values are kept: asking again runs nothing.
  e.real("c");
  e.real("a");
  EXPECT_EQ(e.evaluator.kernelsRun(), 2);

  EXPECT_TRUE(at::equal(e.real("b"), at::tensor({2.0f, 4.0f})));
  EXPECT_EQ(e.evaluator.kernelsRun(), 3);
  EXPECT_EQ(e.failures, 0);
}

// Options::threads: set for the first kernel on real values, not before, so
// that a conversion decided on metadata alone starts no thread pool.
TEST(LazyEvaluatorTest, SetsKernelThreadsAtTheFirstKernel) {
  const int before = at::get_num_threads();
  const int wanted = before == 3 ? 2 : 3;
  Evaluated e(kTwoBranches, {at::tensor({1.0f, 2.0f})});
  e.evaluator.setKernelThreads(wanted);
  EXPECT_EQ(e.meta("c").sizes(), at::IntArrayRef({2}));
  EXPECT_EQ(at::get_num_threads(), before); // metadata ran no kernel

  e.real("c");
  EXPECT_EQ(at::get_num_threads(), wanted);
  at::set_num_threads(before);
}

TEST(LazyEvaluatorTest, KnownValuesNeedNoKernel) {
  Evaluated e(kTwoBranches, {at::tensor({1.0f, 2.0f})});
  EXPECT_TRUE(e.evaluator.isKnown(e.value("x")));
  EXPECT_FALSE(e.evaluator.isKnown(e.value("a")));
  EXPECT_TRUE(at::equal(e.real("x"), at::tensor({1.0f, 2.0f})));
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);
  EXPECT_EQ(e.evaluator.device(e.value("a")), c10::Device(c10::kCPU));
}

TEST(LazyEvaluatorTest, RunAllRunsWhatNothingAskedFor) {
  Evaluated e(kTwoBranches, {at::tensor({1.0f, 2.0f})});
  e.evaluator.runAll();
  // %a, %b, %c, and aten::size, which reads a real tensor when run for real.
  EXPECT_EQ(e.evaluator.kernelsRun(), 4);
  EXPECT_EQ(e.failures, 0);
}

//===----------------------------------------------------------------------===//
// Metadata
//===----------------------------------------------------------------------===//

TEST(LazyEvaluatorTest, MetadataWithoutKernels) {
  Evaluated e(kTwoBranches, {at::ones({2, 3})});
  at::Tensor c = e.meta("c");
  EXPECT_TRUE(c.is_meta());
  EXPECT_EQ(c.sizes(), at::IntArrayRef({2, 3}));
  EXPECT_EQ(c.scalar_type(), at::kFloat);

  // aten::size reads metadata only: its meta answer is the exact value.
  c10::IValue n = e.evaluator.meta(e.value("n"));
  EXPECT_EQ(n.toIntVector(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);

  // The real value is computed when asked for, after the metadata.
  EXPECT_FALSE(e.real("c").is_meta());
  EXPECT_EQ(e.evaluator.kernelsRun(), 2);
}

// Indexing a float table with long indices mixes dtypes, which the meta
// kernel's answer is confirmed on (stand-ins on the CPU). The stand-ins of
// the indices, inside a list, were left meta tensors, the confirmation
// failed, and the table and everything before it ran for real: the relative
// position tables of swin_v2_t, maxvit_t and mvit_v2_s ran ~900-2,200
// kernels for no data decision.
TEST(LazyEvaluatorTest, IndexingByTensorsNeedsNoKernel) {
  Evaluated e(R"IR(
graph(%x : Tensor, %i : Tensor):
  %l : Tensor?[] = prim::ListConstruct(%i)
  %y : Tensor = aten::index(%x, %l)
  return (%y)
)IR",
              {at::ones({5, 3}), at::tensor({4, 0, 2, 1}, at::kLong).view({2, 2})});
  at::Tensor y = e.meta("y");
  EXPECT_EQ(y.sizes(), at::IntArrayRef({2, 2, 3}));
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);
  EXPECT_EQ(e.failures, 0);
}

TEST(LazyEvaluatorTest, ReadingDataRunsKernels) {
  Evaluated e(R"IR(
graph(%x : Tensor):
  %none : NoneType = prim::Constant()
  %s : Tensor = aten::sum(%x, %none)
  %i : int = aten::Int(%s)
  return (%i)
)IR",
              {at::tensor({1, 2, 3})});
  // aten::Int reads the data: its meta value is its real value.
  EXPECT_EQ(e.evaluator.meta(e.value("i")).toInt(), 6);
  EXPECT_EQ(e.evaluator.kernelsRun(), 2);
}

// The second einsum of the same metadata is not dispatched again
// (MetaMemo); one of other sizes is.
TEST(LazyEvaluatorTest, MetadataOfTheSameSignatureIsReused) {
  Evaluated e(R"IR(
graph(%q : Tensor, %k : Tensor, %v : Tensor):
  %none : NoneType = prim::Constant()
  %eq : str = prim::Constant[value="bij,bkj->bik"]()
  %l1 : Tensor[] = prim::ListConstruct(%q, %k)
  %a : Tensor = aten::einsum(%eq, %l1, %none)
  %l2 : Tensor[] = prim::ListConstruct(%k, %q)
  %b : Tensor = aten::einsum(%eq, %l2, %none)
  %l3 : Tensor[] = prim::ListConstruct(%q, %v)
  %c : Tensor = aten::einsum(%eq, %l3, %none)
  return (%a, %b, %c)
)IR",
              {at::ones({2, 5, 4}), at::ones({2, 5, 4}), at::ones({2, 7, 4})});
  EXPECT_EQ(e.meta("a").sizes(), at::IntArrayRef({2, 5, 5}));
  EXPECT_EQ(e.meta("b").sizes(), at::IntArrayRef({2, 5, 5}));
  EXPECT_EQ(e.meta("c").sizes(), at::IntArrayRef({2, 5, 7}));
  EXPECT_EQ(e.evaluator.metadataByDispatch(), 2); // %a and %c
  EXPECT_EQ(e.evaluator.metadataReused(), 1);     // %b
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);
}

TEST(LazyEvaluatorTest, ConvolutionMetadataFromItsSizes) {
  const char *conv = R"IR(
graph(%x : Tensor, %w : Tensor):
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %ones : int[] = prim::ListConstruct(%one, %one)
  %zeros : int[] = prim::ListConstruct(%zero, %zero)
  %y : Tensor = aten::conv2d(%x, %w, %none, %ones, %zeros, %ones, %one)
  return (%y)
)IR";
  Evaluated e(conv, {at::ones({1, 3, 8, 8}), at::ones({4, 3, 3, 3})});
  at::Tensor y = e.meta("y");
  EXPECT_TRUE(y.is_meta());
  EXPECT_EQ(y.sizes(), at::IntArrayRef({1, 4, 6, 6}));
  EXPECT_EQ(e.evaluator.kernelsRun(), 0);
}

TEST(LazyEvaluatorTest, NativeOutputSizes) {
  auto meta = [](at::IntArrayRef sizes) {
    return c10::IValue(at::empty(sizes, at::device(c10::kMeta)));
  };
  c10::List<int64_t> ones({1, 1}), zeros({0, 0});
  Symbol conv2d = Symbol::fromQualString("aten::conv2d");
  Stack stack{
      meta({2, 3, 8, 8}), meta({4, 3, 3, 3}), c10::IValue(), ones, zeros, ones,
      int64_t(1)};
  auto sizes = s2t::evaluate::nativeOutputSizes(conv2d, stack);
  ASSERT_TRUE(sizes.has_value());
  EXPECT_EQ(*sizes, (std::vector<int64_t>{2, 4, 6, 6}));

  // Channels that do not match the weight: the kernel would raise, so the
  // formula does not answer.
  stack[1] = meta({4, 5, 3, 3});
  EXPECT_FALSE(s2t::evaluate::nativeOutputSizes(conv2d, stack).has_value());

  // An operator the formulas do not know.
  EXPECT_FALSE(s2t::evaluate::nativeOutputSizes(aten::mm, stack).has_value());

  // The full reductions max(Tensor) and min(Tensor): a 0-dim result, as the
  // CPU kernel's; an empty input is refused by the kernel, so not answered.
  at::Tensor values = at::tensor({3.0f, -1.0f, 2.0f});
  for (Symbol reduction : {aten::max, aten::min}) {
    Stack input{meta({3})};
    auto reduced = s2t::evaluate::nativeOutputSizes(reduction, input);
    ASSERT_TRUE(reduced.has_value());
    EXPECT_EQ(*reduced,
              (reduction == aten::max ? values.max() : values.min()).sizes().vec());
    Stack empty{meta({0, 2})};
    EXPECT_FALSE(s2t::evaluate::nativeOutputSizes(reduction, empty).has_value());
    EXPECT_ANY_THROW(at::empty({0, 2}).max());
  }
}

//===----------------------------------------------------------------------===//
// What the sample does not give
//===----------------------------------------------------------------------===//

TEST(LazyEvaluatorTest, UnknownAndShapeOnlyInputs) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %one, %one)
  %b : Tensor = aten::add(%y, %one, %one)
  return (%a, %b)
)IR");
  LazyEvaluator evaluator([](const Node *, const Node *, const std::string &m) {
    throw Failed{m};
  });
  Value *x = graph->inputs()[0], *y = graph->inputs()[1];
  evaluator.setShapeOnly(x, at::empty({4}, at::device(c10::kMeta)));
  evaluator.setUnknown(y);
  for (Node *node : graph->nodes()) {
    if (node->kind() == prim::Constant)
      evaluator.setKnown(node->output(), *toIValue(node->output()));
    else
      evaluator.emitted(node, nullptr, node->isNondeterministic(),
                        node->maybeSchema());
  }
  Value *a = graph->outputs()[0], *b = graph->outputs()[1];

  // A shape-only input gives metadata, not data.
  EXPECT_EQ(evaluator.meta(a).toTensor().sizes(), at::IntArrayRef({4}));
  try {
    evaluator.real(a);
    ADD_FAILURE() << "expected UnknownValue";
  } catch (const UnknownValue &unknown) {
    EXPECT_EQ(unknown.value, x);
    EXPECT_TRUE(unknown.shapeOnly);
  }
  // An unknown input gives nothing.
  try {
    evaluator.meta(b);
    ADD_FAILURE() << "expected UnknownValue";
  } catch (const UnknownValue &unknown) {
    EXPECT_EQ(unknown.value, y);
    EXPECT_FALSE(unknown.shapeOnly);
  }
  EXPECT_EQ(evaluator.kernelsRun(), 0);
}

TEST(LazyEvaluatorTest, FailuresGoToTheHandler) {
  const char *mm = R"IR(
graph(%x : Tensor, %y : Tensor):
  %z : Tensor = aten::mm(%x, %y)
  return (%z)
)IR";
  Evaluated asked(mm, {at::ones({2, 3}), at::ones({2, 3})});
  EXPECT_THROW(asked.real("z"), Failed);
  EXPECT_EQ(asked.failures, 1);

  // checkAll finds it on metadata, although nothing asked for %z.
  Evaluated checked(mm, {at::ones({2, 3}), at::ones({2, 3})});
  EXPECT_THROW(checked.evaluator.checkAll(), Failed);
  EXPECT_EQ(checked.failures, 1);

  Evaluated fine(mm, {at::ones({2, 3}), at::ones({3, 2})});
  fine.evaluator.checkAll();
  EXPECT_EQ(fine.failures, 0);
  EXPECT_EQ(fine.evaluator.kernelsRun(), 0);
}

//===----------------------------------------------------------------------===//
// Aliasing
//===----------------------------------------------------------------------===//

const char *kViewThenWrite = R"IR(
graph(%x : Tensor):
  %none : NoneType = prim::Constant()
  %one : int = prim::Constant[value=1]()
  %minus : int = prim::Constant[value=-1]()
  %shape : int[] = prim::ListConstruct(%minus)
  %s : Tensor = aten::sum(%x, %none)
  %v : Tensor = aten::view(%x, %shape)
  %w : Tensor = aten::add_(%x, %one, %one)
  return (%s, %v, %w)
)IR";

TEST(LazyEvaluatorTest, ReadsSeeWritesToAliases) {
  Evaluated e(kViewThenWrite, {at::zeros({2, 2})});
  EXPECT_EQ(e.evaluator.writes(), 1u);
  // %v is a view of %x, which %w writes to: read at the end of the graph,
  // %v holds the write.
  EXPECT_TRUE(at::equal(e.real("v"), at::ones({4})));
}

TEST(LazyEvaluatorTest, WritesRunAfterEarlierReaders) {
  Evaluated e(kViewThenWrite, {at::zeros({2, 2})});
  e.real("w");
  // %s read %x before the write, so it ran first.
  EXPECT_EQ(e.real("s").item<float>(), 0.0f);
}

// A module's parameters are only read by most kernels (a detector's data
// decisions run the whole backbone): copying them all up front cost ~0.3 s
// of page faults for ~80 MB. Kernels that read them see the module's memory.
TEST(LazyEvaluatorTest, AttributesOnlyReadAreNotCopied) {
  at::Tensor weight = at::tensor({1.0f, 2.0f, 3.0f});
  Evaluated e(R"IR(
graph(%w : Tensor, %x : Tensor):
  %y : Tensor = aten::mul(%x, %w)
  return (%y)
)IR",
              {weight, at::tensor({2.0f, 2.0f, 2.0f})}, /*attributes=*/1);
  EXPECT_TRUE(at::equal(e.real("y"), at::tensor({2.0f, 4.0f, 6.0f})));
  EXPECT_EQ(e.evaluator.bytesCopied(), 0u);
  EXPECT_EQ(e.real("w").data_ptr(), weight.data_ptr());
}

// Written, an attribute's memory is copied first: the module keeps its
// values, and every tensor of the evaluator on that memory, a view made
// before the write among them, moves to the copy and sees the write.
TEST(LazyEvaluatorTest, AttributesAreCopiedBeforeTheFirstWrite) {
  at::Tensor weight = at::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({2, 2});
  at::Tensor before = weight.clone();
  Evaluated e(R"IR(
graph(%w : Tensor, %x : Tensor):
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %v : Tensor = aten::select(%w, %zero, %zero)
  %r1 : Tensor = aten::mul(%v, %x)
  %w2 : Tensor = aten::add_(%w, %x, %one)
  %r2 : Tensor = aten::mul(%v, %x)
  return (%r1, %r2)
)IR",
              {weight, at::tensor({10.0f, 10.0f})}, /*attributes=*/1);
  // %v is read as it is at the end of the graph: select runs (a view of the
  // module's memory), then add_, which copies that memory and moves %v.
  at::Tensor view = e.real("v");
  EXPECT_EQ(e.evaluator.bytesCopied(), weight.nbytes());
  EXPECT_NE(view.data_ptr(), weight.data_ptr());
  EXPECT_TRUE(at::equal(view, at::tensor({11.0f, 12.0f})));
  EXPECT_TRUE(at::equal(e.real("r2"), at::tensor({110.0f, 120.0f})));
  // %r1 read %v before the write.
  EXPECT_TRUE(at::equal(e.real("r1"), at::tensor({10.0f, 20.0f})));
  EXPECT_EQ(e.evaluator.bytesCopied(), weight.nbytes());
  EXPECT_TRUE(at::equal(weight, before));
  EXPECT_EQ(e.failures, 0);
}

TEST(LazyEvaluatorTest, KnownValuesSharingStorageAlias) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor, %y : Tensor):
  %one : int = prim::Constant[value=1]()
  %w : Tensor = aten::add_(%x, %one, %one)
  %z : Tensor = aten::mul(%y, %one)
  return (%w, %z)
)IR");
  at::Tensor sample = at::zeros({4});
  LazyEvaluator evaluator([](const Node *, const Node *, const std::string &m) {
    throw Failed{m};
  });
  evaluator.setKnown(graph->inputs()[0], sample);
  evaluator.setKnown(graph->inputs()[1], sample.view({2, 2}));
  for (Node *node : graph->nodes()) {
    if (node->kind() == prim::Constant)
      evaluator.setKnown(node->output(), *toIValue(node->output()));
    else
      evaluator.emitted(node, nullptr, node->isNondeterministic(),
                        node->maybeSchema());
  }
  // %y is a view of %x's storage: the write to %x reaches %z.
  at::Tensor z = evaluator.real(graph->outputs()[1]).toTensor();
  EXPECT_TRUE(at::equal(z, at::ones({2, 2})));
}

TEST(LazyEvaluatorTest, AliasClassesFromSchemas) {
  auto graph = parseGraph(kViewThenWrite);
  s2t::evaluate::AliasClasses aliases;
  std::vector<size_t> writtenBySum, writtenByAdd;
  Node *sum = nullptr, *view = nullptr, *add = nullptr;
  for (Node *node : graph->nodes()) {
    std::vector<size_t> written = aliases.addNode(node, node->maybeSchema());
    if (node->kind() == aten::sum) {
      sum = node;
      writtenBySum = written;
    } else if (node->kind() == aten::view) {
      view = node;
    } else if (node->kind() == aten::add_) {
      add = node;
      writtenByAdd = written;
    }
  }
  ASSERT_TRUE(sum && view && add);
  Value *x = graph->inputs()[0];
  EXPECT_EQ(aliases.find(view->output()), aliases.find(x));
  EXPECT_EQ(aliases.find(add->output()), aliases.find(x));
  EXPECT_NE(aliases.find(sum->output()), aliases.find(x));
  EXPECT_TRUE(writtenBySum.empty());
  EXPECT_EQ(writtenByAdd, (std::vector<size_t>{0}));
  const std::vector<Node *> *writers = aliases.writersOf(view->output());
  ASSERT_NE(writers, nullptr);
  EXPECT_EQ(*writers, (std::vector<Node *>{add}));
  EXPECT_EQ(aliases.writersOf(sum->output()), nullptr);
  EXPECT_EQ(aliases.membersOf(aliases.find(x)).size(), 3u);
}
