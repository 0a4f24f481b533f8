//===- passes/evaluate/MetaFormulas.h - Metadata by formula -----*- C++ -*-===//
//
// The meta outputs of the commonest operators, computed here instead of by
// dispatching their meta kernels: elementwise arithmetic and activations,
// whose result has the broadcast sizes of the inputs, the promoted dtype and
// contiguous strides, and their in-place forms, whose result is `self`;
// convolutions, norms and softmax, sized by MetaShapes' formulas, which
// LibTorch 1.13 has no meta kernel for (probing for one costs a c10::Error
// with its backtrace); a classifier's head: pooling (max_pool1d/2d,
// avg_pool2d, adaptive_avg_pool2d), linear and the matrix products of
// matrices, cat, mean over dimensions, hardtanh and relu6; roll, which has
// no meta kernel in LibTorch 1.13 either (swin transformers shift their
// windows with it); the dropouts in evaluation or of probability 0, which
// return their input itself; size; views and contiguous (MetaViews.h, where
// views are exact as tensors of their own). A formula answers only where it
// is exact (sizes, strides, dtype, requires_grad, and whether the result is
// the input) and the kernel could not raise; anything else is left to the
// kernel. An unrolled loop of `x = x + 1` then costs no dispatch per
// iteration.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <c10/util/Optional.h>

#include <unordered_map>

namespace s2t {
namespace evaluate {

class MetaFormulas {
public:
  /// The one meta output of the operator `schema` on the meta inputs
  /// `stack` (the operator's inputs, in order), or None where no formula is
  /// exact.
  c10::optional<c10::IValue> run(const c10::FunctionSchema &schema,
                                 const torch::jit::Stack &stack);

  enum class Formula {
    None,
    Unary,
    Arithmetic,
    InPlace,
    Sized,
    Pool,
    AdaptivePool,
    Matrix,
    Concatenate,
    Mean,
    Hardtanh,
    Roll,
    Identity,
    View,
    Size
  };

private:
  /// Which formula each operator has, found once per schema.
  std::unordered_map<const c10::FunctionSchema *,
                     std::pair<Formula, c10::Symbol>>
      formulas_;
};

} // namespace evaluate
} // namespace s2t
