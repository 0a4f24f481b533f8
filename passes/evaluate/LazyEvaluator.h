//===- passes/evaluate/LazyEvaluator.h - Values on demand -------*- C++ -*-===//
//
// The specializer emits the flat graph without running it. When a decision
// needs a value, the evaluator computes it from the backward slice of the
// flat graph, in program order:
//   - meta(v): what a decision on shapes needs. Tensors are computed on the
//     `meta` device (sizes, strides, dtype; no data, no kernels); scalars that
//     only read metadata (aten::size, aten::dim, ...) are exact.
//   - real(v): the sample value itself, running real kernels.
// Operations without a meta kernel, or that read tensor data (aten::Int,
// aten::item, torchvision::nms), fall back to real evaluation. In-place
// operations are respected: a value read after a mutation of anything it may
// alias is the mutated value, and a mutation runs only after every earlier
// reader of what it mutates. Random operations run in program order.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <ATen/core/ivalue.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace s2t {

/// Thrown (not a std::exception, so that nothing on the way mistakes it for
/// a failed operator) when a value is needed that the sample does not give:
/// the data of a shape-only input (`f32[2,3]`), or anything of an unknown
/// (`?`) input or of a value kept residual.
struct UnknownValue {
  const torch::jit::Value *value;  ///< the input or residual value
  const torch::jit::Node *needing; ///< the operation that needed it, or null
  bool shapeOnly;                  ///< its metadata is known, its data not
};

class LazyEvaluator {
public:
  using Value = torch::jit::Value;
  using Node = torch::jit::Node;
  /// Reports a failed operation: the flat-graph node, the node of the
  /// scripted graph it computes (or null), and the exception's message.
  using FailureHandler = std::function<void(
      const Node *flat, const Node *origin, const std::string &message)>;

  explicit LazyEvaluator(FailureHandler onFailure);
  ~LazyEvaluator();

  /// Threads for the kernels real() runs (Options::threads), set by
  /// at::set_num_threads before the first one; 0 leaves LibTorch's setting.
  void setKernelThreads(int64_t threads);

  /// A flat-graph value whose sample value is known (inputs, constants,
  /// attributes).
  void setKnown(Value *value, c10::IValue sample);
  /// A module attribute (a parameter, a buffer, a structure of them): known;
  /// kernels see tensors of the evaluator's own on its memory, which is
  /// copied before a kernel writes to it (evaluate/AttributeCopies.h).
  void setAttribute(Value *value, c10::IValue original);
  /// A value known by its metadata only: `metaSample` is on the meta device.
  void setShapeOnly(Value *value, c10::IValue metaSample);
  /// A value nothing is known of (an input given as `?`, the output of a
  /// residual prim::If or prim::Loop, a residual loop's block input).
  void setUnknown(Value *value);
  /// A node just appended to the flat graph; `origin` is the node of the
  /// scripted graph it computes (its operator is used), or null. `random`:
  /// whether it is nondeterministic (Node::isNondeterministic). `schema`:
  /// the schema of the operator that computes it (`origin`'s, if given), or
  /// null.
  void emitted(Node *node, const Node *origin, bool random,
               const c10::FunctionSchema *schema);

  /// The sample value of `value`, running kernels if needed. Throws
  /// UnknownValue when it depends on what the sample does not give.
  c10::IValue real(Value *value);
  /// `value` with exact metadata: a meta tensor for a tensor not yet
  /// computed, the exact value for everything else.
  c10::IValue meta(Value *value);
  /// Runs every emitted operation that no decision needed on meta values, so
  /// that one that fails on the sample's sizes, dtypes or memory overlap is
  /// reported (through the FailureHandler) although nothing reads it. Runs no
  /// kernel unless a meta kernel fails: then the real values confirm the
  /// error. Errors that only data shows are not seen (docs/semantics.md).
  void checkAll();
  /// Runs every emitted operation not run yet on real values, in program
  /// order (skipping those that need what the sample does not give): called
  /// when the sample's path is about to be reported as failing, since the
  /// interpreter would run them all first. The first that fails is reported
  /// through the FailureHandler instead.
  void runAll();
  /// Runs for real every emitted in-place operation not run yet whose
  /// result is not `live` and that is not in `kept` (the flat graph may
  /// drop it): a write whose source overlaps what it writes fails
  /// on real memory only, and that failure would otherwise be lost, while
  /// the interpreter, and a trace, would meet it. Failures go to the
  /// FailureHandler. A write in `kept` stays in the flat graph, which meets
  /// its failure when it runs.
  void runDropped(const std::function<bool(const Value *)> &live,
                  const std::unordered_set<const Node *> &kept);
  /// Whether the sample value of `value` is known without running anything.
  bool isKnown(Value *value) const;
  /// The device a tensor value lives on in the sample run.
  c10::Device device(Value *value);

  int64_t kernelsRun() const { return kernelsRun_; }
  /// Meta outputs computed by formula (evaluate/MetaFormulas.h), by
  /// dispatching a meta kernel or a shape function, and as a meta kernel
  /// gave them before on the same metadata (evaluate/MetaMemo.h).
  int64_t metadataByFormula() const;
  int64_t metadataByDispatch() const;
  int64_t metadataReused() const;
  /// Bytes of module attributes copied for kernels (setAttribute).
  size_t bytesCopied() const;
  /// How many emitted operations write to one of their inputs.
  uint64_t writes() const { return writes_; }

private:
  struct State;
  std::unique_ptr<State> state_;
  int64_t kernelsRun_ = 0;
  uint64_t writes_ = 0;
};

} // namespace s2t
