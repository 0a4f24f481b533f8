//===- test/unit/MetaFormulasTest.cpp - Metadata by formula ---------------===//
//
// Each formula of passes/evaluate/MetaFormulas against the CPU kernel it
// stands in for (run on real tensors of the same sizes and dtypes; some of
// these operators have no meta kernel in LibTorch 1.13): on every combination
// of shapes (broadcast, 0-d, empty, size-1 dimensions), dtypes and grad, where
// the formula answers, sizes, strides, dtype, requires_grad and being a leaf
// must be the kernel's, and the kernel must not raise.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaFormulas.h"
#include "passes/evaluate/MetaValues.h"

#include "GraphTestSupport.h"

#include <ATen/ATen.h>
#include <c10/util/Backtrace.h>
#include <c10/util/Logging.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

using namespace torch::jit;
using s2t::evaluate::MetaFormulas;

namespace {

using s2t::unit::operatorNamed;

/// The kernel's output on `inputs`, or None when it raises (`error` says
/// why).
c10::optional<c10::IValue> kernelOutput(Operator &op, Stack inputs,
                                        std::string &error) {
  try {
    op.getOperation()(inputs);
  } catch (const c10::Error &e) {
    error = e.what_without_backtrace();
    return c10::nullopt;
  } catch (const std::exception &e) { // infer_size's std::runtime_error
    error = e.what();
    return c10::nullopt;
  }
  return inputs.at(0);
}

at::Tensor metaTensor(std::vector<int64_t> sizes, at::ScalarType dtype,
                      bool requiresGrad = false) {
  at::Tensor tensor = at::empty(sizes, at::TensorOptions()
                                           .device(c10::kMeta)
                                           .dtype(dtype));
  return requiresGrad ? tensor.requires_grad_(true) : tensor;
}

/// `tensor` as "Float[2, 3]" (with its strides where they are not
/// contiguous, and "grad" where it requires grad).
std::string describe(const at::Tensor &tensor) {
  if (!tensor.defined())
    return "undefined";
  std::string text = std::string(c10::toString(tensor.scalar_type())) +
                     c10::str(tensor.sizes());
  if (!tensor.is_contiguous())
    text += c10::str("@", tensor.strides());
  return tensor.requires_grad() ? text + " grad" : text;
}

/// `inputs` as "Float[2, 3], 1": meta tensors cannot be printed.
std::string describe(const Stack &inputs) {
  std::string text;
  for (const c10::IValue &value : inputs) {
    if (!text.empty())
      text += ", ";
    if (value.isTensor())
      text += describe(value.toTensor());
    else if (value.isTensorList()) {
      text += "[";
      for (const at::Tensor &tensor : value.toTensorVector())
        text += describe(tensor) + " ";
      text += "]";
    } else
      text += c10::str(value);
  }
  return text;
}

/// `inputs` with each meta tensor replaced by a CPU tensor of zeros of the
/// same sizes, strides, dtype and requires_grad; one computed in grad mode
/// (no leaf) by a view of a computed tensor, at the same storage offset.
at::Tensor onCpu(const at::Tensor &meta) {
  if (!meta.defined())
    return meta;
  int64_t extent = meta.storage_offset() + 1;
  for (int64_t d = 0; d < meta.dim(); ++d)
    extent += std::max<int64_t>(meta.size(d) - 1, 0) * meta.stride(d);
  at::Tensor storage =
      at::zeros({extent}, meta.options().device(c10::kCPU));
  bool computed = meta.requires_grad() && !meta.is_leaf();
  if (computed)
    storage = storage.requires_grad_(true).mul(1);
  at::Tensor tensor =
      storage.as_strided(meta.sizes(), meta.strides(), meta.storage_offset());
  return meta.requires_grad() && !computed ? tensor.requires_grad_(true)
                                           : tensor;
}

Stack onCpu(const Stack &inputs) {
  Stack cpu;
  for (const c10::IValue &value : inputs) {
    if (value.isTensor()) {
      cpu.emplace_back(onCpu(value.toTensor()));
    } else if (value.isTensorList()) {
      c10::List<at::Tensor> list;
      for (const at::Tensor &meta : value.toTensorVector())
        list.push_back(onCpu(meta));
      cpu.emplace_back(std::move(list));
    } else {
      cpu.push_back(value);
    }
  }
  return cpu;
}

/// The index of the tensor on `stack` that is `tensor` itself, or -1.
int indexOfSame(const Stack &stack, const at::Tensor &tensor) {
  for (size_t i = 0; i < stack.size(); ++i)
    if (stack[i].isTensor() && stack[i].toTensor().is_same(tensor))
      return static_cast<int>(i);
  return -1;
}

/// Checks the formula on `inputs` against the kernel; returns whether the
/// formula answered.
bool agrees(MetaFormulas &formulas, Operator &op, const Stack &inputs) {
  c10::optional<c10::IValue> formula = formulas.run(op.schema(), inputs);
  if (!formula)
    return false;
  std::string error;
  Stack cpu = onCpu(inputs);
  c10::optional<c10::IValue> kernel = kernelOutput(op, cpu, error);
  EXPECT_TRUE(kernel.has_value())
      << op.schema() << ": the formula answered where the kernel raises on "
      << describe(inputs) << ": " << error;
  if (!kernel)
    return true;
  std::string what = c10::str(op.schema(), " on ", describe(inputs));
  if (!kernel->isTensor()) { // size: a number or a list of them
    EXPECT_EQ(*formula, *kernel) << what;
    return true;
  }
  const at::Tensor &mine = formula->toTensor();
  const at::Tensor &theirs = kernel->toTensor();
  EXPECT_EQ(mine.sizes(), theirs.sizes()) << what;
  EXPECT_EQ(mine.strides(), theirs.strides()) << what;
  EXPECT_EQ(mine.scalar_type(), theirs.scalar_type()) << what;
  EXPECT_EQ(mine.requires_grad(), theirs.requires_grad()) << what;
  // A computed result is no leaf: in-place operations on it are allowed.
  EXPECT_EQ(mine.is_leaf(), theirs.is_leaf()) << what;
  EXPECT_TRUE(mine.is_meta());
  // The kernel's result is an input itself (in place, dropout in
  // evaluation) exactly where the formula's is; else the formula's is no
  // view and the kernel's shares no input's storage (linear of a 3-d input
  // returns a view of the matrix it computed).
  int same = indexOfSame(cpu, theirs);
  EXPECT_EQ(indexOfSame(inputs, mine), same) << what;
  if (same < 0) {
    EXPECT_FALSE(mine.is_view()) << what;
    for (const c10::IValue &input : cpu)
      if (input.isTensor() && input.toTensor().defined())
        EXPECT_FALSE(theirs.storage().is_alias_of(input.toTensor().storage()))
            << what;
  }
  return true;
}

/// Whether the kernel raises on `inputs` (on CPU tensors like them).
bool kernelRaises(Operator &op, const Stack &inputs) {
  std::string error;
  return !kernelOutput(op, onCpu(inputs), error).has_value();
}

/// agrees(), and where `inputs` are of the cases the formula takes, that it
/// answers exactly where the kernel does not raise (the formula declines
/// everything the kernel refuses, and nothing else).
bool answersWhereTheKernelDoes(MetaFormulas &formulas, Operator &op,
                               const Stack &inputs) {
  bool answered = agrees(formulas, op, inputs);
  if (!answered)
    EXPECT_TRUE(kernelRaises(op, inputs))
        << op.schema() << ": the formula declined where the kernel answers "
        << describe(inputs);
  return answered;
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

/// Integer lists for the tests' arguments.
using Ints = std::vector<int64_t>;

/// While alive, a c10::Error records no backtrace: the tests below make the
/// kernels raise thousands of times, and symbolizing each backtrace cost
/// seconds. Restores LibTorch's default fetcher (c10/util/Logging.cpp).
struct NoBacktraces {
  NoBacktraces() {
    c10::SetStackTraceFetcher([] { return std::string(); });
  }
  ~NoBacktraces() {
    c10::SetStackTraceFetcher([] { return c10::get_backtrace(1); });
  }
};

TEST(MetaFormulasTest, PoolingIsTheKernels) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto maxPool = operatorNamed("aten::max_pool2d", "");
  auto avgPool = operatorNamed("aten::avg_pool2d", "");
  ASSERT_TRUE(maxPool && avgPool);
  int answered = 0, declined = 0;
  // Windows that fit and do not, odd and even sizes, ceil_mode's dropped
  // last window (5 with kernel 2, stride 2, padding 1), padding beyond half
  // the kernel, strides larger than the kernel, an empty batch.
  const std::vector<Ints> shapes = {{1, 3, 7, 7},  {2, 2, 5, 6}, {1, 1, 1, 1},
                                    {3, 4, 2},     {0, 2, 4, 4}, {1, 2, 9, 4},
                                    {2, 1, 3, 10}, {1, 1, 2, 5}};
  const std::vector<Ints> kernels = {{1}, {2}, {3}, {3, 2}, {4, 1}};
  const std::vector<Ints> strides = {{}, {1}, {2}, {3, 1}, {5}};
  const std::vector<Ints> paddings = {{0}, {1}, {1, 0}, {2}};
  for (const Ints &shape : shapes)
    for (const Ints &kernel : kernels)
      for (const Ints &stride : strides)
        for (const Ints &padding : paddings)
          for (bool ceilMode : {false, true})
            for (at::ScalarType dtype : {at::kFloat, at::kDouble})
              for (bool grad : {false, true}) {
                for (const Ints &dilation : std::vector<Ints>{{1}, {2, 1}}) {
                  Stack inputs{metaTensor(shape, dtype, grad),
                               kernel,
                               stride,
                               padding,
                               dilation,
                               ceilMode};
                  bool yes =
                      answersWhereTheKernelDoes(formulas, *maxPool, inputs);
                  answered += yes;
                  declined += !yes;
                }
                for (bool includePad : {true, false})
                  for (c10::IValue divisor : {c10::IValue(), c10::IValue(3)}) {
                    Stack inputs{metaTensor(shape, dtype, grad),
                                 kernel,
                                 stride,
                                 padding,
                                 ceilMode,
                                 includePad,
                                 divisor};
                    bool yes =
                        answersWhereTheKernelDoes(formulas, *avgPool, inputs);
                    answered += yes;
                    declined += !yes;
                  }
              }
  EXPECT_GT(answered, 10000);
  EXPECT_GT(declined, 5000); // where the kernels raise
  // ceil_mode: 6 of kernel 3, stride 2 pools to 3 windows (2 without), 5 of
  // kernel 2, stride 2, padding 1 to 3 (a fourth would start in the
  // padding).
  auto pooled = [&](Ints shape, Ints kernel, Ints stride, Ints padding) {
    auto out =
        formulas.run(maxPool->schema(), {metaTensor(shape, at::kFloat), kernel,
                                         stride, padding, Ints{1}, true});
    return out ? out->toTensor().sizes().vec() : Ints();
  };
  EXPECT_EQ(pooled({1, 1, 6, 6}, {3}, {2}, {0}), (Ints{1, 1, 3, 3}));
  EXPECT_EQ(pooled({1, 1, 5, 5}, {2}, {2}, {1}), (Ints{1, 1, 3, 3}));
  // Declined: an empty channel dimension, a zero stride or kernel, a
  // divisor of zero, three values for two dimensions, a 2-d input.
  for (Stack inputs :
       std::vector<Stack>{{metaTensor({1, 0, 4, 4}, at::kFloat), Ints{2},
                           Ints{}, Ints{0}, Ints{1}, false},
                          {metaTensor({1, 2, 4, 4}, at::kFloat), Ints{2},
                           Ints{0}, Ints{0}, Ints{1}, false},
                          {metaTensor({1, 2, 4, 4}, at::kFloat), Ints{0},
                           Ints{}, Ints{0}, Ints{1}, false},
                          {metaTensor({1, 2, 4, 4}, at::kFloat), Ints{2, 2, 2},
                           Ints{}, Ints{0}, Ints{1}, false},
                          {metaTensor({4, 4}, at::kFloat), Ints{2}, Ints{},
                           Ints{0}, Ints{1}, false}})
    EXPECT_FALSE(formulas.run(maxPool->schema(), inputs)) << describe(inputs);
  EXPECT_FALSE(formulas.run(avgPool->schema(),
                            {metaTensor({1, 2, 4, 4}, at::kFloat), Ints{2},
                             Ints{}, Ints{0}, false, true, int64_t(0)}));
}

TEST(MetaFormulasTest, PoolingDeclinesWhatItCannotLayOut) {
  MetaFormulas formulas;
  auto maxPool = operatorNamed("aten::max_pool2d", "");
  ASSERT_TRUE(maxPool);
  // Channels last (the kernel keeps it), a transposed input, integers and
  // half: the kernel decides.
  at::Tensor channelsLast =
      at::empty({2, 3, 4, 4}, at::TensorOptions().device(c10::kMeta))
          .contiguous(at::MemoryFormat::ChannelsLast);
  for (const at::Tensor &input :
       {channelsLast, metaTensor({2, 3, 4, 5}, at::kFloat).transpose(2, 3),
        metaTensor({2, 3, 4, 4}, at::kLong),
        metaTensor({2, 3, 4, 4}, at::kHalf)})
    EXPECT_FALSE(formulas.run(
        maxPool->schema(), {input, Ints{2}, Ints{}, Ints{0}, Ints{1}, false}))
        << describe(input);
}

TEST(MetaFormulasTest, MaxPool1dIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto maxPool = operatorNamed("aten::max_pool1d", "");
  ASSERT_TRUE(maxPool);
  int answered = 0;
  for (const Ints &shape : std::vector<Ints>{{2, 3, 7}, {3, 8}, {1, 1, 1}})
    for (int64_t kernel : {1, 2, 3})
      for (const Ints &stride : std::vector<Ints>{{}, {1}, {2}})
        for (int64_t padding : {0, 1})
          for (int64_t dilation : {1, 2})
            for (bool ceilMode : {false, true})
              for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
                Stack inputs{metaTensor(shape, dtype),
                             Ints{kernel},
                             stride,
                             Ints{padding},
                             Ints{dilation},
                             ceilMode};
                // (The kernel also makes an output of no element, which
                // the formula leaves to it.)
                answered += agrees(formulas, *maxPool, inputs);
                // Requiring grad, the kernel returns a view of
                // max_pool1d_with_indices' output: declined.
                inputs[0] = metaTensor(shape, dtype, true);
                EXPECT_FALSE(formulas.run(maxPool->schema(), inputs));
              }
  EXPECT_GT(answered, 200);
}

// s3d and mvit_v2_s pool in three dimensions, which has no meta kernel in
// LibTorch 1.13: without a formula, everything before it ran for real.
TEST(MetaFormulasTest, MaxPool3dIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto maxPool = operatorNamed("aten::max_pool3d", "");
  ASSERT_TRUE(maxPool);
  int answered = 0;
  for (const Ints &shape :
       std::vector<Ints>{{1, 2, 5, 6, 7}, {2, 4, 4, 5}, {1, 1, 1, 1, 1}, {2, 0, 3, 3, 3}})
    for (const Ints &kernel : std::vector<Ints>{{1}, {2}, {3, 2, 1}})
      for (const Ints &stride : std::vector<Ints>{{}, {1}, {2, 1, 2}})
        for (int64_t padding : {0, 1})
          for (int64_t dilation : {1, 2})
            for (bool ceilMode : {false, true})
              for (at::ScalarType dtype : {at::kFloat, at::kDouble})
                for (bool grad : {false, true}) {
                  Stack inputs{metaTensor(shape, dtype, grad),
                               kernel,
                               stride,
                               Ints{padding},
                               Ints{dilation},
                               ceilMode};
                  answered +=
                      answersWhereTheKernelDoes(formulas, *maxPool, inputs);
                }
  EXPECT_GT(answered, 300);
}

TEST(MetaFormulasTest, AdaptiveAveragePoolingIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto pool = operatorNamed("aten::adaptive_avg_pool2d", "");
  ASSERT_TRUE(pool);
  int answered = 0;
  for (const Ints &shape : std::vector<Ints>{{1, 2048, 7, 7},
                                             {2, 3, 5, 4},
                                             {3, 1, 1},
                                             {0, 2, 3, 3},
                                             {1, 1, 1, 1},
                                             {2, 0, 3, 3},
                                             {2, 3, 0, 3},
                                             {5, 5},
                                             {1, 2, 3, 4, 5}})
    for (const Ints &size : std::vector<Ints>{
             {1, 1}, {2, 3}, {7, 7}, {0, 1}, {1}, {1, 2, 3}, {-1, 1}})
      for (at::ScalarType dtype : {at::kFloat, at::kDouble})
        for (bool grad : {false, true}) {
          Stack inputs{metaTensor(shape, dtype, grad), size};
          if (shape.size() >= 3 && shape.size() <= 4 && size.size() == 2 &&
              size[0] >= 0 && shape[shape.size() - 1] > 0 &&
              shape[shape.size() - 2] > 0 && shape[shape.size() - 3] > 0)
            answered += answersWhereTheKernelDoes(formulas, *pool, inputs);
          else
            answered += agrees(formulas, *pool, inputs);
        }
  EXPECT_EQ(answered, 5 * 4 * 2 * 2);
  // A transposed input: the kernel decides.
  EXPECT_FALSE(formulas.run(
      pool->schema(),
      {metaTensor({1, 3, 4, 5}, at::kFloat).transpose(2, 3), Ints{1, 1}}));
}

TEST(MetaFormulasTest, MatrixProductsAreTheKernels) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto linear = operatorNamed("aten::linear", "");
  auto addmm = operatorNamed("aten::addmm", "");
  auto mm = operatorNamed("aten::mm", "");
  auto matmul = operatorNamed("aten::matmul", "");
  ASSERT_TRUE(linear && addmm && mm && matmul);
  int answered = 0;
  const std::vector<Ints> matrices = {{1, 3}, {2, 3},    {3, 1},
                                      {0, 3}, {3, 0},    {4},
                                      {2, 3, 3}, {2, 1, 3}, {2, 2, 0, 3}};
  for (const Ints &a : matrices)
    for (const Ints &b : matrices)
      for (at::ScalarType da : {at::kFloat, at::kDouble})
        for (at::ScalarType db : {at::kFloat, at::kDouble})
          for (bool grad : {false, true}) {
            // Matrices of one dtype are what the formulas take, and
            // matmul's batches of them.
            auto check = da == db && a.size() == 2 && b.size() == 2
                             ? answersWhereTheKernelDoes
                             : agrees;
            bool batches = da == db && a.size() >= 3 && b.size() >= 3;
            answered += check(formulas, *mm,
                              {metaTensor(a, da, grad), metaTensor(b, db)});
            answered += (batches ? answersWhereTheKernelDoes : check)(
                formulas, *matmul,
                {metaTensor(a, da), metaTensor(b, db, grad)});
            if (batches) // the second batch transposed: any strides
              answered += answersWhereTheKernelDoes(
                  formulas, *matmul,
                  {metaTensor(a, da, grad),
                   metaTensor(b, db).transpose(-1, -2)});
            for (c10::IValue bias :
                 {c10::IValue(), c10::IValue(metaTensor({b[0]}, db)),
                  c10::IValue(metaTensor({b[0] + 1}, db)),
                  c10::IValue(metaTensor({1, b[0]}, db))}) {
              bool plain = bias.isNone() || (bias.toTensor().dim() == 1 &&
                                             bias.toTensor().size(0) == b[0]);
              Stack inputs{metaTensor(a, da), metaTensor(b, db, grad), bias};
              // linear takes batches of rows as well.
              auto checkLinear = da == db && a.size() >= 2 && b.size() == 2
                                     ? answersWhereTheKernelDoes
                                     : agrees;
              answered +=
                  (plain ? checkLinear : agrees)(formulas, *linear, inputs);
            }
            for (const Ints &self : std::vector<Ints>{{},
                                                      {1},
                                                      {b.back()},
                                                      {a[0], 1},
                                                      {a[0], b.back()},
                                                      {2, a[0], b.back()},
                                                      {b.back() + 1}})
              for (c10::IValue beta : {c10::IValue(1), c10::IValue(0.5)}) {
                Stack inputs{metaTensor(self, db, grad), metaTensor(a, da),
                             metaTensor(b, db), beta, int64_t(2)};
                bool plain =
                    self.size() <= 2 && (self.empty() || self.back() == 1 ||
                                         self.back() == b.back());
                answered += (plain ? check : agrees)(formulas, *addmm, inputs);
              }
          }
  EXPECT_GT(answered, 300);
  // A complex beta, a transposed matrix: the kernel decides.
  EXPECT_FALSE(
      formulas.run(addmm->schema(),
                   {metaTensor({3}, at::kFloat), metaTensor({2, 4}, at::kFloat),
                    metaTensor({4, 3}, at::kFloat),
                    c10::IValue(c10::complex<double>(1, 1)), 1}));
  EXPECT_FALSE(
      formulas.run(mm->schema(), {metaTensor({2, 4}, at::kFloat),
                                  metaTensor({3, 4}, at::kFloat).t()}));
}

TEST(MetaFormulasTest, CatIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto cat = operatorNamed("aten::cat", "");
  ASSERT_TRUE(cat);
  int answered = 0;
  const std::vector<Ints> shapes = {{2, 3, 4}, {2, 1, 4}, {2, 0, 4}, {3, 3, 4},
                                    {2, 3},    {0},       {5},       {}};
  for (const Ints &a : shapes)
    for (const Ints &b : shapes)
      for (int64_t dim : {0, 1, 2, -1, -3, 3})
        for (at::ScalarType db : {at::kFloat, at::kDouble, at::kLong})
          for (bool grad : {false, true}) {
            c10::List<at::Tensor> tensors(
                {metaTensor(a, at::kFloat, grad), metaTensor(b, db)});
            Stack inputs{tensors, dim};
            bool plain = db == at::kFloat && a.size() == b.size() &&
                         a != Ints{0} && b != Ints{0};
            answered += (plain ? answersWhereTheKernelDoes
                               : agrees)(formulas, *cat, inputs);
            c10::List<at::Tensor> three({metaTensor(a, at::kDouble),
                                         metaTensor(a, at::kDouble, grad),
                                         metaTensor(a, at::kDouble)});
            answered += agrees(formulas, *cat, {three, dim});
          }
  EXPECT_GT(answered, 200);
  // Mixed dtypes promote: the kernel decides.
  EXPECT_FALSE(formulas.run(
      cat->schema(), {c10::List<at::Tensor>({metaTensor({2}, at::kFloat),
                                             metaTensor({2}, at::kDouble)}),
                      int64_t(0)}));
  // Tensors of other strides: halves of a channel split (shufflenet's),
  // transposed, sliced with a step, channels last. The output is
  // contiguous unless every tensor suggests channels last.
  at::Tensor image = metaTensor({2, 4, 3, 3}, at::kFloat, true).mul(2);
  at::Tensor last =
      metaTensor({2, 4, 3, 3}, at::kFloat).contiguous(at::MemoryFormat::ChannelsLast);
  at::Tensor half = image.slice(1, 0, 2), otherHalf = image.slice(1, 2, 4);
  at::Tensor matrix = metaTensor({3, 3}, at::kFloat);
  answered = 0;
  for (const std::vector<at::Tensor> &pair :
       std::vector<std::vector<at::Tensor>>{{half, otherHalf},
                                           {half, image},
                                           {image.transpose(2, 3), image},
                                           {image, last},
                                           {last, image},
                                           {last, half},
                                           {matrix, matrix.t()},
                                           {matrix.t(), matrix.t()},
                                           {matrix.slice(0, 0, 3, 2), matrix}})
    for (int64_t dim : {0, 1, -1})
      answered += answersWhereTheKernelDoes(
          formulas, *cat, {c10::List<at::Tensor>(pair), dim});
  EXPECT_GT(answered, 15);
  for (int64_t dim : {0, 1})
    EXPECT_FALSE(formulas.run(cat->schema(),
                              {c10::List<at::Tensor>({last, last}), dim}));
}

TEST(MetaFormulasTest, MeanIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto mean = operatorNamed("aten::mean", "dim");
  ASSERT_TRUE(mean);
  int answered = 0;
  for (const Ints &shape :
       std::vector<Ints>{{2, 3, 4, 5}, {1, 1, 1}, {2, 0, 3}, {3}, {}})
    for (const Ints &dims : std::vector<Ints>{
             {-1, -2}, {2, 3}, {0}, {1}, {-1}, {0, 0}, {1, -3}, {4}, {}})
      for (bool keepdim : {false, true})
        for (at::ScalarType dtype : {at::kFloat, at::kDouble, at::kLong}) {
          Stack inputs{metaTensor(shape, dtype, dtype == at::kFloat), dims,
                       keepdim, c10::IValue()};
          bool plain = dtype != at::kLong && !shape.empty() && !dims.empty();
          answered += (plain ? answersWhereTheKernelDoes
                             : agrees)(formulas, *mean, inputs);
        }
  EXPECT_GT(answered, 40);
  // A dtype asked for: the kernel decides.
  EXPECT_FALSE(
      formulas.run(mean->schema(), {metaTensor({2, 3}, at::kFloat), Ints{1},
                                    false, c10::IValue(int64_t(at::kDouble))}));
}

// swin transformers shift their windows with roll, which has no meta kernel
// in LibTorch 1.13: without a formula, everything before it ran for real.
TEST(MetaFormulasTest, RollIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto roll = operatorNamed("aten::roll", "");
  ASSERT_TRUE(roll);
  int answered = 0;
  // Size-1 and empty dimensions, 4-d and 5-d tensors (whose narrowed halves
  // cat could take for channels last), a 0-d tensor.
  const std::vector<Ints> shapes = {{},           {1},       {5},
                                    {0},          {2, 3},    {2, 0},
                                    {2, 1, 3},    {1, 4, 4, 3}, {2, 3, 1, 1},
                                    {2, 1, 1, 3}, {1, 1, 1, 1}, {2, 1, 3, 1, 2}};
  // One shift per dimension (repeated, negative, beyond the size), one shift
  // and none, and the mismatches and out-of-range dimensions the kernel
  // refuses.
  const std::vector<std::pair<Ints, Ints>> arguments = {
      {{1}, {}},         {{-7}, {}},      {{1, 2}, {}},     {{}, {}},
      {{}, {0}},         {{1}, {0}},      {{0}, {-1}},      {{-3}, {1}},
      {{1, 2}, {0, 1}},  {{1, 1}, {0, 0}}, {{1}, {0, 1}},   {{2}, {3}},
      {{2}, {-4}},       {{5, -7, 1}, {0, -1, 1}}, {{-3, -3}, {1, 2}},
      {{2}, {4}},        {{2}, {-5}}};
  std::vector<at::ScalarType> dtypes = kDtypes;
  dtypes.push_back(at::kBFloat16);
  for (const Ints &shape : shapes)
    for (const auto &[shifts, dims] : arguments)
      for (at::ScalarType dtype : dtypes) {
        Stack inputs{metaTensor(shape, dtype, dtype == at::kFloat), shifts,
                     dims};
        // An empty tensor is cloned, its dimensions unchecked: declined
        // where the kernel answers.
        bool plain = c10::multiply_integers(shape) != 0;
        answered += (plain ? answersWhereTheKernelDoes
                           : agrees)(formulas, *roll, inputs);
      }
  EXPECT_GT(answered, 400);
  // Channels last (cat keeps it), a transposed tensor, a narrowed one: the
  // kernel decides.
  at::Tensor channelsLast =
      at::empty({2, 3, 4, 4}, at::TensorOptions().device(c10::kMeta))
          .contiguous(at::MemoryFormat::ChannelsLast);
  for (const at::Tensor &input :
       {channelsLast, metaTensor({3, 4}, at::kFloat).t(),
        metaTensor({4, 3}, at::kFloat).narrow(0, 1, 2)})
    EXPECT_FALSE(formulas.run(roll->schema(), {input, Ints{1}, Ints{1}}))
        << describe(input);
}

TEST(MetaFormulasTest, DropoutInEvaluationAndFlattenOfOneDimensionAreTheInput) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  int answered = 0;
  for (const char *name :
       {"aten::dropout", "aten::dropout_", "aten::feature_dropout",
        "aten::alpha_dropout", "aten::feature_alpha_dropout_"}) {
    auto op = operatorNamed(name, "");
    ASSERT_TRUE(op);
    for (const Ints &shape : std::vector<Ints>{{2, 3, 4, 4}, {3}, {}, {0, 2}})
      for (double p : {0.0, 0.2, 1.0, 1.5, -0.1})
        for (bool grad : {false, true}) {
          Stack inputs{metaTensor(shape, at::kFloat, grad), p, false};
          answered += answersWhereTheKernelDoes(formulas, *op, inputs);
          // Training draws from the generator, unless p is 0 (swin_v2's
          // F.dropout(attn, p=0.0)): then the kernel returns its input.
          inputs[2] = true;
          if (p == 0.0)
            answered += answersWhereTheKernelDoes(formulas, *op, inputs);
          else
            EXPECT_FALSE(formulas.run(op->schema(), inputs));
        }
  }
  EXPECT_EQ(answered, 5 * 4 * 3 * 2 + 5 * 4 * 2);
  auto flatten = operatorNamed("aten::flatten", "using_ints");
  ASSERT_TRUE(flatten);
  answered = 0;
  for (const Ints &shape : std::vector<Ints>{{2, 3, 4}, {5}, {}})
    for (int64_t start : {0, 1, -1, 3})
      for (int64_t end : {0, 1, -1, 2}) {
        Stack inputs{metaTensor(shape, at::kFloat), start, end};
        answered += agrees(formulas, *flatten, inputs);
      }
  EXPECT_EQ(answered, 4 + 4); // (0, 0), (1, 1), (-1, -1), (-1, 2); 5's four
  // A flatten of several dimensions is a view of fewer: the kernel's.
  EXPECT_FALSE(
      formulas.run(flatten->schema(), {metaTensor({2, 3, 4}, at::kFloat),
                                       int64_t(1), int64_t(-1)}));
}

TEST(MetaFormulasTest, SizesAndClampsAreTheKernels) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto sizes = operatorNamed("aten::size", "");
  auto sizeOf = operatorNamed("aten::size", "int");
  auto hardtanh = operatorNamed("aten::hardtanh", "");
  auto relu6 = operatorNamed("aten::relu6", "");
  ASSERT_TRUE(sizes && sizeOf && hardtanh && relu6);
  int answered = 0;
  for (const auto &shape : kShapes)
    for (at::ScalarType dtype : kDtypes) {
      at::Tensor input = metaTensor(shape, dtype, dtype == at::kFloat);
      answered += agrees(formulas, *sizes, {input});
      for (int64_t dim : {0, 1, -1, 2, -3})
        answered += agrees(formulas, *sizeOf, {input, dim});
      answered += agrees(formulas, *relu6, {input});
      for (c10::IValue low : {c10::IValue(-1), c10::IValue(0.5)})
        answered += agrees(formulas, *hardtanh, {input, low, c10::IValue(6)});
    }
  EXPECT_GT(answered, 250);
}

/// Checks a view formula on `inputs` (a meta tensor first) against the CPU
/// kernel: sizes, strides, the storage offset from the input's, dtype,
/// requires_grad, being a leaf, being the input itself. Where the formula
/// declines, the kernel must raise, if `declinesOnlyErrors`.
bool viewAgrees(MetaFormulas &formulas, Operator &op, const Stack &inputs,
                bool declinesOnlyErrors = true) {
  c10::optional<c10::IValue> formula = formulas.run(op.schema(), inputs);
  std::string what = c10::str(op.schema(), " on ", describe(inputs));
  Stack cpu = onCpu(inputs);
  std::string error;
  c10::optional<c10::IValue> kernel = kernelOutput(op, cpu, error);
  if (!formula) {
    if (declinesOnlyErrors)
      EXPECT_FALSE(kernel.has_value())
          << what << ": the formula declined where the kernel answers";
    return false;
  }
  EXPECT_TRUE(kernel.has_value())
      << what << ": the formula answered where the kernel raises: " << error;
  if (!kernel)
    return true;
  const at::Tensor &mine = formula->toTensor();
  const at::Tensor &theirs = kernel->toTensor();
  const at::Tensor &self = inputs[0].toTensor();
  EXPECT_EQ(mine.sizes(), theirs.sizes()) << what;
  EXPECT_EQ(mine.strides(), theirs.strides()) << what;
  EXPECT_EQ(mine.storage_offset() - self.storage_offset(),
            theirs.storage_offset() - cpu[0].toTensor().storage_offset())
      << what;
  EXPECT_EQ(mine.scalar_type(), theirs.scalar_type()) << what;
  EXPECT_EQ(mine.requires_grad(), theirs.requires_grad()) << what;
  EXPECT_EQ(mine.is_leaf(), theirs.is_leaf()) << what;
  EXPECT_EQ(mine.is_contiguous(), theirs.is_contiguous()) << what;
  EXPECT_TRUE(mine.is_meta());
  EXPECT_EQ(indexOfSame(inputs, mine), indexOfSame(cpu, theirs)) << what;
  return true;
}

/// Meta tensors computed in grad mode (they require grad and are no
/// leaves): contiguous ones of several ranks (with empty and size-1
/// dimensions), a transposed one, one with a stride of 2 and one with a
/// storage offset.
std::vector<at::Tensor> computedInputs() {
  std::vector<at::Tensor> inputs;
  for (const Ints &shape :
       std::vector<Ints>{{}, {1}, {6}, {2, 3}, {2, 1, 3}, {4, 1, 1}, {2, 0, 3}})
    inputs.push_back(metaTensor(shape, at::kFloat, true).mul(2));
  at::Tensor base = metaTensor({4, 6}, at::kFloat, true).mul(2);
  inputs.push_back(base.t());
  inputs.push_back(base.slice(1, 0, 6, 2));
  inputs.push_back(base.select(0, 1).unsqueeze(1));
  return inputs;
}

// Each view formula on inputs that require grad and are no leaves, for
// every argument in range and many out of it (the formula must decline
// exactly where the kernel raises), against the CPU kernel.
TEST(MetaFormulasTest, ViewsAreTheKernels) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto transpose = operatorNamed("aten::transpose", "int");
  auto permute = operatorNamed("aten::permute", "");
  auto unsqueeze = operatorNamed("aten::unsqueeze", "");
  auto view = operatorNamed("aten::view", "");
  auto reshape = operatorNamed("aten::reshape", "");
  auto flatten = operatorNamed("aten::flatten", "using_ints");
  auto select = operatorNamed("aten::select", "int");
  auto slice = operatorNamed("aten::slice", "Tensor");
  ASSERT_TRUE(transpose && permute && unsqueeze && view && reshape &&
              flatten && select && slice);
  const Ints dims = {-4, -3, -2, -1, 0, 1, 2, 3};
  const std::vector<Ints> shapes = {{-1},    {6},     {1, -1}, {-1, 1},
                                    {2, -1}, {3, 2},  {2, 3},  {-1, -1},
                                    {0, -1}, {1, 2, 3}, {5},   {2, -2},
                                    {0},     {2, 0, 3}, {3, 0, -1}, {}};
  const std::vector<c10::IValue> bounds = {
      c10::IValue(), int64_t(-5), int64_t(-1), int64_t(0), int64_t(1),
      int64_t(2), int64_t(10), std::numeric_limits<int64_t>::max()};
  int answered = 0;
  for (const at::Tensor &self : computedInputs()) {
    int64_t rank = self.dim();
    for (int64_t a : dims)
      for (int64_t b : dims)
        answered += viewAgrees(formulas, *transpose, {self, a, b},
                               /*declinesOnlyErrors=*/rank > 0);
    Ints order(rank);
    std::iota(order.begin(), order.end(), 0);
    do {
      answered += viewAgrees(formulas, *permute, {self, order}, rank > 0);
      Ints negative = order;
      for (int64_t &d : negative)
        d -= rank;
      answered += viewAgrees(formulas, *permute, {self, negative}, rank > 0);
    } while (std::next_permutation(order.begin(), order.end()));
    for (const Ints &wrong : std::vector<Ints>{{0, 0}, {0}, {0, 1, 2, 3}, {5}})
      viewAgrees(formulas, *permute, {self, wrong}, rank > 0);
    for (int64_t d : dims)
      answered += viewAgrees(formulas, *unsqueeze, {self, d});
    for (const Ints &shape : shapes) {
      answered += viewAgrees(formulas, *view, {self, shape});
      answered += viewAgrees(formulas, *reshape, {self, shape});
    }
    for (int64_t start : dims)
      for (int64_t end : dims)
        answered += viewAgrees(formulas, *flatten, {self, start, end},
                               /*declinesOnlyErrors=*/rank > 0);
    for (int64_t d : dims)
      for (int64_t index : {-4, -1, 0, 1, 2, 5}) {
        answered += viewAgrees(formulas, *select, {self, d, index});
        for (const c10::IValue &start : bounds)
          for (const c10::IValue &end : bounds)
            for (int64_t step : {1, 2, 3, 0, -1})
              if (index == 0) // once per dimension
                answered +=
                    viewAgrees(formulas, *slice, {self, d, start, end, step});
      }
  }
  EXPECT_GT(answered, 5000);
}

// Views of tensors whose autograd state a view shares (inputs that do not
// require grad, leaves that do) and views made without grad mode are left
// to the kernel; flatten of one dimension is the input itself.
TEST(MetaFormulasTest, ViewsOfLeavesAndOfTheSampleAreTheKernels) {
  MetaFormulas formulas;
  auto transpose = operatorNamed("aten::transpose", "int");
  auto reshape = operatorNamed("aten::reshape", "");
  auto flatten = operatorNamed("aten::flatten", "using_ints");
  ASSERT_TRUE(transpose && reshape && flatten);
  for (bool grad : {false, true}) {
    at::Tensor leaf = metaTensor({2, 3}, at::kFloat, grad);
    EXPECT_FALSE(formulas.run(transpose->schema(),
                              {leaf, int64_t(0), int64_t(1)}));
    EXPECT_FALSE(formulas.run(reshape->schema(), {leaf, Ints{6}}));
    EXPECT_TRUE(viewAgrees(formulas, *flatten, {leaf, int64_t(1), int64_t(1)}));
  }
  at::Tensor computed = metaTensor({2, 3}, at::kFloat, true).mul(2);
  {
    at::NoGradGuard noGrad;
    EXPECT_FALSE(formulas.run(transpose->schema(),
                              {computed, int64_t(0), int64_t(1)}));
  }
  EXPECT_TRUE(formulas.run(transpose->schema(),
                           {computed, int64_t(0), int64_t(1)}));
}

// contiguous: the input itself where it is contiguous (of any rank, grad or
// not), else a contiguous copy; other memory formats are the kernel's.
TEST(MetaFormulasTest, ContiguousIsTheKernel) {
  NoBacktraces quickErrors;
  MetaFormulas formulas;
  auto contiguous = operatorNamed("aten::contiguous", "");
  ASSERT_TRUE(contiguous);
  int answered = 0;
  std::vector<at::Tensor> inputs = computedInputs();
  at::Tensor plain = metaTensor({4, 6}, at::kLong);
  inputs.insert(inputs.end(), {plain, plain.t(), plain.slice(1, 1, 5, 2),
                               metaTensor({3, 1}, at::kDouble, true)});
  for (const at::Tensor &self : inputs) {
    answered += viewAgrees(formulas, *contiguous,
                           {self, int64_t(c10::MemoryFormat::Contiguous)});
    EXPECT_FALSE(formulas.run(
        contiguous->schema(), {self, int64_t(c10::MemoryFormat::ChannelsLast)}));
  }
  EXPECT_EQ(answered, static_cast<int>(inputs.size()));
}

// A real tensor's stand-in: its sizes, strides (a transposed view, a slice
// of a larger buffer), dtype and requires_grad, on the meta device; a leaf.
TEST(MetaFormulasTest, StandInsKeepTheTensorsMetadata) {
  at::Tensor base = at::rand({4, 6});
  for (const at::Tensor &tensor :
       {base, base.t(), base.slice(1, 1, 5, 2),
        at::zeros({3}, at::kLong), at::rand({2, 3}).requires_grad_(),
        at::rand({}, at::kDouble).requires_grad_()}) {
    at::Tensor meta = s2t::evaluate::toMeta(tensor).toTensor();
    EXPECT_TRUE(meta.is_meta());
    EXPECT_EQ(meta.sizes(), tensor.sizes());
    EXPECT_EQ(meta.strides(), tensor.strides());
    EXPECT_EQ(meta.scalar_type(), tensor.scalar_type());
    EXPECT_EQ(meta.requires_grad(), tensor.requires_grad());
    EXPECT_TRUE(meta.is_leaf());
  }
}

} // namespace
