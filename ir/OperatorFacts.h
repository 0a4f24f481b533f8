//===- ir/OperatorFacts.h - What operators do to shapes ---------*- C++ -*-===//
//
// Facts about operators that more than one pass relies on, kept in one table:
// the evaluator computes output sizes from them without running a kernel,
// and the guard checks treat a size read through such an operator as a read
// of its input's size.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/symbol.h>

namespace s2t {

/// Whether `kind` returns a tensor of its first input's sizes whenever its
/// kernel accepts the arguments: norms (batch, instance, group, layer),
/// activations, dropout, softmax, contiguous, a transformer encoder layer.
/// Only operators LibTorch 1.13 has no meta kernel for need to be here.
bool keepsInputSizes(c10::Symbol kind);

} // namespace s2t
