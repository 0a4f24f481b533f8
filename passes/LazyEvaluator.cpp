//===- passes/LazyEvaluator.cpp - Sample values on demand -----------------===//
//
// See LazyEvaluator.h. The flat graph is straight-line code, so program order
// is the order of its node list, and Node::isBefore compares positions.
//
// Aliasing is tracked with a union-find over flat-graph values: operator
// schemas say which outputs alias which inputs; nodes without a schema (list
// and tuple construction and unpacking, casts) are taken to alias everything
// they touch. Each alias class keeps the nodes that write to it.
//
//===----------------------------------------------------------------------===//

#include "passes/LazyEvaluator.h"

#include "ir/Error.h"
#include "ir/OperatorFacts.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/csrc/jit/runtime/operator.h>
#include <torch/csrc/jit/runtime/symbolic_shape_registry.h>

#include <algorithm>
#include <unordered_set>

namespace s2t {

using namespace torch::jit;

namespace {

bool isTensorType(const TypePtr &type) {
  return type->kind() == TypeKind::TensorType;
}

bool containsTensor(const TypePtr &type) {
  if (isTensorType(type))
    return true;
  for (const TypePtr &contained : type->containedTypes())
    if (containsTensor(contained))
      return true;
  return false;
}

bool isDeviceType(const TypePtr &type) {
  if (type->kind() == TypeKind::DeviceObjType)
    return true;
  if (auto optional = type->cast<OptionalType>())
    return optional->getElementType()->kind() == TypeKind::DeviceObjType;
  return false;
}

/// Operators that read a tensor's metadata only, so their result on a meta
/// tensor is exact.
bool readsMetadataOnly(Symbol kind) {
  static const std::unordered_set<Symbol> kinds = [] {
    std::unordered_set<Symbol> result;
    for (const char *name :
         {"aten::size", "aten::sym_size", "aten::dim", "aten::numel",
          "aten::len", "aten::stride", "aten::is_contiguous", "prim::dtype",
          "prim::layout", "aten::is_floating_point", "aten::is_complex",
          "prim::requires_grad", "prim::shape"})
      result.insert(Symbol::fromQualString(name));
    return result;
  }();
  return kinds.count(kind) != 0;
}

/// Nodes that move values around without computing: not counted as kernels.
bool isDataMovement(Symbol kind) {
  return kind == prim::ListConstruct || kind == prim::ListUnpack ||
         kind == prim::TupleConstruct || kind == prim::TupleUnpack ||
         kind == prim::DictConstruct || kind == prim::unchecked_cast ||
         kind == prim::Constant || kind == prim::GetAttr ||
         kind == prim::Uninitialized || kind == aten::__getitem__;
}

void collectAliasSets(const c10::AliasInfo *info,
                      std::vector<Symbol> &sets, bool &wildcard) {
  if (!info)
    return;
  for (const Symbol &set : info->beforeSets()) {
    if (set == c10::AliasInfo::wildcardSet())
      wildcard = true;
    else
      sets.push_back(set);
  }
  for (const c10::AliasInfo &contained : info->containedTypes())
    collectAliasSets(&contained, sets, wildcard);
}

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

void forEachTensor(const c10::IValue &value,
                   const std::function<void(const at::Tensor &)> &visit);

/// Whether the defined tensors on `stack` (lists of tensors included) have
/// more than one dtype.
bool mixesDtypes(const Stack &stack) {
  c10::optional<at::ScalarType> seen;
  bool mixed = false;
  for (const IValue &value : stack)
    forEachTensor(value, [&](const at::Tensor &tensor) {
      if (!tensor.defined())
        return;
      if (seen && *seen != tensor.scalar_type())
        mixed = true;
      seen = tensor.scalar_type();
    });
  return mixed;
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
  int64_t outChannels =
      transposed ? weight.size(1) * groups : weight.size(0);
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

/// Output sizes of common operators that have no meta kernel in LibTorch
/// 1.13, computed here because torch's shape-function registry takes about
/// 0.15 s to compile on first use. `stack` holds the operator's inputs.
/// None when the arguments are not the plain case these formulas know, or
/// would make the kernel raise: the general path then decides.
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
  return c10::nullopt;
}

/// The meta outputs of aten::_native_multi_head_attention, the fast path of
/// nn.MultiheadAttention (self-attention on a batched dense query): the
/// query's shape, and the attention weights only when asked for.
c10::optional<Stack> nativeMultiHeadAttention(const Stack &stack) {
  if (stack.size() < 12 || !stack[0].isTensor() || !stack[4].isInt() ||
      !stack[10].isBool() || !stack[11].isBool())
    return c10::nullopt;
  const at::Tensor &query = stack[0].toTensor();
  for (size_t i : {1, 2})
    if (!stack[i].isTensor() || !stack[i].toTensor().sizes().equals(query.sizes()))
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

c10::IValue toMeta(const c10::IValue &value) {
  if (value.isTensor()) {
    const at::Tensor &tensor = value.toTensor();
    if (!tensor.defined() || tensor.is_meta())
      return value;
    // requires_grad is metadata too: decisions read it, and autograd's
    // checks (an in-place write to a leaf that requires grad) depend on it.
    return at::empty_strided(tensor.sizes(), tensor.strides(),
                             tensor.options().device(c10::kMeta))
        .requires_grad_(tensor.requires_grad());
  }
  if (value.isTensorList() || (value.isList() && containsTensor(value.type()))) {
    c10::impl::GenericList list(value.toList().elementType());
    for (const c10::IValue &element : value.toListRef())
      list.push_back(toMeta(element));
    return list;
  }
  if (value.isTuple() && containsTensor(value.type())) {
    std::vector<c10::IValue> elements;
    for (const c10::IValue &element : value.toTupleRef().elements())
      elements.push_back(toMeta(element));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (value.isGenericDict() && containsTensor(value.type())) {
    c10::impl::GenericDict source = value.toGenericDict();
    c10::impl::GenericDict dict(source.keyType(), source.valueType());
    for (const auto &entry : source)
      dict.insert(entry.key(), toMeta(entry.value()));
    return dict;
  }
  return value;
}

/// Calls `visit` on every tensor `value` holds, in lists, tuples and dicts.
void forEachTensor(const c10::IValue &value,
                   const std::function<void(const at::Tensor &)> &visit) {
  if (value.isTensor()) {
    visit(value.toTensor());
  } else if (value.isList()) {
    for (const c10::IValue &element : value.toListRef())
      forEachTensor(element, visit);
  } else if (value.isTuple()) {
    for (const c10::IValue &element : value.toTupleRef().elements())
      forEachTensor(element, visit);
  } else if (value.isGenericDict()) {
    for (const auto &entry : value.toGenericDict())
      forEachTensor(entry.value(), visit);
  }
}

bool isMetaOnly(const c10::IValue &value) {
  if (value.isTensor())
    return value.toTensor().defined() && value.toTensor().is_meta();
  if (value.isList()) {
    for (const c10::IValue &element : value.toListRef())
      if (isMetaOnly(element))
        return true;
    return false;
  }
  if (value.isTuple()) {
    for (const c10::IValue &element : value.toTupleRef().elements())
      if (isMetaOnly(element))
        return true;
  }
  if (value.isGenericDict()) {
    for (const auto &entry : value.toGenericDict())
      if (isMetaOnly(entry.value()))
        return true;
  }
  return false;
}

} // namespace

struct LazyEvaluator::State {
  struct ValueInfo {
    c10::IValue real;
    c10::IValue meta;
    bool hasReal = false;
    bool hasMeta = false;
    bool unknown = false; ///< setUnknown
    /// Its meta value's strides are not the sample's: it was sized by a
    /// shape function (contiguous strides), or computed from such a value.
    bool inexactLayout = false;
    c10::Device device = c10::kCPU;
  };
  struct NodeInfo {
    const Node *origin = nullptr;
    bool ranReal = false;
    bool ranMeta = false;
    bool random = false;
    bool mutates = false;
    std::vector<size_t> written; ///< inputs the node writes to
    c10::optional<Operation> operation;
  };
  enum Mode { Meta, Real };
  /// Thrown by the meta evaluation of an operator that has neither a meta
  /// kernel nor a shape function.
  struct NoMetaKernel : std::exception {
    const char *what() const noexcept override { return "no meta kernel"; }
  };

  explicit State(FailureHandler onFailure) : onFailure(std::move(onFailure)) {}

  FailureHandler onFailure;
  std::unordered_map<const Value *, ValueInfo> values;
  std::unordered_map<const Node *, NodeInfo> nodes;
  std::unordered_map<const Value *, const Value *> parent;
  std::unordered_map<const Value *, std::vector<Value *>> members;
  std::unordered_map<const Value *, std::vector<Node *>> writers;
  std::vector<Node *> randomNodes;
  std::vector<Node *> order; ///< emitted nodes, in program order
  /// The first known value holding a tensor of each storage: known values
  /// (arguments, attributes) that share memory start in one alias class.
  std::unordered_map<const c10::StorageImpl *, Value *> storages;
  /// The meta tensors inside known values (shape-only elements of a list or
  /// tuple argument, `[f32[3,320,320]]`), each with the value that brought
  /// it: a kernel that would read one needs data the sample does not give.
  std::unordered_map<const c10::TensorImpl *, const Value *> shapeOnlyTensors;
  int64_t *kernelsRun = nullptr;

  /// The value that brought a shape-only tensor on `stack`, if any.
  const Value *shapeOnlySource(const Stack &stack) const {
    const Value *source = nullptr;
    for (const IValue &value : stack)
      forEachTensor(value, [&](const at::Tensor &tensor) {
        if (!source && tensor.defined() && tensor.is_meta()) {
          auto it = shapeOnlyTensors.find(tensor.unsafeGetTensorImpl());
          if (it != shapeOnlyTensors.end())
            source = it->second;
        }
      });
    return source;
  }

  // --- alias classes ---------------------------------------------------
  const Value *find(const Value *value) {
    auto it = parent.find(value);
    if (it == parent.end())
      return value;
    const Value *root = find(it->second);
    it->second = root;
    return root;
  }
  void unite(Value *a, Value *b) {
    const Value *ra = find(a), *rb = find(b);
    if (ra == rb)
      return;
    auto &ma = membersOf(ra), &mb = membersOf(rb);
    if (ma.size() < mb.size()) {
      std::swap(ra, rb);
    }
    auto &big = members[ra], &small = members[rb];
    big.insert(big.end(), small.begin(), small.end());
    members.erase(rb);
    auto &bigWriters = writers[ra];
    auto smallWriters = writers.find(rb);
    if (smallWriters != writers.end()) {
      bigWriters.insert(bigWriters.end(), smallWriters->second.begin(),
                        smallWriters->second.end());
      writers.erase(smallWriters);
    }
    parent[rb] = ra;
  }
  std::vector<Value *> &membersOf(const Value *root) {
    auto &list = members[root];
    if (list.empty())
      list.push_back(const_cast<Value *>(root));
    return list;
  }

  // --- state ----------------------------------------------------------
  bool has(const Value *value, Mode mode) {
    auto it = values.find(value);
    if (it == values.end())
      return false;
    return it->second.hasReal || (mode == Meta && it->second.hasMeta);
  }
  bool ran(Node *node, Mode mode) {
    auto it = nodes.find(node);
    if (it == nodes.end())
      return true; // not emitted through us: constants, known values
    return it->second.ranReal || (mode == Meta && it->second.ranMeta);
  }

  c10::IValue input(const Value *value, Mode mode,
                    const Node *needing = nullptr) {
    ValueInfo &info = values[value];
    if (!info.hasReal && (info.unknown || (mode == Real && info.hasMeta &&
                                           !nodes.count(value->node()))))
      throw UnknownValue{value, needing, !info.unknown};
    if (mode == Real) {
      TORCH_INTERNAL_ASSERT(info.hasReal, "no sample value for %",
                            value->debugName());
      return info.real;
    }
    if (!info.hasMeta) {
      TORCH_INTERNAL_ASSERT(info.hasReal, "no metadata for %",
                            value->debugName());
      info.meta = toMeta(info.real);
      info.hasMeta = true;
    }
    return info.meta;
  }

  /// The interpreter runs these as instructions, not operators.
  static bool runStructural(Node *node, Stack &stack) {
    switch (node->kind()) {
    case prim::ListConstruct: {
      c10::impl::GenericList list(
          node->output()->type()->expectRef<ListType>().getElementType());
      list.reserve(stack.size());
      for (IValue &element : stack)
        list.push_back(std::move(element));
      stack.clear();
      stack.emplace_back(std::move(list));
      return true;
    }
    case prim::ListUnpack: {
      c10::List<IValue> list = stack.back().toList();
      TORCH_CHECK(list.size() == node->outputs().size(),
                  "unpacks a list of ", list.size(), " elements into ",
                  node->outputs().size(), " values");
      stack.clear();
      for (size_t i = 0; i < list.size(); ++i)
        stack.push_back(list.get(i));
      return true;
    }
    case prim::TupleConstruct: {
      auto type = node->output()->type()->cast<TupleType>();
      std::vector<IValue> elements(std::make_move_iterator(stack.begin()),
                                   std::make_move_iterator(stack.end()));
      stack.clear();
      if (type && type->schema())
        stack.emplace_back(
            c10::ivalue::Tuple::createNamed(std::move(elements), type));
      else
        stack.emplace_back(c10::ivalue::Tuple::create(std::move(elements)));
      return true;
    }
    case prim::TupleUnpack: {
      auto tuple = stack.back().toTuple();
      stack.clear();
      for (const IValue &element : tuple->elements())
        stack.push_back(element);
      return true;
    }
    case prim::DictConstruct: {
      const auto &type = node->output()->type()->expectRef<DictType>();
      c10::impl::GenericDict dict(type.getKeyType(), type.getValueType());
      for (size_t i = 0; i + 1 < stack.size(); i += 2)
        dict.insert_or_assign(stack[i], stack[i + 1]);
      stack.clear();
      stack.emplace_back(std::move(dict));
      return true;
    }
    case prim::unchecked_cast:
      return true;
    default:
      return false;
    }
  }

  Operation &operationOf(Node *node, NodeInfo &info) {
    if (!info.operation)
      info.operation = info.origin ? info.origin->getOperation()
                                   : node->getOperation();
    return *info.operation;
  }

  // --- evaluation -----------------------------------------------------
  /// The nodes to run, in program order, so that `targets` have a value in
  /// `mode` as they are at the end of the flat graph.
  std::vector<Node *> slice(const std::vector<Value *> &targets, Mode mode) {
    std::vector<Node *> result;
    std::unordered_set<Node *> seen;
    std::vector<Node *> work;
    auto add = [&](Node *node) {
      if (!ran(node, mode) && seen.insert(node).second)
        work.push_back(node);
    };
    auto addWritersOf = [&](const Value *value, Node *before) {
      auto it = writers.find(find(value));
      if (it == writers.end())
        return;
      for (Node *writer : it->second)
        if (!before || writer->isBefore(before))
          add(writer);
    };
    for (Value *target : targets) {
      if (!has(target, mode))
        add(target->node());
      addWritersOf(target, nullptr);
    }
    bool expandedRandom = false;
    for (;;) {
      while (!work.empty()) {
        Node *node = work.back();
        work.pop_back();
        result.push_back(node);
        NodeInfo &info = nodes[node];
        for (Value *input : node->inputs()) {
          if (!has(input, mode))
            add(input->node());
          addWritersOf(input, node);
        }
        if (mode == Real && info.mutates) {
          // Whatever reads what this node mutates earlier in the program
          // must read it before the mutation.
          for (size_t i : info.written)
            for (Value *member : membersOf(find(node->input(i))))
              for (const Use &use : member->uses())
                if (use.user != node && nodes.count(use.user) &&
                    use.user->isBefore(node))
                  add(use.user);
        }
      }
      if (mode != Real || expandedRandom)
        break;
      // Random operators share one generator: run every one before the last
      // one needed, in program order, as the scripted module would.
      expandedRandom = true;
      Node *last = nullptr;
      for (Node *node : result)
        if (nodes[node].random && (!last || last->isBefore(node)))
          last = node;
      if (!last)
        break;
      for (Node *node : randomNodes)
        if (node->isBefore(last))
          add(node);
    }
    std::sort(result.begin(), result.end(),
              [](Node *a, Node *b) { return a->isBefore(b); });
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
  }

  void evaluate(const std::vector<Value *> &targets, Mode mode) {
    for (Node *node : slice(targets, mode))
      if (!ran(node, mode))
        run(node, mode);
  }

  /// Runs `node` in `mode`. With `checking`, `node` is run on meta values
  /// only to see whether it fails on the sample's metadata: an operation
  /// that has no meta kernel or reads data is left without a value, and a
  /// meta kernel's error is confirmed on real values before it is reported.
  void run(Node *node, Mode mode, bool checking = false) {
    NodeInfo &info = nodes[node];
    if (checking && !metaIsExact(node) && !producesTensorsOnly(node))
      return;
    if (mode == Meta && !checking && !metaIsExact(node)) {
      std::vector<Value *> outputs(node->outputs().begin(),
                                   node->outputs().end());
      if (!outputs.empty())
        evaluate(outputs, Real);
      info.ranMeta = true;
      return;
    }
    Stack stack;
    stack.reserve(node->inputs().size() + 1);
    for (Value *value : node->inputs())
      stack.push_back(input(value, mode, info.origin ? info.origin : node));
    const FunctionSchema *varargSchema =
        info.origin ? info.origin->maybeSchema() : node->maybeSchema();
    if (varargSchema && varargSchema->is_vararg())
      stack.emplace_back(static_cast<int64_t>(node->inputs().size()));
    if (mode == Meta) {
      if (const FunctionSchema *schema = node->maybeSchema()) {
        for (size_t i = 0; i < stack.size() && i < schema->arguments().size();
             ++i)
          if (stack[i].isDevice() && isDeviceType(schema->arguments()[i].type()))
            stack[i] = c10::Device(c10::kMeta);
      }
    }
    bool sized = false; // by a shape function: strides are made up
    try {
      if (runStructural(node, stack)) {
      } else if (mode == Real) {
        if (!shapeOnlyTensors.empty() && !readsMetadataOnly(node->kind()))
          if (const Value *source = shapeOnlySource(stack))
            throw UnknownValue{source, info.origin ? info.origin : node,
                               /*shapeOnly=*/true};
        // In the grad mode of the process, as the scripted module runs: the
        // results' requires_grad and autograd's errors are the module's.
        operationOf(node, info)(stack);
      } else {
        // Operators without a meta kernel in LibTorch fail each time, and a
        // c10::Error is costly (it symbolizes a backtrace): remember them.
        const FunctionSchema *schema =
            info.origin ? info.origin->maybeSchema() : node->maybeSchema();
        bool unimplemented = schema && noMetaKernel.count(schema);
        Stack inputs;
        if (!unimplemented) {
          inputs = stack; // the operator consumes its stack
          try {
            operationOf(node, info)(stack);
          } catch (const c10::NotImplementedError &) {
            unimplemented = true;
            if (schema)
              noMetaKernel.insert(schema);
            stack = std::move(inputs);
          }
          // Meta kernels accept dtype mixes that the CPU kernels refuse
          // (mm of a double and a float): confirm a mix on stand-ins.
          if (!unimplemented && !info.random && mixesDtypes(inputs) &&
              !outputDtype(node, info, inputs))
            throw std::runtime_error("the kernel refuses these dtypes");
        }
        // Without a meta kernel, try torch's shape function instead.
        if (unimplemented) {
          if (!runShapeFunction(node, info, stack))
            throw NoMetaKernel();
          sized = true;
        }
      }
    } catch (const std::exception &e) {
      rethrowIfOutOfMemory(e);
      if (checking && dynamic_cast<const NoMetaKernel *>(&e))
        return; // unknown: the operations that read it are not checked
      if (mode == Meta) {
        // Without a meta kernel, or the meta kernel fails (an error of the
        // sample, or a limit of the meta kernel): the real value decides.
        GRAPH_DEBUG("No metadata for ", node->kind().toQualString(),
                    ", computing it: ", e.what());
        std::vector<Value *> outputs(node->outputs().begin(),
                                     node->outputs().end());
        evaluate(outputs, Real);
        info.ranMeta = true;
        return;
      }
      // The scripted module stops at the first operation that fails, in
      // program order; decisions compute out of order: run those before.
      runAllReal(node);
      onFailure(node, info.origin, e.what());
      return;
    }
    TORCH_INTERNAL_ASSERT(stack.size() == node->outputs().size());
    bool inexact = sized;
    if (mode == Meta)
      for (Value *input : node->inputs())
        inexact |= values[input].inexactLayout;
    bool kernel = false;
    for (size_t i = 0; i < stack.size(); ++i) {
      ValueInfo &out = values[node->output(i)];
      if (mode == Real || !isMetaOnly(stack[i])) {
        // An undefined tensor from a meta run is exact and computed nothing.
        bool undefined = stack[i].isTensor() && !stack[i].toTensor().defined();
        kernel |= containsTensor(node->output(i)->type()) && !undefined;
        out.real = std::move(stack[i]);
        out.hasReal = true;
        out.hasMeta = false; // made from the real value when asked for
        continue;
      }
      out.meta = std::move(stack[i]);
      out.hasMeta = true;
      out.inexactLayout = inexact;
    }
    if (mode == Real) {
      info.ranReal = true;
      for (Value *input : node->inputs())
        kernel |= isTensorType(input->type());
    }
    info.ranMeta = true;
    if (kernel && !isDataMovement(node->kind()))
      ++*kernelsRun;
  }

  /// Computes the meta outputs of an operator LibTorch has no meta kernel
  /// for (convolution, batch norm, ...) from its sizes (shapeFunctionOutputs).
  /// `stack` holds the meta inputs; on success it holds the outputs, which
  /// require grad as autograd would make them: when grad mode is on, an input
  /// requires grad and the output is of a floating or complex dtype.
  bool runShapeFunction(Node *node, NodeInfo &info, Stack &stack) {
    bool inputRequiresGrad = false;
    if (at::GradMode::is_enabled())
      for (const IValue &value : stack)
        forEachTensor(value, [&](const at::Tensor &tensor) {
          inputRequiresGrad |= tensor.defined() && tensor.requires_grad();
        });
    if (!shapeFunctionOutputs(node, info, stack))
      return false;
    if (inputRequiresGrad)
      for (IValue &value : stack)
        if (value.isTensor() && value.toTensor().defined()) {
          at::Tensor tensor = value.toTensor();
          // Not a leaf, as an operator's result is: in-place operations
          // on it are allowed (a clone of a meta tensor copies nothing).
          if (at::isFloatingType(tensor.scalar_type()) ||
              at::isComplexType(tensor.scalar_type()))
            value = tensor.requires_grad_(true).clone();
        }
    return true;
  }

  /// The meta outputs of a single-tensor-output operator from its sizes:
  /// nativeOutputSizes, or torch's registered shape function
  /// (torch/jit/_shape_functions.py). Their results do not require grad.
  bool shapeFunctionOutputs(Node *node, NodeInfo &info, Stack &stack) {
    static const Symbol multiHeadAttention =
        Symbol::fromQualString("aten::_native_multi_head_attention");
    if (node->kind() == multiHeadAttention) {
      auto outputs = nativeMultiHeadAttention(stack);
      if (outputs)
        stack = std::move(*outputs);
      return outputs.has_value();
    }
    if (node->outputs().size() != 1 || !isTensorType(node->output()->type()))
      return false;
    if (auto sizes = nativeOutputSizes(node->kind(), stack)) {
      at::TensorOptions options = stack[0].toTensor().options();
      stack.clear();
      stack.emplace_back(at::empty(*sizes, options.device(c10::kMeta)));
      return true;
    }
    const FunctionSchema *schema =
        info.origin ? info.origin->maybeSchema() : node->maybeSchema();
    if (!schema)
      return false;
    auto cached = shapeCode.find(schema);
    if (cached == shapeCode.end()) {
      std::shared_ptr<Code> code;
      if (auto graph = shapeComputeGraphForSchema(*schema))
        code = std::make_shared<Code>(*graph, "shape");
      cached = shapeCode.emplace(schema, std::move(code)).first;
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
    c10::optional<at::ScalarType> dtype = outputDtype(node, info, stack);
    if (!dtype)
      return false;
    stack.clear();
    stack.emplace_back(
        at::empty(sizes, options->device(c10::kMeta).dtype(*dtype)));
    return true;
  }

  /// The dtype of `node`'s one tensor output for the meta inputs `stack`,
  /// from running its operator on CPU tensors of one element with the same
  /// dtypes and ranks (type promotion depends on dtypes and on which inputs
  /// are 0-d, not on sizes). None if that fails.
  c10::optional<at::ScalarType> outputDtype(Node *node, NodeInfo &info,
                                            const Stack &stack) {
    if (info.random)
      return c10::nullopt; // would draw from the generator
    Stack standIns;
    for (const IValue &value : stack) {
      if (value.isTensor() && value.toTensor().defined()) {
        const at::Tensor &tensor = value.toTensor();
        standIns.emplace_back(at::zeros(std::vector<int64_t>(tensor.dim(), 1),
                                        tensor.options().device(c10::kCPU)));
      } else if (value.isDevice()) {
        standIns.emplace_back(c10::Device(c10::kCPU));
      } else {
        standIns.push_back(value);
      }
    }
    try {
      at::NoGradGuard noGrad;
      operationOf(node, info)(standIns);
    } catch (const std::exception &) {
      return c10::nullopt;
    }
    if (standIns.size() != 1 || !standIns[0].isTensor())
      return c10::nullopt;
    return standIns[0].toTensor().scalar_type();
  }

  std::unordered_map<const FunctionSchema *, std::shared_ptr<Code>> shapeCode;
  std::unordered_set<const FunctionSchema *> noMetaKernel;

  /// Whether every output of `node` is a tensor (so a meta value stands for
  /// it: the metadata of a random operation's result is exact).
  static bool producesTensorsOnly(Node *node) {
    for (Value *output : node->outputs())
      if (!isTensorType(output->type()))
        return false;
    return !node->outputs().empty();
  }

  /// Runs every emitted node before `end` (all of them if null) that nothing
  /// has run yet on real values, in program order, skipping those that need
  /// what the sample does not give. A failure is reported (onFailure).
  void runAllReal(Node *end = nullptr) {
    for (size_t i = 0; i < order.size() && order[i] != end; ++i) {
      Node *node = order[i];
      if (ran(node, Real))
        continue;
      try {
        std::vector<Value *> targets(node->outputs().begin(),
                                     node->outputs().end());
        if (targets.empty()) {
          evaluate({node->inputs().begin(), node->inputs().end()}, Real);
          if (!ran(node, Real))
            run(node, Real);
        } else {
          evaluate(targets, Real);
        }
      } catch (const UnknownValue &) {
      }
    }
  }

  /// Runs for real, in program order, every emitted in-place node that
  /// nothing has run yet and whose result is not in `live`: the flat graph
  /// drops it, or keeps it for its write only (torch's liveness does not
  /// say which).
  void runDropped(const std::unordered_set<const Value *> &live) {
    for (size_t i = 0; i < order.size(); ++i) {
      Node *node = order[i];
      if (ran(node, Real) || node->outputs().empty())
        continue;
      bool kept = false, writes = false;
      for (const Value *output : node->outputs())
        kept |= live.count(output) != 0;
      if (const FunctionSchema *schema = node->maybeSchema())
        for (const c10::Argument &argument : schema->arguments())
          writes |= argument.alias_info() && argument.alias_info()->isWrite();
      // Only writes: what else fails on the sample, the metadata checks
      // (checkAll) find; a write can fail on memory alone (its source
      // overlaps what it writes), which no meta run shows.
      if (kept || !writes)
        continue;
      try {
        evaluate({node->outputs().begin(), node->outputs().end()}, Real);
      } catch (const UnknownValue &) {
      }
    }
  }

  /// Runs every emitted node before `end` (all of them if null) that nothing
  /// has run yet on meta values, in program order.
  void checkAll(Node *end = nullptr) {
    for (Node *node : order) {
      if (node == end)
        break;
      if (ran(node, Meta) || node->hasSideEffects())
        continue;
      bool inputsKnown = true;
      for (Value *input : node->inputs())
        inputsKnown &= has(input, Meta);
      if (!inputsKnown)
        continue;
      try {
        run(node, Meta, /*checking=*/true);
      } catch (const UnknownValue &) {
        // Needs values the sample does not give (a shape-only input): what
        // it would raise cannot be known; the flat graph will tell.
      }
    }
  }

  /// Whether running `node` on meta values gives exact results.
  bool metaIsExact(Node *node) {
    if (nodes[node].random)
      return false;
    // The strides of values whose meta strides were made up come from the
    // real values. (aten::view, which fails on some strides, is left to its
    // meta kernel: a shape-only input could not be viewed at all otherwise.)
    static const std::unordered_set<Symbol> readsLayout = {
        aten::stride, Symbol::fromQualString("aten::is_contiguous"),
        Symbol::fromQualString("aten::data_ptr")};
    if (readsLayout.count(node->kind()))
      for (Value *input : node->inputs()) {
        auto it = values.find(input);
        if (it != values.end() && it->second.inexactLayout)
          return false;
      }
    bool readsTensor = false;
    for (Value *input : node->inputs())
      readsTensor |= isTensorType(input->type());
    if (!readsTensor)
      return true;
    for (Value *output : node->outputs())
      if (!containsTensor(output->type()) && !readsMetadataOnly(node->kind()))
        return false; // aten::Int, aten::item, aten::equal, ...
    return true;
  }
};

LazyEvaluator::LazyEvaluator(FailureHandler onFailure)
    : state_(std::make_unique<State>(std::move(onFailure))) {
  state_->kernelsRun = &kernelsRun_;
}

LazyEvaluator::~LazyEvaluator() = default;

void LazyEvaluator::setKnown(Value *value, c10::IValue sample) {
  State &s = *state_;
  State::ValueInfo &info = s.values[value];
  if (sample.isTensor() && sample.toTensor().defined())
    info.device = sample.toTensor().device();
  // Two arguments may be one tensor, or views of one (torch.save keeps
  // that): a write through one is a write to the other.
  forEachTensor(sample, [&](const at::Tensor &tensor) {
    if (tensor.defined() && tensor.is_meta() && !sample.isTensor())
      s.shapeOnlyTensors.emplace(tensor.unsafeGetTensorImpl(), value);
    if (!tensor.defined() || !tensor.has_storage())
      return;
    auto seen = s.storages.emplace(tensor.storage().unsafeGetStorageImpl(),
                                   value);
    if (!seen.second)
      s.unite(seen.first->second, value);
  });
  info.real = std::move(sample);
  info.hasReal = true;
}

void LazyEvaluator::setShapeOnly(Value *value, c10::IValue metaSample) {
  State::ValueInfo &info = state_->values[value];
  info.meta = std::move(metaSample);
  info.hasMeta = true;
  info.device = c10::kCPU;
}

void LazyEvaluator::setUnknown(Value *value) {
  state_->values[value].unknown = true;
}

void LazyEvaluator::emitted(Node *node, const Node *origin) {
  State &s = *state_;
  State::NodeInfo &info = s.nodes[node];
  info.origin = origin;
  info.random = node->isNondeterministic();
  s.order.push_back(node);
  if (info.random)
    s.randomNodes.push_back(node);

  // Devices: an explicit device argument, else the first tensor input's.
  c10::Device device = c10::kCPU;
  bool found = false;
  for (Value *input : node->inputs()) {
    auto it = s.values.find(input);
    if (it == s.values.end())
      continue;
    if (isDeviceType(input->type()) && it->second.hasReal &&
        it->second.real.isDevice()) {
      device = it->second.real.toDevice();
      found = true;
      break;
    }
  }
  if (!found)
    for (Value *input : node->inputs())
      if (isTensorType(input->type())) {
        device = s.values[input].device;
        break;
      }
  for (Value *output : node->outputs())
    s.values[output].device = device;

  // Aliasing, from the schema where there is one.
  const FunctionSchema *schema = node->maybeSchema();
  if (!schema) {
    Value *first = nullptr;
    for (Value *value : node->inputs())
      if (containsTensor(value->type()))
        first ? s.unite(first, value) : void(first = value);
    for (Value *value : node->outputs())
      if (containsTensor(value->type()))
        first ? s.unite(first, value) : void(first = value);
    return;
  }
  const auto &arguments = schema->arguments();
  const auto &returns = schema->returns();
  for (size_t o = 0; o < node->outputs().size() && o < returns.size(); ++o) {
    std::vector<Symbol> outSets;
    bool outWildcard = false;
    collectAliasSets(returns[o].alias_info(), outSets, outWildcard);
    if (outSets.empty() && !outWildcard)
      continue;
    for (size_t i = 0; i < node->inputs().size() && i < arguments.size(); ++i) {
      std::vector<Symbol> inSets;
      bool inWildcard = false;
      collectAliasSets(arguments[i].alias_info(), inSets, inWildcard);
      bool shared = outWildcard || inWildcard;
      for (const Symbol &set : inSets)
        shared |= std::find(outSets.begin(), outSets.end(), set) != outSets.end();
      if (shared && (!inSets.empty() || inWildcard))
        s.unite(node->output(o), node->input(i));
    }
  }
  for (size_t i = 0; i < node->inputs().size() && i < arguments.size(); ++i) {
    const c10::AliasInfo *alias = arguments[i].alias_info();
    if (alias && alias->isWrite()) {
      if (!info.mutates)
        ++writes_;
      info.mutates = true;
      info.written.push_back(i);
      s.writers[s.find(node->input(i))].push_back(node);
    }
  }
}

void LazyEvaluator::checkAll() { state_->checkAll(); }

void LazyEvaluator::runAll() { state_->runAllReal(); }

void LazyEvaluator::runDropped(const std::unordered_set<const Value *> &live) {
  state_->runDropped(live);
}

c10::IValue LazyEvaluator::real(Value *value) {
  state_->evaluate({value}, State::Real);
  return state_->input(value, State::Real);
}

c10::IValue LazyEvaluator::meta(Value *value) {
  state_->evaluate({value}, State::Meta);
  return state_->input(value, State::Meta);
}

bool LazyEvaluator::isKnown(Value *value) const {
  auto it = state_->values.find(value);
  return it != state_->values.end() && it->second.hasReal &&
         !state_->nodes.count(value->node());
}

c10::Device LazyEvaluator::device(Value *value) {
  auto it = state_->values.find(value);
  return it == state_->values.end() ? c10::Device(c10::kCPU)
                                    : it->second.device;
}

} // namespace s2t
