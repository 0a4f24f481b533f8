//===- passes/evaluate/MetaViews.h - Views by formula -----------*- C++ -*-===//
//
// The meta outputs of the view operators that reshape and window activations
// (transpose, permute, unsqueeze, view, reshape, flatten, select, slice) and
// of contiguous, computed as their kernels compute them instead of by
// dispatching: sizes, strides and storage offset, by the kernels' own rules
// (and LibTorch's computeStride for view and reshape).
//
// A view shares its base's autograd state: an in-place operation through it
// can make the base require grad, and one on a view of a leaf that requires
// grad raises. A tensor of its own, standing in for the view, is exact only
// where neither can happen: the base already requires grad and is no leaf,
// in grad mode. Elsewhere (views of the sample, of buffers, of parameters)
// the kernel makes the view. contiguous and flatten of one dimension return
// their input itself where it is contiguous, or for any tensor of at least
// one dimension; contiguous copies any other to contiguous strides.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <c10/util/Optional.h>
#include <c10/util/string_view.h>

namespace s2t {
namespace evaluate {

/// Whether viewByFormula knows the operator `name` (unqualified, "aten::"
/// taken off) with the overload `overload`.
bool isViewFormula(c10::string_view name, c10::string_view overload);

/// The meta output of the operator `name` (isViewFormula) on the meta
/// inputs `stack`, or None where the formula is not exact or the kernel
/// would raise.
c10::optional<c10::IValue> viewByFormula(c10::string_view name,
                                         const torch::jit::Stack &stack);

} // namespace evaluate
} // namespace s2t
