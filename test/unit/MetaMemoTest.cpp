//===- test/unit/MetaMemoTest.cpp - Meta outputs reused -------------------===//
//
// passes/evaluate/MetaMemo against the meta kernels: what it gives again is
// what the kernel gives on the same metadata (sizes, strides, dtype,
// requires_grad, being a leaf, new memory); other metadata or arguments are
// not confused with it; views and writes are never remembered.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaMemo.h"
#include "passes/evaluate/MetaValues.h"

#include "GraphTestSupport.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <string>
#include <vector>

using namespace torch::jit;
using s2t::evaluate::MetaMemo;

namespace {

using s2t::unit::operatorNamed;

/// A meta tensor of `sizes` (contiguous) or of `sizes` and `strides`, as an
/// operator's result where it requires grad.
at::Tensor meta(std::vector<int64_t> sizes, bool requiresGrad = false,
                std::vector<int64_t> strides = {},
                at::ScalarType dtype = at::kFloat) {
  at::Tensor tensor =
      strides.empty()
          ? at::empty(sizes, at::TensorOptions().device(c10::kMeta).dtype(dtype))
          : at::empty_strided(sizes, strides,
                              at::TensorOptions().device(c10::kMeta).dtype(dtype));
  return requiresGrad ? s2t::evaluate::asComputedRequiringGrad(tensor) : tensor;
}

/// Runs `op` on `inputs` and remembers it; the kernel's outputs.
Stack runAndRemember(MetaMemo &memo, Operator &op, const Stack &inputs) {
  Stack stack = inputs;
  op.getOperation()(stack);
  memo.remember(op.schema(), inputs, stack);
  return stack;
}

void expectSameMetadata(const Stack &given, const Stack &kernel,
                        const std::string &what) {
  ASSERT_EQ(given.size(), kernel.size()) << what;
  for (size_t i = 0; i < given.size(); ++i) {
    const at::Tensor &a = given[i].toTensor(), &b = kernel[i].toTensor();
    ASSERT_EQ(a.defined(), b.defined()) << what;
    if (!a.defined())
      continue;
    EXPECT_TRUE(a.is_meta()) << what;
    EXPECT_EQ(a.sizes(), b.sizes()) << what;
    EXPECT_EQ(a.strides(), b.strides()) << what;
    EXPECT_EQ(a.storage_offset(), b.storage_offset()) << what;
    EXPECT_EQ(a.scalar_type(), b.scalar_type()) << what;
    EXPECT_EQ(a.requires_grad(), b.requires_grad()) << what;
    EXPECT_EQ(a.is_leaf(), b.is_leaf()) << what;
  }
}

TEST(MetaMemoTest, GivesWhatTheKernelGaveOnTheSameMetadata) {
  auto einsum = operatorNamed("aten::einsum", "");
  auto mul = operatorNamed("aten::mul", "Tensor");
  auto norm = operatorNamed("aten::norm", "ScalarOpt_dim");
  auto argmax = operatorNamed("aten::argmax", "");
  auto max = operatorNamed("aten::max", "dim");
  ASSERT_TRUE(einsum && mul && norm && argmax && max);
  struct Case {
    std::string what;
    Operator *op;
    std::function<Stack()> inputs; ///< fresh inputs of the same metadata
  };
  for (bool grad : {false, true}) {
    at::AutoGradMode mode(grad);
    const Case cases[] = {
        {"einsum of two batches", einsum.get(),
         [] {
           return Stack{std::string("bhid,bhjd->bhij"),
                        c10::List<at::Tensor>({meta({2, 3, 5, 4}, true),
                                               meta({2, 3, 7, 4})}),
                        IValue()};
         }},
        {"einsum that permutes", einsum.get(),
         [] {
           return Stack{std::string("ij,jk->ki"),
                        c10::List<at::Tensor>({meta({3, 4}), meta({4, 5})}),
                        IValue()};
         }},
        {"mul of a transposed tensor", mul.get(),
         [] {
           return Stack{meta({4, 3}, true, {1, 4}), meta({3})};
         }},
        {"norm over a dimension", norm.get(),
         [] {
           return Stack{meta({2, 5, 3}, true), 2.0,
                        c10::List<int64_t>({-1}), true};
         }},
        {"argmax (no grad, integer result)", argmax.get(),
         [] { return Stack{meta({2, 5}, true), int64_t(1), false}; }},
        {"max over a dimension (values and indices)", max.get(),
         [] { return Stack{meta({2, 5, 3}, true), int64_t(1), false}; }},
    };
    for (const Case &c : cases) {
      std::string what = c.what + (grad ? " (grad mode)" : "");
      MetaMemo memo;
      EXPECT_FALSE(memo.find(c.op->schema(), c.inputs())) << what;
      Stack kernel = runAndRemember(memo, *c.op, c.inputs());
      c10::optional<Stack> given = memo.find(c.op->schema(), c.inputs());
      ASSERT_TRUE(given) << what;
      expectSameMetadata(*given, kernel, what);
      // A new memory each time, as the kernel's.
      c10::optional<Stack> again = memo.find(c.op->schema(), c.inputs());
      ASSERT_TRUE(again) << what;
      for (size_t i = 0; i < again->size(); ++i)
        if ((*again)[i].toTensor().defined())
          EXPECT_FALSE((*again)[i].toTensor().is_same((*given)[i].toTensor()))
              << what;
    }
  }
}

TEST(MetaMemoTest, TellsOtherMetadataAndArgumentsApart) {
  auto sum = operatorNamed("aten::sum", "dim_IntList");
  ASSERT_TRUE(sum);
  auto inputs = [](std::vector<int64_t> sizes, std::vector<int64_t> strides,
                   bool requiresGrad, int64_t dim, bool keep,
                   at::ScalarType dtype) {
    return Stack{meta(sizes, requiresGrad, strides, dtype),
                 c10::List<int64_t>({dim}), keep, IValue()};
  };
  MetaMemo memo;
  runAndRemember(memo, *sum, inputs({4, 6}, {}, false, 1, false, at::kFloat));
  EXPECT_TRUE(memo.find(sum->schema(),
                        inputs({4, 6}, {}, false, 1, false, at::kFloat)));
  const std::pair<const char *, Stack> others[] = {
      {"sizes", inputs({4, 7}, {}, false, 1, false, at::kFloat)},
      {"strides", inputs({4, 6}, {1, 4}, false, 1, false, at::kFloat)},
      {"requires_grad", inputs({4, 6}, {}, true, 1, false, at::kFloat)},
      {"a dimension", inputs({4, 6}, {}, false, 0, false, at::kFloat)},
      {"keepdim", inputs({4, 6}, {}, false, 1, true, at::kFloat)},
      {"dtype", inputs({4, 6}, {}, false, 1, false, at::kDouble)},
  };
  for (const auto &[what, stack] : others)
    EXPECT_FALSE(memo.find(sum->schema(), stack)) << what;
  // Nor in the other grad mode, where the result's requires_grad differs.
  Stack grad = inputs({4, 6}, {}, true, 1, false, at::kFloat);
  runAndRemember(memo, *sum, grad);
  at::AutoGradMode noGrad(false);
  EXPECT_FALSE(memo.find(sum->schema(), grad));
}

TEST(MetaMemoTest, RemembersNoViewNoWriteAndNoRealTensor) {
  auto transpose = operatorNamed("aten::transpose", "int");
  auto add_ = operatorNamed("aten::add_", "Tensor");
  auto add = operatorNamed("aten::add", "Tensor");
  ASSERT_TRUE(transpose && add_ && add);
  MetaMemo memo;
  Stack view{meta({3, 4}), int64_t(0), int64_t(1)};
  runAndRemember(memo, *transpose, view);
  EXPECT_FALSE(memo.find(transpose->schema(), view));
  // New memory here, but an operator whose schema says it may return its
  // input (contiguous of a contiguous tensor does) is left to its kernel.
  auto contiguous = operatorNamed("aten::contiguous", "");
  ASSERT_TRUE(contiguous);
  Stack copied{meta({3, 4}, false, {1, 3}), int64_t(c10::MemoryFormat::Contiguous)};
  EXPECT_FALSE(runAndRemember(memo, *contiguous, copied)[0].toTensor().is_same(
      copied[0].toTensor()));
  EXPECT_FALSE(memo.find(contiguous->schema(), copied));
  Stack write{meta({3, 4}), meta({3, 4}), 1.0};
  runAndRemember(memo, *add_, write);
  EXPECT_FALSE(memo.find(add_->schema(), write));
  // A kernel on real tensors may read their data.
  Stack real{at::ones({3, 4}), at::ones({3, 4}), 1.0};
  runAndRemember(memo, *add, real);
  EXPECT_FALSE(memo.find(add->schema(), real));
}

} // namespace
