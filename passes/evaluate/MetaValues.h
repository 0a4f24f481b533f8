//===- passes/evaluate/MetaValues.h - Meta stand-ins ------------*- C++ -*-===//
//
// What the evaluator asks of values and types: whether a type holds tensors,
// the tensors inside a value (lists, tuples and dicts included), the meta
// copy of a value (same sizes, strides, dtype and requires_grad on the meta
// device), and which operators read metadata only or merely move values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>
#include <ATen/core/jit_type.h>
#include <ATen/core/stack.h>
#include <ATen/core/symbol.h>

#include <functional>

namespace s2t {
namespace evaluate {

bool isTensorType(const c10::TypePtr &type);
/// Whether `type` is a tensor or holds one (List[Tensor], Tuple[int, Tensor]).
bool containsTensor(const c10::TypePtr &type);
/// Whether `type` is Device or Optional[Device].
bool isDeviceType(const c10::TypePtr &type);

/// Operators that read a tensor's metadata only, so their result on a meta
/// tensor is exact.
bool readsMetadataOnly(c10::Symbol kind);
/// Nodes that move values around without computing: not counted as kernels.
bool isDataMovement(c10::Symbol kind);

/// Calls `visit` on every tensor `value` holds, in lists, tuples and dicts.
void forEachTensor(const c10::IValue &value,
                   const std::function<void(const at::Tensor &)> &visit);
/// `value` with every tensor replaced by a meta tensor of the same sizes,
/// strides, dtype and requires_grad.
c10::IValue toMeta(const c10::IValue &value);
/// The meta tensor `result` as an operator's result that requires grad: not
/// a leaf (in-place operations on it are allowed, as on any computed
/// tensor). Its history is a node that only says so; cheaper than a clone,
/// which dispatches through autograd and allocates again.
at::Tensor asComputedRequiringGrad(at::Tensor result);
/// Whether `value` is or holds a defined meta tensor.
bool isMetaOnly(const c10::IValue &value);
/// Whether the defined tensors on `stack` (lists of tensors included) have
/// more than one dtype.
bool mixesDtypes(const torch::jit::Stack &stack);

} // namespace evaluate
} // namespace s2t
