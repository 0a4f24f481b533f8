//===- passes/evaluate/MetaShapes.h - Meta outputs by formula ---*- C++ -*-===//
//
// LibTorch 1.13 has no meta kernel for some common operators (convolution,
// the norms, softmax, ...). For those the evaluator computes meta outputs
// here: from formulas of our own for the plain cases (checked the way the
// kernel checks its arguments), else from torch's registered shape function
// (torch/jit/_shape_functions.py), with the output dtype found by running the
// operator on one-element stand-ins.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <ATen/core/function_schema.h>
#include <ATen/core/stack.h>
#include <ATen/core/symbol.h>
#include <c10/util/Optional.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace s2t {
namespace evaluate {

/// Output sizes of common operators that have no meta kernel in LibTorch
/// 1.13 (keepsInputSizes operators, conv1d/2d/3d, convolution, the full
/// reductions max(Tensor) and min(Tensor)), computed here
/// because torch's shape-function registry takes about 0.15 s to compile on
/// first use. `stack` holds the operator's inputs. None when the arguments
/// are not the plain case these formulas know, or would make the kernel
/// raise: the general path then decides.
c10::optional<std::vector<int64_t>>
nativeOutputSizes(c10::Symbol kind, const torch::jit::Stack &stack);

/// The meta outputs of aten::_native_multi_head_attention, the fast path of
/// nn.MultiheadAttention (self-attention on a batched dense query): the
/// query's shape, and the attention weights only when asked for.
c10::optional<torch::jit::Stack>
nativeMultiHeadAttention(const torch::jit::Stack &stack);

/// Runs an operator on a stack of its inputs.
using RunOperator = std::function<void(torch::jit::Stack &)>;

/// The dtype of an operator's one tensor output for the meta inputs `stack`,
/// from running it (`run`) on CPU tensors of one element with the same
/// dtypes and ranks (type promotion depends on dtypes and on which inputs
/// are 0-d, not on sizes). None if that fails.
c10::optional<at::ScalarType>
standInOutputDtype(const RunOperator &run, const torch::jit::Stack &stack);

/// Meta outputs from sizes, for operators without a meta kernel; keeps the
/// compiled shape functions.
class ShapeFunctions {
public:
  /// The dtype of a node's one tensor output for meta inputs, or None.
  using DtypeProbe =
      std::function<c10::optional<at::ScalarType>(const torch::jit::Stack &)>;

  ShapeFunctions();
  ~ShapeFunctions();

  /// Computes the meta outputs of `node` (of operator `schema`, or null) from
  /// its sizes. `stack` holds the meta inputs; on success it holds the
  /// outputs, which require grad as autograd would make them: when grad mode
  /// is on, an input requires grad and the output is of a floating or complex
  /// dtype. False, with `stack` unchanged, when nothing here knows them.
  bool run(const torch::jit::Node *node, const c10::FunctionSchema *schema,
           const DtypeProbe &outputDtype, torch::jit::Stack &stack);
  /// How many outputs run() sized by a formula of its own (no dispatch of
  /// torch's shape function or of a kernel on stand-ins).
  int64_t sizedByFormula() const { return sizedByFormula_; }

private:
  bool outputs(const torch::jit::Node *node, const c10::FunctionSchema *schema,
               const DtypeProbe &outputDtype, torch::jit::Stack &stack);
  bool registered(const torch::jit::Node *node,
                  const c10::FunctionSchema &schema,
                  const DtypeProbe &outputDtype, torch::jit::Stack &stack);

  std::unordered_map<const c10::FunctionSchema *,
                     std::shared_ptr<torch::jit::Code>>
      code_;
  int64_t sizedByFormula_ = 0;
};

} // namespace evaluate
} // namespace s2t
