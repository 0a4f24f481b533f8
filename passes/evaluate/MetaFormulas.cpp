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
// test/unit/MetaFormulasTest.cpp compares each formula with the meta kernel.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaFormulas.h"

#include "passes/evaluate/MetaShapes.h"

#include <ATen/EmptyTensor.h>
#include <ATen/core/grad_mode.h>
#include <ATen/native/TypeProperties.h>
#include <c10/core/ScalarType.h>

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

/// A meta output of `sizes`, contiguous, of `dtype`, requiring grad as
/// autograd would make it when one of the tensors on `inputs` requires grad.
IValue output(c10::IntArrayRef sizes, at::ScalarType dtype,
              const torch::jit::Stack &inputs) {
  at::Tensor result = at::detail::empty_meta(sizes, dtype, c10::nullopt,
                                             c10::nullopt, c10::nullopt,
                                             c10::nullopt);
  if (at::GradMode::is_enabled())
    for (const IValue &input : inputs)
      if (input.isTensor() && input.toTensor().defined() &&
          input.toTensor().requires_grad()) {
        // Not a leaf, as an operator's result is (a clone of a meta tensor
        // copies nothing).
        result = result.requires_grad_(true).clone();
        break;
      }
  return result;
}

/// Operators of one tensor that keep its sizes and floating dtype.
bool isFloatingUnary(const std::string &name) {
  static const std::unordered_set<std::string> names = {
      "relu",    "sigmoid", "tanh",  "hardswish", "hardsigmoid", "silu",
      "neg",     "exp",     "abs",   "sin",       "cos",         "rsqrt",
      "sqrt",    "log",     "erf",   "gelu",      "reciprocal",  "mish"};
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
  const std::string &overload = schema.overload_name();
  bool withTensor = overload == "Tensor";
  if ((!withTensor && overload != "Scalar") || stack.size() < 2 ||
      stack.size() != schema.arguments().size() || !stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!hasContiguousStrides(self) || !isFloatingOrInteger(self))
    return c10::nullopt;
  at::native::ResultTypeState state;
  state = at::native::update_result_type_state(self, state);
  std::vector<int64_t> sizes = self.sizes().vec();
  const at::Tensor *other = nullptr;
  if (withTensor) {
    if (!stack[1].isTensor() || !hasContiguousStrides(stack[1].toTensor()) ||
        !isFloatingOrInteger(stack[1].toTensor()))
      return c10::nullopt;
    other = &stack[1].toTensor();
    auto joint = broadcast(self.sizes(), other->sizes());
    if (!joint)
      return c10::nullopt;
    sizes = std::move(*joint);
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

/// The formula of the operator `schema`, by its name and overload.
MetaFormulas::Formula formulaOf(const c10::FunctionSchema &schema) {
  const std::string &qualified = schema.name();
  if (qualified.compare(0, 6, "aten::") != 0 || schema.returns().size() != 1)
    return MetaFormulas::Formula::None;
  std::string name = qualified.substr(6);
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
  if (!inPlace && isSized(name))
    return MetaFormulas::Formula::Sized;
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
  case Formula::None:
    break;
  }
  return c10::nullopt;
}

} // namespace evaluate
} // namespace s2t
