//===- passes/evaluate/MetaShapes.cpp - Sizes without a meta kernel -------===//
//
// See MetaShapes.h. The formulas here are the plain cases of each operator,
// checked as its kernel checks its arguments; anything else returns None and
// the evaluator runs the operator itself.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaShapes.h"

#include "ir/OperatorFacts.h"
#include "passes/evaluate/MetaValues.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/csrc/jit/runtime/symbolic_shape_registry.h>

#include <algorithm>

namespace s2t {
namespace evaluate {

using namespace torch::jit;

namespace {

/// Whether every defined tensor on `stack` has the dtype and device of
/// `input`, a floating-point tensor: the common case that the operators of
/// nativeOutputSizes handle exactly. Anything else (integer or bool inputs,
/// mixed dtypes, which the real kernels may refuse or promote) goes to the
/// slower general path, which runs the operator itself.
bool floatingOfOneDtype(const at::Tensor &input, const Stack &stack) {
  if (!input.is_floating_point())
    return false;
  for (const IValue &value : stack) {
    if (!value.isTensor() || !value.toTensor().defined())
      continue;
    const at::Tensor &tensor = value.toTensor();
    if (tensor.scalar_type() != input.scalar_type() ||
        tensor.device() != input.device())
      return false;
  }
  return true;
}

/// Whether `value` is None or a 1-d tensor of `size` elements (a norm's
/// weight, bias or running statistic; a convolution's bias).
bool absentOrVectorOf(const IValue &value, int64_t size) {
  if (value.isNone())
    return true;
  if (!value.isTensor())
    return false;
  const at::Tensor &tensor = value.toTensor();
  return !tensor.defined() || (tensor.dim() == 1 && tensor.size(0) == size);
}

/// The product of `tensor`'s sizes but dimension `skip` (and those before it
/// when `skipLeading`).
int64_t productOfSizesBut(const at::Tensor &tensor, int64_t skip,
                          bool skipLeading) {
  int64_t product = 1;
  for (int64_t d = 0; d < tensor.dim(); ++d)
    if (d != skip && !(skipLeading && d < skip))
      product *= tensor.size(d);
  return product;
}

/// Output sizes of a same-shape operator (a norm, an activation, dropout,
/// softmax) on `stack`, checked the way its kernel checks its arguments.
c10::optional<std::vector<int64_t>> sameShapeOutputSizes(Symbol kind,
                                                         const Stack &stack) {
  const at::Tensor &input = stack[0].toTensor();
  if (!floatingOfOneDtype(input, stack))
    return c10::nullopt;
  std::vector<int64_t> sizes = input.sizes().vec();
  const std::string name = kind.toUnqualString();
  if (name == "batch_norm" || name == "instance_norm") {
    // (input, weight, bias, running_mean, running_var, training or
    // use_input_stats, ...): statistics over more than one value.
    if (input.dim() < 2 || stack.size() < 6 || !stack[5].isBool())
      return c10::nullopt;
    int64_t channels = input.size(1);
    for (size_t i = 1; i <= 4; ++i)
      if (!absentOrVectorOf(stack[i], channels))
        return c10::nullopt;
    bool batch = name == "batch_norm";
    if (stack[5].toBool() &&
        productOfSizesBut(input, 1, /*skipLeading=*/!batch) <= 1)
      return c10::nullopt;
    return sizes;
  }
  if (name == "group_norm") { // (input, num_groups, weight, bias, ...)
    if (input.dim() < 2 || stack.size() < 4 || !stack[1].isInt())
      return c10::nullopt;
    int64_t groups = stack[1].toInt(), channels = input.size(1);
    if (groups <= 0 || channels % groups != 0 ||
        !absentOrVectorOf(stack[2], channels) ||
        !absentOrVectorOf(stack[3], channels))
      return c10::nullopt;
    return sizes;
  }
  if (name == "layer_norm") { // (input, normalized_shape, weight, bias, ...)
    if (stack.size() < 4 || !stack[1].isIntList())
      return c10::nullopt;
    std::vector<int64_t> normalized = stack[1].toIntVector();
    int64_t n = static_cast<int64_t>(normalized.size());
    if (n == 0 || input.dim() < n)
      return c10::nullopt;
    for (int64_t d = 0; d < n; ++d)
      if (input.size(input.dim() - n + d) != normalized[d])
        return c10::nullopt;
    for (size_t i : {2, 3}) {
      if (stack[i].isNone())
        continue;
      if (!stack[i].isTensor())
        return c10::nullopt;
      const at::Tensor &parameter = stack[i].toTensor();
      if (parameter.defined() && !parameter.sizes().equals(normalized))
        return c10::nullopt;
    }
    return sizes;
  }
  if (name == "softmax" || name == "log_softmax") { // (input, dim, dtype)
    if (stack.size() < 3 || !stack[1].isInt() || !stack[2].isNone())
      return c10::nullopt;
    int64_t rank = std::max<int64_t>(input.dim(), 1), dim = stack[1].toInt();
    if (dim < -rank || dim >= rank)
      return c10::nullopt;
    return sizes;
  }
  if (name == "dropout" || name == "dropout_" || name == "feature_dropout" ||
      name == "alpha_dropout") { // (input, p, train)
    if (stack.size() < 3 || !stack[1].isDouble() || !stack[2].isBool())
      return c10::nullopt;
    double p = stack[1].toDouble();
    if (!(p >= 0.0 && p <= 1.0) ||
        (stack[2].toBool() && name != "dropout" && name != "dropout_"))
      return c10::nullopt;
    return sizes;
  }
  if (name == "gelu") { // (input, approximate)
    if (stack.size() < 2 || !stack[1].isString() ||
        (stack[1].toStringRef() != "none" && stack[1].toStringRef() != "tanh"))
      return c10::nullopt;
    return sizes;
  }
  return sizes;
}

/// Output sizes of a convolution on `stack` (aten::conv1d/2d/3d, or
/// aten::convolution/_convolution when `general`), or None unless its
/// arguments pass the checks the kernel makes: one floating dtype, a weight
/// of the input's rank (or one more, unbatched), channels that match the
/// groups, a bias of one value per output channel, positive strides and
/// dilations, and an output of at least one element per spatial dimension.
c10::optional<std::vector<int64_t>> convolutionOutputSizes(bool general,
                                                           const Stack &stack) {
  if (stack.size() < 7 || !stack[0].isTensor() || !stack[1].isTensor())
    return c10::nullopt;
  const at::Tensor &input = stack[0].toTensor();
  const at::Tensor &weight = stack[1].toTensor();
  if (!input.defined() || !weight.defined() ||
      !floatingOfOneDtype(input, stack))
    return c10::nullopt;
  int64_t spatial = weight.dim() - 2;
  bool batched = input.dim() == weight.dim();
  if (spatial < 1 || (!batched && input.dim() != weight.dim() - 1))
    return c10::nullopt;
  auto listAt = [&](const c10::IValue &list, int64_t i,
                    int64_t fallback) -> c10::optional<int64_t> {
    if (!list.isIntList())
      return c10::nullopt;
    auto values = list.toIntList();
    if (values.empty())
      return fallback;
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != spatial)
      return c10::nullopt;
    return values.size() == 1 ? values.get(0) : values.get(i);
  };
  bool transposed = general && stack[6].isBool() && stack[6].toBool();
  if (general && (stack.size() < 9 || !stack[6].isBool()))
    return c10::nullopt;
  const IValue &groupsValue = general ? stack[8] : stack[6];
  if (!groupsValue.isInt() || groupsValue.toInt() <= 0)
    return c10::nullopt;
  int64_t groups = groupsValue.toInt();
  int64_t inChannels = input.size(batched ? 1 : 0);
  int64_t outChannels = transposed ? weight.size(1) * groups : weight.size(0);
  if (transposed ? inChannels != weight.size(0) || weight.size(0) % groups != 0
                 : weight.size(0) % groups != 0 ||
                       inChannels != weight.size(1) * groups)
    return c10::nullopt;
  if (!absentOrVectorOf(stack[2], outChannels))
    return c10::nullopt;
  std::vector<int64_t> sizes;
  if (batched)
    sizes.push_back(input.size(0));
  sizes.push_back(outChannels);
  int64_t offset = batched ? 2 : 1;
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t in = input.size(offset + d), kernel = weight.size(2 + d);
    auto stride = listAt(stack[3], d, 1);
    auto dilation = listAt(stack[5], d, 1);
    if (!stride || !dilation || *stride <= 0 || *dilation <= 0)
      return c10::nullopt;
    int64_t extent = *dilation * (kernel - 1) + 1;
    int64_t out;
    if (!general && stack[4].isString()) { // padding="same" / "valid"
      const std::string &mode = stack[4].toStringRef();
      if (mode == "same" && *stride == 1)
        out = in;
      else if (mode == "valid")
        out = (in - extent) / *stride + 1;
      else
        return c10::nullopt;
      if (in < extent && mode == "valid")
        return c10::nullopt;
    } else {
      auto padding = listAt(stack[4], d, 0);
      if (!padding || *padding < 0)
        return c10::nullopt;
      if (transposed) {
        auto outputPadding = listAt(stack[7], d, 0);
        if (!outputPadding || *outputPadding < 0 ||
            (*outputPadding >= *stride && *outputPadding >= *dilation))
          return c10::nullopt;
        out = (in - 1) * *stride - 2 * *padding + extent + *outputPadding;
      } else {
        if (in + 2 * *padding < extent)
          return c10::nullopt;
        out = (in + 2 * *padding - extent) / *stride + 1;
      }
    }
    if (out <= 0)
      return c10::nullopt;
    sizes.push_back(out);
  }
  return sizes;
}

} // namespace

c10::optional<std::vector<int64_t>> nativeOutputSizes(Symbol kind,
                                                      const Stack &stack) {
  if (stack.empty() || !stack[0].isTensor() || !stack[0].toTensor().defined())
    return c10::nullopt;
  if (keepsInputSizes(kind))
    return sameShapeOutputSizes(kind, stack);
  static const Symbol conv[] = {Symbol::fromQualString("aten::conv1d"),
                                Symbol::fromQualString("aten::conv2d"),
                                Symbol::fromQualString("aten::conv3d")};
  if (kind == conv[0] || kind == conv[1] || kind == conv[2])
    return convolutionOutputSizes(/*general=*/false, stack);
  if (kind == aten::_convolution || kind == aten::convolution)
    return convolutionOutputSizes(/*general=*/true, stack);
  // max(Tensor) and min(Tensor): a 0-dim result; an empty or complex input
  // is left to the kernel, which refuses it.
  if ((kind == aten::max || kind == aten::min) && stack.size() == 1) {
    const at::Tensor &input = stack[0].toTensor();
    if (input.numel() > 0 && !input.is_complex())
      return std::vector<int64_t>{};
  }
  return c10::nullopt;
}

c10::optional<Stack> nativeMultiHeadAttention(const Stack &stack) {
  if (stack.size() < 12 || !stack[0].isTensor() || !stack[4].isInt() ||
      !stack[10].isBool() || !stack[11].isBool())
    return c10::nullopt;
  const at::Tensor &query = stack[0].toTensor();
  for (size_t i : {1, 2})
    if (!stack[i].isTensor() ||
        !stack[i].toTensor().sizes().equals(query.sizes()))
      return c10::nullopt;
  int64_t heads = stack[4].toInt();
  if (query.dim() != 3 || heads <= 0)
    return c10::nullopt;
  int64_t batch = query.size(0), length = query.size(1);
  at::TensorOptions options = query.options().device(c10::kMeta);
  Stack outputs;
  outputs.emplace_back(at::empty(query.sizes(), options));
  if (!stack[10].toBool())
    outputs.emplace_back(at::Tensor());
  else if (stack[11].toBool())
    outputs.emplace_back(at::empty({batch, length, length}, options));
  else
    outputs.emplace_back(at::empty({batch, heads, length, length}, options));
  return outputs;
}

c10::optional<at::ScalarType> standInOutputDtype(const RunOperator &run,
                                                 const Stack &stack) {
  // A zero-filled CPU tensor of `tensor`'s rank and dtype, every size 1: a
  // valid index too.
  auto standIn = [](const at::Tensor &tensor) {
    return at::zeros(std::vector<int64_t>(tensor.dim(), 1),
                     tensor.options().device(c10::kCPU));
  };
  Stack standIns;
  for (const IValue &value : stack) {
    if (value.isTensor() && value.toTensor().defined()) {
      standIns.emplace_back(standIn(value.toTensor()));
    } else if (value.isList() && containsTensor(value.type())) {
      // Tensor[] and Tensor?[] (aten::index's indices, aten::cat's inputs).
      c10::impl::GenericList list(value.toList().elementType());
      for (IValue element : value.toList()) { // elements are proxies
        if (element.isTensor() && element.toTensor().defined())
          list.push_back(standIn(element.toTensor()));
        else
          list.push_back(element);
      }
      standIns.emplace_back(std::move(list));
    } else if (value.isDevice()) {
      standIns.emplace_back(c10::Device(c10::kCPU));
    } else {
      standIns.push_back(value);
    }
  }
  try {
    at::NoGradGuard noGrad;
    run(standIns);
  } catch (const std::exception &) {
    return c10::nullopt;
  }
  if (standIns.size() != 1 || !standIns[0].isTensor())
    return c10::nullopt;
  return standIns[0].toTensor().scalar_type();
}

ShapeFunctions::ShapeFunctions() = default;
ShapeFunctions::~ShapeFunctions() = default;

bool ShapeFunctions::run(const Node *node, const FunctionSchema *schema,
                         const DtypeProbe &outputDtype, Stack &stack) {
  bool inputRequiresGrad = false;
  if (at::GradMode::is_enabled())
    for (const IValue &value : stack)
      forEachTensor(value, [&](const at::Tensor &tensor) {
        inputRequiresGrad |= tensor.defined() && tensor.requires_grad();
      });
  if (!outputs(node, schema, outputDtype, stack))
    return false;
  if (inputRequiresGrad)
    for (IValue &value : stack)
      if (value.isTensor() && value.toTensor().defined()) {
        at::Tensor tensor = value.toTensor();
        if (at::isFloatingType(tensor.scalar_type()) ||
            at::isComplexType(tensor.scalar_type()))
          value = asComputedRequiringGrad(std::move(tensor));
      }
  return true;
}

/// The meta outputs of a single-tensor-output operator from its sizes:
/// nativeOutputSizes, or torch's registered shape function. Their results do
/// not require grad.
bool ShapeFunctions::outputs(const Node *node, const FunctionSchema *schema,
                             const DtypeProbe &outputDtype, Stack &stack) {
  static const Symbol multiHeadAttention =
      Symbol::fromQualString("aten::_native_multi_head_attention");
  if (node->kind() == multiHeadAttention) {
    auto outputs = nativeMultiHeadAttention(stack);
    if (outputs) {
      stack = std::move(*outputs);
      ++sizedByFormula_;
    }
    return outputs.has_value();
  }
  if (node->outputs().size() != 1 || !isTensorType(node->output()->type()))
    return false;
  if (auto sizes = nativeOutputSizes(node->kind(), stack)) {
    at::TensorOptions options = stack[0].toTensor().options();
    stack.clear();
    stack.emplace_back(at::empty(*sizes, options.device(c10::kMeta)));
    ++sizedByFormula_;
    return true;
  }
  if (!schema)
    return false;
  return registered(node, *schema, outputDtype, stack);
}

/// The meta output from torch's registered shape function for `schema`
/// (torch/jit/_shape_functions.py), compiled once per schema.
bool ShapeFunctions::registered(const Node *node, const FunctionSchema &schema,
                                const DtypeProbe &outputDtype, Stack &stack) {
  auto cached = code_.find(&schema);
  if (cached == code_.end()) {
    // torch's shape functions are for aten and prim operators; the first
    // lookup compiles all of them (~0.1 s), which another library's operator
    // (torchvision::nms) need not pay for.
    const std::string &name = schema.name();
    bool builtin = name.rfind("aten::", 0) == 0 || name.rfind("prim::", 0) == 0;
    std::shared_ptr<Code> code;
    if (builtin)
      if (auto graph = shapeComputeGraphForSchema(schema))
        code = std::make_shared<Code>(*graph, "shape");
    cached = code_.emplace(&schema, std::move(code)).first;
  }
  if (!cached->second)
    return false;
  GRAPH_DEBUG("Shape function for ", node->kind().toQualString());
  Code &code = *cached->second;
  Stack shapeStack;
  c10::optional<at::TensorOptions> options;
  for (size_t i = 0; i < code.num_inputs() && i < stack.size(); ++i) {
    const IValue &value = stack[i];
    if (value.isTensor()) {
      const at::Tensor &tensor = value.toTensor();
      if (!options)
        options = tensor.options();
      shapeStack.emplace_back(c10::List<int64_t>(tensor.sizes()));
    } else if (value.isList() && containsTensor(value.type())) {
      return false;
    } else {
      shapeStack.push_back(value);
    }
  }
  if (!options || shapeStack.size() != code.num_inputs())
    return false;
  InterpreterState(code).run(shapeStack);
  if (shapeStack.size() != 1 || !shapeStack[0].isIntList())
    return false;
  std::vector<int64_t> sizes = shapeStack[0].toIntVector();
  // A shape function gives sizes only; the dtype is not the first input's
  // in general (torch.where's first input is its bool condition).
  c10::optional<at::ScalarType> dtype = outputDtype(stack);
  if (!dtype)
    return false;
  stack.clear();
  stack.emplace_back(
      at::empty(sizes, options->device(c10::kMeta).dtype(*dtype)));
  return true;
}

} // namespace evaluate
} // namespace s2t
