//===- passes/evaluate/MetaFormulas.cpp - Metadata by formula -------------===//
//
// See MetaFormulas.h. Each formula states the cases it takes; they are the
// cases in which TensorIterator, which the kernels use, makes a contiguous
// output of the promoted dtype and raises nothing:
//   - every tensor input has the contiguous strides of its sizes (then
//     TensorIterator's dimension order is the identity and it allocates the
//     output contiguous, broadcast or not);
//   - the inputs are float, double or integer tensors and the promoted dtype
//     is float or double (integer arithmetic has checks of its own: an
//     integer alpha, bool subtraction; half is not computed on CPU).
// The pooling, matrix, cat and mean formulas are those of structured kernels
// that allocate their output contiguous when the input suggests the
// contiguous memory format (a contiguous input does), with the kernel's
// argument checks; roll's is the narrow and cat it computes by.
// test/unit/MetaFormulasTest.cpp compares each formula with the CPU kernel;
// for pooling, the matrix products, cat, mean, roll and dropout it
// also checks that, in the cases taken, the formula declines exactly where
// the kernel raises.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaFormulas.h"

#include "passes/evaluate/MetaShapes.h"
#include "passes/evaluate/MetaValues.h"
#include "passes/evaluate/MetaViews.h"

#include <ATen/EmptyTensor.h>
#include <ATen/core/grad_mode.h>
#include <ATen/native/TypeProperties.h>
#include <c10/core/ScalarType.h>

#include <limits>
#include <string>
#include <unordered_set>

namespace s2t {
namespace evaluate {

using c10::IValue;

namespace {

/// Whether `tensor` is a meta tensor with the contiguous strides of its
/// sizes, exactly (also in dimensions of size 1).
bool hasContiguousStrides(const at::Tensor &tensor) {
  if (!tensor.defined() || !tensor.is_meta() ||
      tensor.layout() != c10::kStrided || tensor.storage_offset() != 0)
    return false;
  int64_t expected = 1;
  for (int64_t d = tensor.dim() - 1; d >= 0; --d) {
    if (tensor.stride(d) != expected)
      return false;
    expected *= std::max<int64_t>(tensor.size(d), 1);
  }
  return true;
}

/// float and double: every one of these kernels takes them on every
/// backend (half and bfloat16 not on CPU in LibTorch 1.13).
bool isFloating(at::ScalarType dtype) {
  return dtype == at::kFloat || dtype == at::kDouble;
}

/// Whether `tensor` is of a dtype the arithmetic formula takes: float,
/// double or an integer (subtracting bools raises; complex is not modelled).
bool isFloatingOrInteger(const at::Tensor &tensor) {
  return isFloating(tensor.scalar_type()) ||
         at::isIntegralType(tensor.scalar_type(), /*includeBool=*/false);
}

/// The broadcast of `a` and `b`, or None when they do not broadcast (the
/// kernel raises; it says how).
c10::optional<std::vector<int64_t>> broadcast(c10::IntArrayRef a,
                                              c10::IntArrayRef b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> sizes(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return c10::nullopt;
    sizes[i] = x == 1 ? y : x;
  }
  return sizes;
}

/// Whether a tensor on `inputs` (or in a list of tensors there) requires
/// grad, in grad mode: then autograd makes the output require grad.
bool anyRequiresGrad(const torch::jit::Stack &inputs) {
  if (!at::GradMode::is_enabled())
    return false;
  auto requiresGrad = [](const at::Tensor &tensor) {
    return tensor.defined() && tensor.requires_grad();
  };
  for (const IValue &input : inputs) {
    if (input.isTensor() && requiresGrad(input.toTensor()))
      return true;
    if (input.isTensorList())
      for (const at::Tensor &tensor : input.toTensorVector())
        if (requiresGrad(tensor))
          return true;
  }
  return false;
}

/// A meta output of `sizes`, contiguous, of `dtype`, requiring grad as
/// autograd would make it when one of the tensors on `inputs` requires grad.
IValue output(c10::IntArrayRef sizes, at::ScalarType dtype,
              const torch::jit::Stack &inputs) {
  at::Tensor result = at::detail::empty_meta(sizes, dtype, c10::nullopt,
                                             c10::nullopt, c10::nullopt,
                                             c10::nullopt);
  if (anyRequiresGrad(inputs))
    return asComputedRequiringGrad(std::move(result));
  return result;
}

/// Operators of one tensor that keep its sizes and floating dtype.
bool isFloatingUnary(const std::string &name) {
  static const std::unordered_set<std::string> names = {
      "relu", "sigmoid",    "tanh", "hardswish", "hardsigmoid",
      "silu", "neg",        "exp",  "abs",       "sin",
      "cos",  "rsqrt",      "sqrt", "log",       "erf",
      "gelu", "reciprocal", "mish", "relu6"};
  return names.count(name) != 0;
}

/// Elementwise arithmetic of a tensor and a tensor or a number.
bool isArithmetic(const std::string &name) {
  return name == "add" || name == "sub" || name == "mul" || name == "div";
}

c10::optional<IValue> unary(const c10::FunctionSchema &schema,
                            const torch::jit::Stack &stack) {
  // (Tensor self) or gelu's (Tensor self, *, str approximate='none').
  const auto &arguments = schema.arguments();
  if (arguments.empty() || arguments.size() > 2 || stack.size() != arguments.size())
    return c10::nullopt;
  if (arguments.size() == 2 &&
      (schema.name() != "aten::gelu" || !stack[1].isString() ||
       (stack[1].toStringRef() != "none" && stack[1].toStringRef() != "tanh")))
    return c10::nullopt;
  if (!stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()))
    return c10::nullopt;
  return output(self.sizes(), self.scalar_type(), stack);
}

c10::optional<IValue> arithmetic(const c10::FunctionSchema &schema,
                                 const torch::jit::Stack &stack) {
  // (Tensor self, Tensor other[, Scalar alpha]) or
  // (Tensor self, Scalar other[, Scalar alpha]); not div's rounding modes.
  static const std::string kTensor = "Tensor", kScalar = "Scalar";
  const std::string &overload = schema.overload_name();
  bool withTensor = overload == kTensor;
  if ((!withTensor && overload != kScalar) || stack.size() < 2 ||
      stack.size() != schema.arguments().size() || !stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isFloatingOrInteger(self))
    return c10::nullopt;
  at::native::ResultTypeState state;
  state = at::native::update_result_type_state(self, state);
  c10::IntArrayRef sizes = self.sizes();
  c10::optional<std::vector<int64_t>> joint;
  const at::Tensor *other = nullptr;
  if (withTensor) {
    if (!stack[1].isTensor() || !hasContiguousStrides(stack[1].toTensor()) ||
        !isFloatingOrInteger(stack[1].toTensor()))
      return c10::nullopt;
    other = &stack[1].toTensor();
    joint = broadcast(self.sizes(), other->sizes());
    if (!joint)
      return c10::nullopt;
    sizes = *joint;
    state = at::native::update_result_type_state(*other, state);
  } else {
    if (!stack[1].isInt() && !stack[1].isDouble())
      return c10::nullopt; // bool and complex numbers: the kernel decides
    state = at::native::update_result_type_state(stack[1].toScalar(), state);
  }
  if (stack.size() == 3 && !stack[2].isInt() && !stack[2].isDouble())
    return c10::nullopt; // a bool or complex alpha
  at::ScalarType dtype = at::native::result_type(state);
  if (!isFloating(dtype))
    return c10::nullopt;
  return output(sizes, dtype, stack);
}

/// relu_, add_, ... on `self`: the result is `self` itself, where the
/// operation could not fail: `self` a contiguous float or double tensor that
/// autograd lets be written (not a leaf or a view that requires grad), the
/// other operand a number or a tensor that broadcasts to `self`'s sizes
/// (the out-of-place formula checks the rest), and grad not acquired from it.
c10::optional<IValue> inPlace(const c10::FunctionSchema &schema,
                              const torch::jit::Stack &stack) {
  if (stack.empty() || !stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()) ||
      (self.requires_grad() && (self.is_leaf() || self.is_view())))
    return c10::nullopt;
  if (stack.size() == 1)
    return schema.arguments().size() == 1 ? c10::optional<IValue>(stack[0])
                                          : c10::nullopt;
  c10::optional<IValue> result = arithmetic(schema, stack);
  if (!result || !result->toTensor().sizes().equals(self.sizes()) ||
      result->toTensor().scalar_type() != self.scalar_type() ||
      result->toTensor().requires_grad() != self.requires_grad())
    return c10::nullopt;
  return stack[0];
}

/// Operators whose output MetaShapes sizes (nativeOutputSizes) and which
/// make it contiguous when every tensor input is: convolutions, norms,
/// softmax.
bool isSized(const std::string &name) {
  static const std::unordered_set<std::string> names = {
      "conv1d",     "conv2d",     "conv3d",        "batch_norm",
      "layer_norm", "group_norm", "instance_norm", "softmax",
      "log_softmax"};
  return names.count(name) != 0;
}

/// A sized operator's output (isSized): MetaShapes' sizes, checked as the
/// kernel checks its arguments, of the input's dtype, contiguous; where
/// every tensor input is contiguous.
c10::optional<IValue> sized(c10::Symbol kind, const torch::jit::Stack &stack) {
  if (stack.empty() || !stack[0].isTensor())
    return c10::nullopt;
  for (const IValue &value : stack)
    if (value.isTensor() && value.toTensor().defined() &&
        !hasContiguousStrides(value.toTensor()))
      return c10::nullopt;
  const at::Tensor &input = stack[0].toTensor();
  if (!isFloating(input.scalar_type()))
    return c10::nullopt;
  c10::optional<std::vector<int64_t>> sizes = nativeOutputSizes(kind, stack);
  if (!sizes)
    return c10::nullopt;
  return output(*sizes, input.scalar_type(), stack);
}

/// Whether `value` is a number the kernels take as a float Scalar (an int
/// or a double; bool and complex numbers are left to the kernel).
bool isRealNumber(const IValue &value) {
  return value.isInt() || value.isDouble();
}

/// hardtanh(self, min_val, max_val): clamp's output, empty_like `self`
/// (contiguous for a contiguous `self`), of real-number bounds.
c10::optional<IValue> hardtanh(const torch::jit::Stack &stack) {
  if (stack.size() != 3 || !stack[0].isTensor() || !isRealNumber(stack[1]) ||
      !isRealNumber(stack[2]))
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()))
    return c10::nullopt;
  return output(self.sizes(), self.scalar_type(), stack);
}

/// Values a pooling kernel narrows to int (safe_downcast raises beyond).
constexpr int64_t kMaxPoolingArgument = std::numeric_limits<int32_t>::max();

/// One pooling argument (`kernel_size`, `stride`, ...) for `spatial`
/// dimensions: one value for all of them or one per dimension, each in
/// [minimum, kMaxPoolingArgument]; an empty list is `fallback` (stride's
/// default, the kernel size) when there is one.
c10::optional<std::vector<int64_t>>
poolingArgument(const IValue &value, size_t spatial, int64_t minimum,
                const std::vector<int64_t> *fallback = nullptr) {
  if (!value.isIntList())
    return c10::nullopt;
  std::vector<int64_t> values = value.toIntVector();
  if (values.empty() && fallback)
    return *fallback;
  if (values.size() != 1 && values.size() != spatial)
    return c10::nullopt;
  int64_t first = values[0];
  values.resize(spatial, first);
  for (int64_t v : values)
    if (v < minimum || v > kMaxPoolingArgument)
      return c10::nullopt;
  return values;
}

/// The size of one pooled dimension, as PyTorch's pooling_output_shape
/// computes it (ATen/native/Pool.h), or None where the kernel raises: a
/// padding beyond half the kernel, an output of less than one element.
/// With `ceilMode` a last window that would start in the right padding is
/// dropped.
c10::optional<int64_t> pooledSize(int64_t input, int64_t kernel,
                                  int64_t padding, int64_t stride,
                                  int64_t dilation, bool ceilMode) {
  if (kernel < 1 || stride < 1 || dilation < 1 || padding < 0 ||
      padding > kernel / 2)
    return c10::nullopt;
  int64_t span = input + 2 * padding - dilation * (kernel - 1) - 1 +
                 (ceilMode ? stride - 1 : 0);
  if (span < 0) // div_rtn rounds down: no window fits
    return c10::nullopt;
  int64_t size = span / stride + 1;
  if (ceilMode && (size - 1) * stride >= input + padding)
    --size;
  if (size < 1)
    return c10::nullopt;
  return size;
}

/// max_pool2d (self, kernel_size, stride, padding, dilation, ceil_mode),
/// avg_pool2d (self, kernel_size, stride, padding, ceil_mode,
/// count_include_pad, divisor_override), max_pool1d and max_pool3d (as
/// max_pool2d, in one and three dimensions; video models pool in 3-d): on a
/// contiguous float or double input of one or two batch dimensions
/// (C, H, W or N, C, H, W for two spatial ones) whose non-batch dimensions are
/// not empty, the output is contiguous (the input suggests the contiguous
/// memory format) of the pooled sizes. max_pool1d on an input that
/// requires grad returns a view of max_pool1d_with_indices' output: left to
/// the kernel.
c10::optional<IValue> pool(c10::string_view name,
                           const torch::jit::Stack &stack) {
  bool average = name == "avg_pool2d";
  size_t spatial = name == "max_pool1d" ? 1 : name == "max_pool3d" ? 3 : 2;
  size_t arguments = average ? 7 : 6;
  if (stack.size() != arguments || !stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  int64_t rank = self.dim();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()) ||
      rank < static_cast<int64_t>(spatial) + 1 ||
      rank > static_cast<int64_t>(spatial) + 2)
    return c10::nullopt;
  for (int64_t d = rank == static_cast<int64_t>(spatial) + 2 ? 1 : 0; d < rank;
       ++d)
    if (self.size(d) == 0)
      return c10::nullopt;
  if (spatial == 1 && at::GradMode::is_enabled() && self.requires_grad())
    return c10::nullopt;
  auto kernel = poolingArgument(stack[1], spatial, 1);
  if (!kernel)
    return c10::nullopt;
  auto stride = poolingArgument(stack[2], spatial, 1, &*kernel);
  auto padding = poolingArgument(stack[3], spatial, 0);
  c10::optional<std::vector<int64_t>> dilation =
      average ? std::vector<int64_t>(spatial, 1)
              : poolingArgument(stack[4], spatial, 1);
  const IValue &ceilMode = stack[average ? 4 : 5];
  if (!stride || !padding || !dilation || !ceilMode.isBool())
    return c10::nullopt;
  if (average &&
      (!stack[5].isBool() ||
       !(stack[6].isNone() || (stack[6].isInt() && stack[6].toInt() != 0))))
    return c10::nullopt;
  std::vector<int64_t> sizes = self.sizes().vec();
  for (size_t d = 0; d < spatial; ++d) {
    int64_t &size = sizes[rank - spatial + d];
    auto pooled = pooledSize(size, (*kernel)[d], (*padding)[d], (*stride)[d],
                             (*dilation)[d], ceilMode.toBool());
    if (!pooled)
      return c10::nullopt;
    size = *pooled;
  }
  return output(sizes, self.scalar_type(), stack);
}

/// adaptive_avg_pool2d(self, output_size): on a contiguous float or double
/// input (C, H, W) or (N, C, H, W) whose non-batch dimensions are not empty,
/// the output is contiguous, of the sizes asked for (for 1 x 1 the kernel
/// takes the mean over H and W, keeping them; else _adaptive_avg_pool2d).
c10::optional<IValue> adaptivePool(const torch::jit::Stack &stack) {
  if (stack.size() != 2 || !stack[0].isTensor() || !stack[1].isIntList())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  std::vector<int64_t> outputSize = stack[1].toIntVector();
  int64_t rank = self.dim();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()) ||
      (rank != 3 && rank != 4) || outputSize.size() != 2 || outputSize[0] < 0 ||
      outputSize[1] < 0)
    return c10::nullopt;
  for (int64_t d = rank - 3; d < rank; ++d)
    if (self.size(d) == 0)
      return c10::nullopt;
  std::vector<int64_t> sizes = self.sizes().vec();
  sizes[rank - 2] = outputSize[0];
  sizes[rank - 1] = outputSize[1];
  return output(sizes, self.scalar_type(), stack);
}

/// Whether the defined tensors on `stack` are contiguous and of the one
/// floating dtype of `first` (the matrix kernels refuse mixed dtypes).
bool contiguousOfOneFloatingDtype(const at::Tensor &first,
                                  const torch::jit::Stack &stack) {
  if (!isFloating(first.scalar_type()))
    return false;
  for (const IValue &value : stack) {
    if (!value.isTensor() || !value.toTensor().defined())
      continue;
    const at::Tensor &tensor = value.toTensor();
    if (!hasContiguousStrides(tensor) ||
        tensor.scalar_type() != first.scalar_type())
      return false;
  }
  return true;
}

/// matmul of two batches of matrices, both at least 3-d, of one float or
/// double dtype: the kernel broadcasts the batch dimensions and multiplies
/// with bmm, whose output is contiguous whatever the inputs' strides (it
/// folds a batch into one matrix only where the other input is 1-d or 2-d).
c10::optional<IValue> batchedMatrices(const at::Tensor &left,
                                      const at::Tensor &right,
                                      const torch::jit::Stack &stack) {
  if (!isFloating(left.scalar_type()) ||
      right.scalar_type() != left.scalar_type() ||
      left.size(-1) != right.size(-2))
    return c10::nullopt;
  auto sizes = broadcast(left.sizes().slice(0, left.dim() - 2),
                         right.sizes().slice(0, right.dim() - 2));
  if (!sizes)
    return c10::nullopt;
  sizes->push_back(left.size(-2));
  sizes->push_back(right.size(-1));
  return output(*sizes, left.scalar_type(), stack);
}

/// linear (input, weight, bias), addmm (self, mat1, mat2, beta, alpha), mm
/// and matmul (self, other) of matrices: a contiguous (N, M) output (addmm's
/// structured kernel, or mm's, which linear and matmul of 2-d inputs call)
/// where every tensor is contiguous and of one float or double dtype and
/// the inner sizes match; linear of an input (..., N, K), (..., N, M);
/// matmul of two batches (batchedMatrices). (Of
/// a 3-d input with a bias, the kernel's result is a view of the matrix it
/// computes, which nothing else sees: a tensor of its own is exact.)
/// linear's bias is None or of M values; addmm's `self` broadcasts to
/// (N, M) with at most two dimensions; beta and alpha are real numbers.
c10::optional<IValue> matrix(c10::string_view name,
                             const torch::jit::Stack &stack) {
  bool linear = name == "linear", addmm = name == "addmm";
  size_t arguments = linear ? 3 : addmm ? 5 : 2;
  if (stack.size() != arguments)
    return c10::nullopt;
  for (size_t i = 0; i < arguments; ++i) {
    bool optionalTensor = linear && i == 2;
    bool number = addmm && i >= 3;
    if (number ? !isRealNumber(stack[i])
        : optionalTensor
            ? !stack[i].isNone() && !stack[i].isTensor()
            : !stack[i].isTensor() || !stack[i].toTensor().defined())
      return c10::nullopt;
  }
  const at::Tensor &left = stack[addmm ? 1 : 0].toTensor();
  const at::Tensor &right = stack[addmm ? 2 : 1].toTensor();
  if (name == "matmul" && left.dim() >= 3 && right.dim() >= 3)
    return batchedMatrices(left, right, stack);
  // linear also takes batches of rows (..., K): its kernel folds them into
  // one matrix and its result back to (..., M), contiguous.
  bool rows = left.dim() == 2 || (linear && left.dim() > 2);
  if (!contiguousOfOneFloatingDtype(left, stack) || !rows || right.dim() != 2)
    return c10::nullopt;
  // linear's weight is (M, K): the input times its transpose.
  int64_t inner = linear ? right.size(1) : right.size(0);
  int64_t columns = linear ? right.size(0) : right.size(1);
  if (left.size(-1) != inner)
    return c10::nullopt;
  std::vector<int64_t> sizes = left.sizes().vec();
  sizes.back() = columns;
  if (linear && stack[2].isTensor() && stack[2].toTensor().defined() &&
      !stack[2].toTensor().sizes().equals({columns}))
    return c10::nullopt;
  if (addmm) {
    const at::Tensor &self = stack[0].toTensor();
    auto joint = broadcast(self.sizes(), sizes);
    if (self.dim() > 2 || !joint || *joint != sizes)
      return c10::nullopt;
  }
  return output(sizes, left.scalar_type(), stack);
}

/// cat(tensors, dim): a contiguous output where the kernel makes one (the
/// first tensor that suggests the contiguous memory format, or two that
/// suggest different ones, decide it; tensors of any strides), the tensors
/// of one float or double dtype and one rank (not 0-d; not the legacy empty
/// (0) tensor, which cat skips), agreeing in every dimension but `dim`.
c10::optional<IValue> concatenate(const torch::jit::Stack &stack) {
  if (stack.size() != 2 || !stack[0].isTensorList() || !stack[1].isInt())
    return c10::nullopt;
  std::vector<at::Tensor> tensors = stack[0].toTensorVector();
  if (tensors.empty() || !tensors[0].defined())
    return c10::nullopt;
  const at::Tensor &first = tensors[0];
  int64_t rank = first.dim(), dim = stack[1].toInt();
  if (rank == 0 || dim < -rank || dim >= rank ||
      !isFloating(first.scalar_type()))
    return c10::nullopt;
  if (dim < 0)
    dim += rank;
  std::vector<int64_t> sizes = first.sizes().vec();
  sizes[dim] = 0;
  c10::optional<at::MemoryFormat> format; // cat's, of the tensors so far
  for (const at::Tensor &tensor : tensors) {
    if (!tensor.defined() || !tensor.is_meta() ||
        tensor.layout() != c10::kStrided ||
        tensor.scalar_type() != first.scalar_type() || tensor.dim() != rank ||
        (rank == 1 && tensor.size(0) == 0))
      return c10::nullopt;
    if (format != at::MemoryFormat::Contiguous) {
      at::MemoryFormat suggested = tensor.suggest_memory_format();
      format = format && *format != suggested ? at::MemoryFormat::Contiguous
                                              : suggested;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim && tensor.size(d) != first.size(d))
        return c10::nullopt;
    sizes[dim] += tensor.size(dim);
  }
  if (format != at::MemoryFormat::Contiguous)
    return c10::nullopt; // channels last: the kernel lays it out
  return output(sizes, first.scalar_type(), stack);
}

/// mean.dim(self, dim, keepdim, dtype=None): the reduction's sizes,
/// contiguous, on a contiguous float or double `self` of at least one
/// dimension, reduced over a non-empty list of distinct dimensions.
c10::optional<IValue> mean(const torch::jit::Stack &stack) {
  if (stack.size() != 4 || !stack[0].isTensor() || !stack[1].isIntList() ||
      !stack[2].isBool() || !stack[3].isNone())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  int64_t rank = self.dim();
  std::vector<int64_t> dims = stack[1].toIntVector();
  if (!hasContiguousStrides(self) || !isFloating(self.scalar_type()) ||
      rank == 0 || dims.empty())
    return c10::nullopt;
  std::vector<bool> reduced(rank, false);
  for (int64_t dim : dims) {
    if (dim < -rank || dim >= rank)
      return c10::nullopt;
    if (dim < 0)
      dim += rank;
    if (reduced[dim])
      return c10::nullopt; // appears twice: the kernel raises
    reduced[dim] = true;
  }
  bool keepdim = stack[2].toBool();
  std::vector<int64_t> sizes;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d])
      sizes.push_back(self.size(d));
    else if (keepdim)
      sizes.push_back(1);
  return output(sizes, self.scalar_type(), stack);
}

/// Whether the CPU kernels of roll take `dtype` (complex and quantized
/// dtypes are not modelled).
bool isRealOrBool(at::ScalarType dtype) {
  return at::isFloatingType(dtype) ||
         at::isIntegralType(dtype, /*includeBool=*/true);
}

/// roll(self, shifts, dims): a new tensor of `self`'s sizes and dtype,
/// contiguous, on a contiguous `self` (of float, integer or bool dtype) and
/// either one shift per dimension (any shift, any repeat of a dimension) or
/// one shift and no dimension (the flattened tensor rolled). The kernel
/// rolls one dimension at a time by narrow and cat, which keeps a
/// contiguous layout (a channels-last one too: declined with the other
/// non-contiguous inputs), and rolls the flattened tensor as a contiguous
/// copy. Declined where the kernel raises: no shift, shifts and dims of
/// different lengths (no dimension and several shifts included), a
/// dimension out of range (of a 0-d tensor: any); and on a tensor of no
/// element, which the kernel clones without checking the dimensions.
c10::optional<IValue> roll(const torch::jit::Stack &stack) {
  if (stack.size() != 3 || !stack[0].isTensor() || !stack[1].isIntList() ||
      !stack[2].isIntList())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isRealOrBool(self.scalar_type()) ||
      self.numel() == 0)
    return c10::nullopt;
  size_t shifts = stack[1].toIntList().size();
  std::vector<int64_t> dims = stack[2].toIntVector();
  if (shifts == 0 || (dims.empty() ? shifts != 1 : shifts != dims.size()))
    return c10::nullopt;
  int64_t rank = self.dim();
  for (int64_t dim : dims)
    if (dim < -rank || dim >= rank)
      return c10::nullopt;
  return output(self.sizes(), self.scalar_type(), stack);
}

/// Operators that return their input itself, not a copy or a view, in the
/// cases identity() takes: dropout and its kin in evaluation (train=False)
/// or of probability 0, and flatten of one dimension.
bool isIdentity(const std::string &name) {
  static const std::unordered_set<std::string> names = {
      "dropout",
      "dropout_",
      "feature_dropout",
      "feature_dropout_",
      "alpha_dropout",
      "alpha_dropout_",
      "feature_alpha_dropout",
      "feature_alpha_dropout_"};
  return names.count(name) != 0;
}

/// `self` itself: the dropouts with train=False and p in [0, 1], or with
/// p = 0 (the kernels check p, then return their input without drawing
/// where either holds). Being the input, the result shares its storage and
/// autograd state, as the kernel's does.
c10::optional<IValue> identity(const c10::FunctionSchema &schema,
                               const torch::jit::Stack &stack) {
  if (stack.size() != 3 || !stack[0].isTensor() ||
      !stack[0].toTensor().defined() || !stack[0].toTensor().is_meta())
    return c10::nullopt;
  if (!schema.overload_name().empty() || !stack[1].isDouble() ||
      !stack[2].isBool())
    return c10::nullopt;
  double p = stack[1].toDouble();
  if (!(p >= 0 && p <= 1) || (stack[2].toBool() && p != 0))
    return c10::nullopt;
  return stack[0];
}

/// size(self) and size.int(self, dim) of a meta tensor: its sizes, or one
/// of them where `dim` is in range (a 0-d tensor has none).
c10::optional<IValue> sizeOf(const c10::FunctionSchema &schema,
                             const torch::jit::Stack &stack) {
  if (stack.empty() || !stack[0].isTensor() || !stack[0].toTensor().defined() ||
      !stack[0].toTensor().is_meta())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  const std::string &overload = schema.overload_name();
  if (overload.empty() && stack.size() == 1)
    return IValue(c10::List<int64_t>(self.sizes()));
  if (overload != "int" || stack.size() != 2 || !stack[1].isInt())
    return c10::nullopt;
  int64_t rank = self.dim(), dim = stack[1].toInt();
  if (dim < -rank || dim >= rank)
    return c10::nullopt;
  return IValue(self.size(dim));
}

/// The formula of the operator `schema`, by its name and overload.
MetaFormulas::Formula formulaOf(const c10::FunctionSchema &schema) {
  const std::string &qualified = schema.name();
  if (qualified.compare(0, 6, "aten::") != 0 || schema.returns().size() != 1)
    return MetaFormulas::Formula::None;
  std::string name = qualified.substr(6);
  if (isIdentity(name)) // dropout_ included: it returns `self` unwritten
    return MetaFormulas::Formula::Identity;
  bool inPlace = !name.empty() && name.back() == '_';
  if (inPlace) {
    // Writes `self` only (not an `out=` variant).
    const auto &arguments = schema.arguments();
    if (arguments.empty() || !arguments[0].alias_info() ||
        !arguments[0].alias_info()->isWrite())
      return MetaFormulas::Formula::None;
    for (size_t i = 1; i < arguments.size(); ++i)
      if (arguments[i].alias_info())
        return MetaFormulas::Formula::None;
    name.pop_back();
  } else if (schema.is_mutable()) {
    return MetaFormulas::Formula::None;
  }
  if (!inPlace) {
    if (isSized(name))
      return MetaFormulas::Formula::Sized;
    const std::string &overload = schema.overload_name();
    if (isViewFormula(name, overload))
      return MetaFormulas::Formula::View;
    if (name == "size")
      return MetaFormulas::Formula::Size;
    if (name == "mean" && overload == "dim")
      return MetaFormulas::Formula::Mean;
    if (overload.empty()) {
      if (name == "max_pool2d" || name == "avg_pool2d" ||
          name == "max_pool1d" || name == "max_pool3d")
        return MetaFormulas::Formula::Pool;
      if (name == "adaptive_avg_pool2d")
        return MetaFormulas::Formula::AdaptivePool;
      if (name == "linear" || name == "addmm" || name == "mm" ||
          name == "matmul")
        return MetaFormulas::Formula::Matrix;
      if (name == "cat")
        return MetaFormulas::Formula::Concatenate;
      if (name == "hardtanh")
        return MetaFormulas::Formula::Hardtanh;
      if (name == "roll")
        return MetaFormulas::Formula::Roll;
    }
  }
  bool known = isArithmetic(name) ||
               (isFloatingUnary(name) && schema.overload_name().empty() &&
                (schema.arguments().size() == 1 || name == "gelu"));
  if (!known)
    return MetaFormulas::Formula::None;
  if (inPlace)
    return MetaFormulas::Formula::InPlace;
  return isArithmetic(name) ? MetaFormulas::Formula::Arithmetic
                            : MetaFormulas::Formula::Unary;
}

} // namespace

c10::optional<IValue> MetaFormulas::run(const c10::FunctionSchema &schema,
                                        const torch::jit::Stack &stack) {
  auto [it, added] = formulas_.try_emplace(&schema, Formula::None, c10::Symbol());
  if (added)
    it->second = {formulaOf(schema),
                  c10::Symbol::fromQualString(schema.name())};
  switch (it->second.first) {
  case Formula::Unary:
    return unary(schema, stack);
  case Formula::Arithmetic:
    return arithmetic(schema, stack);
  case Formula::InPlace:
    return inPlace(schema, stack);
  case Formula::Sized:
    return sized(it->second.second, stack);
  case Formula::Pool:
    return pool(it->second.second.toUnqualString(), stack);
  case Formula::AdaptivePool:
    return adaptivePool(stack);
  case Formula::Matrix:
    return matrix(it->second.second.toUnqualString(), stack);
  case Formula::Concatenate:
    return concatenate(stack);
  case Formula::Mean:
    return mean(stack);
  case Formula::Hardtanh:
    return hardtanh(stack);
  case Formula::Roll:
    return roll(stack);
  case Formula::Identity:
    return identity(schema, stack);
  case Formula::View:
    return viewByFormula(it->second.second.toUnqualString(), stack);
  case Formula::Size:
    return sizeOf(schema, stack);
  case Formula::None:
    break;
  }
  return c10::nullopt;
}

} // namespace evaluate
} // namespace s2t
