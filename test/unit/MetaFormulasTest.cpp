//===- test/unit/MetaFormulasTest.cpp - Metadata by formula ---------------===//
//
// Each formula of passes/evaluate/MetaFormulas against the CPU kernel it
// stands in for (run on real tensors of the same sizes and dtypes; some of
// these operators have no meta kernel in LibTorch 1.13): on every combination
// of shapes (broadcast, 0-d, empty, size-1 dimensions), dtypes and grad, where
// the formula answers, sizes, strides, dtype and requires_grad must be the
// kernel's, and the kernel must not raise.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaFormulas.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <string>
#include <vector>

using namespace torch::jit;
using s2t::evaluate::MetaFormulas;

namespace {

/// The operator `name` with overload `overload`.
std::shared_ptr<Operator> operatorNamed(const std::string &name,
                                        const std::string &overload) {
  for (const auto &op : getAllOperatorsFor(c10::Symbol::fromQualString(name)))
    if (op->schema().overload_name() == overload)
      return op;
  ADD_FAILURE() << "no operator " << name << "." << overload;
  return nullptr;
}

/// The meta kernel's output on `inputs`, or None when it raises (`error`
/// says why).
c10::optional<at::Tensor> kernelOutput(Operator &op, Stack inputs,
                                       std::string &error) {
  try {
    op.getOperation()(inputs);
  } catch (const c10::Error &e) {
    error = e.what_without_backtrace();
    return c10::nullopt;
  }
  return inputs.at(0).toTensor();
}

at::Tensor metaTensor(std::vector<int64_t> sizes, at::ScalarType dtype,
                      bool requiresGrad = false) {
  at::Tensor tensor = at::empty(sizes, at::TensorOptions()
                                           .device(c10::kMeta)
                                           .dtype(dtype));
  return requiresGrad ? tensor.requires_grad_(true) : tensor;
}

/// `inputs` as "f32[2, 3], 1": meta tensors cannot be printed.
std::string describe(const Stack &inputs) {
  std::string text;
  for (const c10::IValue &value : inputs) {
    if (!text.empty())
      text += ", ";
    if (value.isTensor())
      text += std::string(c10::toString(value.toTensor().scalar_type())) +
              c10::str(value.toTensor().sizes());
    else
      text += c10::str(value);
  }
  return text;
}

/// `inputs` with each meta tensor replaced by a CPU tensor of zeros of the
/// same sizes, dtype and requires_grad.
Stack onCpu(const Stack &inputs) {
  Stack cpu;
  for (const c10::IValue &value : inputs) {
    if (!value.isTensor()) {
      cpu.push_back(value);
      continue;
    }
    const at::Tensor &meta = value.toTensor();
    at::Tensor tensor = at::zeros(meta.sizes(), meta.options().device(c10::kCPU))
                            .as_strided(meta.sizes(), meta.strides());
    cpu.emplace_back(meta.requires_grad() ? tensor.requires_grad_(true) : tensor);
  }
  return cpu;
}

/// Checks the formula on `inputs` against the kernel; returns whether the
/// formula answered.
bool agrees(MetaFormulas &formulas, Operator &op, const Stack &inputs) {
  c10::optional<c10::IValue> formula = formulas.run(op.schema(), inputs);
  if (!formula)
    return false;
  std::string error;
  c10::optional<at::Tensor> kernel = kernelOutput(op, onCpu(inputs), error);
  EXPECT_TRUE(kernel.has_value())
      << op.schema() << ": the formula answered where the kernel raises on "
      << describe(inputs) << ": " << error;
  if (!kernel)
    return true;
  const at::Tensor &mine = formula->toTensor();
  std::string what = c10::str(op.schema(), " on ", describe(inputs));
  EXPECT_EQ(mine.sizes(), kernel->sizes()) << what;
  EXPECT_EQ(mine.strides(), kernel->strides()) << what;
  EXPECT_EQ(mine.scalar_type(), kernel->scalar_type()) << what;
  EXPECT_EQ(mine.requires_grad(), kernel->requires_grad()) << what;
  EXPECT_TRUE(mine.is_meta());
  return true;
}

const std::vector<std::vector<int64_t>> kShapes = {
    {}, {1}, {3}, {0}, {2, 3}, {2, 1, 3}, {1, 3}, {3, 1}, {4, 1, 1}, {2, 0, 3}};
const std::vector<at::ScalarType> kDtypes = {at::kFloat, at::kDouble,
                                             at::kHalf, at::kLong, at::kInt,
                                             at::kBool};

TEST(MetaFormulasTest, ArithmeticOfTwoTensorsIsTheKernels) {
  MetaFormulas formulas;
  int answered = 0;
  for (const char *name : {"aten::add", "aten::sub", "aten::mul", "aten::div"}) {
    auto op = operatorNamed(name, "Tensor");
    ASSERT_TRUE(op);
    for (const auto &a : kShapes)
      for (const auto &b : kShapes)
        for (at::ScalarType da : kDtypes)
          for (at::ScalarType db : {at::kFloat, at::kLong, at::kDouble}) {
            Stack inputs{metaTensor(a, da, da == at::kFloat),
                         metaTensor(b, db)};
            if (op->schema().arguments().size() == 3)
              inputs.emplace_back(int64_t(2));
            answered += agrees(formulas, *op, inputs);
          }
  }
  EXPECT_GT(answered, 1000); // the common cases are answered
}

TEST(MetaFormulasTest, ArithmeticWithANumberIsTheKernels) {
  MetaFormulas formulas;
  int answered = 0;
  for (const char *name : {"aten::add", "aten::sub", "aten::mul", "aten::div"}) {
    auto op = operatorNamed(name, "Scalar");
    ASSERT_TRUE(op);
    for (const auto &a : kShapes)
      for (at::ScalarType da : kDtypes)
        for (c10::IValue other : {c10::IValue(int64_t(1)), c10::IValue(0.5),
                                  c10::IValue(true)}) {
          Stack inputs{metaTensor(a, da), other};
          if (op->schema().arguments().size() == 3)
            inputs.emplace_back(1.5); // a float alpha: refused on integers
          answered += agrees(formulas, *op, inputs);
        }
  }
  EXPECT_GT(answered, 100);
}

TEST(MetaFormulasTest, ActivationsAreTheKernels) {
  MetaFormulas formulas;
  int answered = 0;
  for (const char *name : {"aten::relu", "aten::sigmoid", "aten::tanh",
                           "aten::hardswish", "aten::silu", "aten::gelu"}) {
    auto op = operatorNamed(name, "");
    ASSERT_TRUE(op);
    for (const auto &a : kShapes)
      for (at::ScalarType da : kDtypes) {
        Stack inputs{metaTensor(a, da, da == at::kFloat)};
        if (op->schema().arguments().size() == 2)
          inputs.emplace_back(std::string("tanh"));
        answered += agrees(formulas, *op, inputs);
      }
  }
  EXPECT_GT(answered, 50);
}

TEST(MetaFormulasTest, InPlaceIsTheKernels) {
  MetaFormulas formulas;
  int answered = 0;
  for (auto [name, overload] :
       std::vector<std::pair<const char *, const char *>>{
           {"aten::relu_", ""}, {"aten::sigmoid_", ""}, {"aten::add_", "Tensor"},
           {"aten::mul_", "Tensor"}, {"aten::sub_", "Scalar"},
           {"aten::div_", "Scalar"}}) {
    auto op = operatorNamed(name, overload);
    ASSERT_TRUE(op);
    for (const auto &a : kShapes)
      for (const auto &b : kShapes)
        for (at::ScalarType da : kDtypes)
          for (at::ScalarType db : {at::kFloat, at::kLong, at::kDouble}) {
            Stack inputs{metaTensor(a, da)};
            if (op->schema().arguments().size() > 1) {
              if (std::string(overload) == "Tensor")
                inputs.emplace_back(metaTensor(b, db));
              else
                inputs.emplace_back(db == at::kLong ? c10::IValue(int64_t(2))
                                                    : c10::IValue(0.5));
            }
            if (op->schema().arguments().size() > 2)
              inputs.emplace_back(int64_t(1));
            answered += agrees(formulas, *op, inputs);
          }
  }
  EXPECT_GT(answered, 200);
  // A leaf that requires grad: autograd refuses to write it.
  auto relu = operatorNamed("aten::relu_", "");
  EXPECT_FALSE(formulas.run(relu->schema(), {metaTensor({2}, at::kFloat, true)}));
}

TEST(MetaFormulasTest, ConvolutionsNormsAndSoftmaxAreTheKernels) {
  MetaFormulas formulas;
  int answered = 0;
  auto conv2d = operatorNamed("aten::conv2d", "");
  ASSERT_TRUE(conv2d);
  for (int64_t stride : {1, 2})
    for (int64_t padding : {0, 1})
      for (bool bias : {true, false})
        for (int64_t groups : {1, 2})
          for (bool grad : {true, false}) {
            Stack inputs{metaTensor({2, 4, 9, 7}, at::kFloat),
                         metaTensor({6, 4 / groups, 3, 3}, at::kFloat, grad),
                         bias ? c10::IValue(metaTensor({6}, at::kFloat))
                              : c10::IValue(),
                         std::vector<int64_t>{stride, stride},
                         std::vector<int64_t>{padding, padding},
                         std::vector<int64_t>{1, 1}, groups};
            answered += agrees(formulas, *conv2d, inputs);
          }
  auto batchNorm = operatorNamed("aten::batch_norm", "");
  ASSERT_TRUE(batchNorm);
  for (bool training : {false, true})
    for (const auto &shape : std::vector<std::vector<int64_t>>{
             {2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3}}) {
      Stack inputs{metaTensor(shape, at::kFloat),
                   metaTensor({3}, at::kFloat, true),
                   metaTensor({3}, at::kFloat, true),
                   metaTensor({3}, at::kFloat),
                   metaTensor({3}, at::kFloat),
                   training, 0.1, 1e-5, false};
      answered += agrees(formulas, *batchNorm, inputs);
    }
  auto softmax = operatorNamed("aten::softmax", "int");
  ASSERT_TRUE(softmax);
  for (int64_t dim : {0, 1, -1})
    answered += agrees(formulas, *softmax,
                       {metaTensor({2, 5}, at::kDouble), dim, c10::IValue()});
  auto layerNorm = operatorNamed("aten::layer_norm", "");
  ASSERT_TRUE(layerNorm);
  answered += agrees(formulas, *layerNorm,
                     {metaTensor({2, 3, 8}, at::kFloat),
                      std::vector<int64_t>{8}, metaTensor({8}, at::kFloat),
                      metaTensor({8}, at::kFloat), 1e-5, false});
  EXPECT_GT(answered, 40);
  // A weight of the wrong channels: the kernel raises, the formula declines.
  EXPECT_FALSE(formulas.run(conv2d->schema(),
                            {metaTensor({2, 4, 9, 7}, at::kFloat),
                             metaTensor({6, 3, 3, 3}, at::kFloat), c10::IValue(),
                             std::vector<int64_t>{1, 1},
                             std::vector<int64_t>{0, 0},
                             std::vector<int64_t>{1, 1}, int64_t(1)}));
}

TEST(MetaFormulasTest, DeclinesWhatItCannotLayOut) {
  MetaFormulas formulas;
  auto add = operatorNamed("aten::add", "Tensor");
  ASSERT_TRUE(add);
  at::Tensor transposed = metaTensor({3, 2}, at::kFloat).t();
  EXPECT_FALSE(formulas.run(add->schema(),
                            {transposed, metaTensor({2, 3}, at::kFloat),
                             int64_t(1)}));
  // Shapes that do not broadcast: the kernel says how.
  EXPECT_FALSE(formulas.run(add->schema(),
                            {metaTensor({2}, at::kFloat),
                             metaTensor({3}, at::kFloat), int64_t(1)}));
  // In place, `self` cannot grow to the broadcast shape: the kernel raises.
  auto addInPlace = operatorNamed("aten::add_", "Tensor");
  ASSERT_TRUE(addInPlace);
  EXPECT_FALSE(formulas.run(addInPlace->schema(),
                            {metaTensor({2}, at::kFloat),
                             metaTensor({3, 2}, at::kFloat), int64_t(1)}));
  // Nor can an integer `self` hold a float result.
  EXPECT_FALSE(formulas.run(addInPlace->schema(),
                            {metaTensor({2}, at::kLong),
                             metaTensor({2}, at::kFloat), int64_t(1)}));
}

} // namespace
