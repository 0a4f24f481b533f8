//===- passes/evaluate/MetaValues.cpp - Values and meta stand-ins ---------===//
//
// See MetaValues.h: predicates on types and operators, and walks over the
// tensors a value holds.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaValues.h"

#include <ATen/ATen.h>
#include <ATen/EmptyTensor.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/jit/ir/ir.h>

#include <unordered_set>

namespace s2t {
namespace evaluate {

using namespace torch::jit;

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

bool isDataMovement(Symbol kind) {
  return kind == prim::ListConstruct || kind == prim::ListUnpack ||
         kind == prim::TupleConstruct || kind == prim::TupleUnpack ||
         kind == prim::DictConstruct || kind == prim::unchecked_cast ||
         kind == prim::Constant || kind == prim::GetAttr ||
         kind == prim::Uninitialized || kind == aten::__getitem__;
}

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

c10::IValue toMeta(const c10::IValue &value) {
  if (value.isTensor()) {
    const at::Tensor &tensor = value.toTensor();
    if (!tensor.defined() || tensor.is_meta())
      return value;
    // requires_grad is metadata too: decisions read it, and autograd's
    // checks (an in-place write to a leaf that requires grad) depend on it.
    // A dense tensor's stand-in is made as the meta kernel of empty_strided
    // makes it, without the dispatcher's ~2,500 instructions (every
    // parameter a kernel or a formula reads is one).
    at::Tensor meta =
        tensor.layout() == c10::kStrided && !tensor.is_quantized()
            ? at::Tensor(at::detail::empty_strided_meta(
                  tensor.sizes(), tensor.strides(), tensor.scalar_type()))
            : at::empty_strided(tensor.sizes(), tensor.strides(),
                                tensor.options().device(c10::kMeta));
    return meta.requires_grad_(tensor.requires_grad());
  }
  if (value.isTensorList() ||
      (value.isList() && containsTensor(value.type()))) {
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

namespace {
/// The grad_fn of a meta result: it is never run backward (meta tensors hold
/// no data), it only makes the result a non-leaf.
struct MetaResultGrad final : torch::autograd::Node {
  torch::autograd::variable_list
  apply(torch::autograd::variable_list &&) override {
    TORCH_CHECK(false, "s2t's meta results have no gradient");
  }
};
} // namespace

at::Tensor asComputedRequiringGrad(at::Tensor result) {
  if (!at::isFloatingType(result.scalar_type()) &&
      !at::isComplexType(result.scalar_type()))
    return result.requires_grad_(true); // raises, as autograd would
  // A node of its own, which knows the result's metadata as autograd's
  // nodes know their outputs' (LibTorch 2 reads it: a node shared by all,
  // without it, read out of bounds).
  torch::autograd::set_history(result, std::make_shared<MetaResultGrad>());
  return result;
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

} // namespace evaluate
} // namespace s2t
