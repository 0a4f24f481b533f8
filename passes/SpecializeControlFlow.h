//===- passes/SpecializeControlFlow.h - Scripted graph to flat trace -*- C++ -*-===//
//
// The heart of s2t: an abstract interpreter that walks a scripted method's
// graph with sample inputs, decides every prim::If, unrolls every prim::Loop,
// inlines every call and builds a flat, control-flow-free graph equivalent to
// a trace on the sample (see docs/semantics.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace torch {
namespace jit {
struct Graph;
struct Node;
} // namespace jit
} // namespace torch

namespace s2t {

/// How a decision depended on the inputs (DESIGN: decision categories).
enum class DecisionCategory : uint8_t { Constant = 0, Shape = 1, Data = 2 };
const char *toString(DecisionCategory category);

/// One decided prim::If, unrolled prim::Loop, or other value the flat graph
/// bakes in (a list index, a dict key) that depends on the inputs.
struct Decision {
  enum Kind : uint8_t { If, Loop, Value } kind;
  DecisionCategory category;
  /// The node of the scripted graph (or of a callee's graph); it lives as long
  /// as the graph that was specialized.
  const torch::jit::Node *node;
  /// If: branch taken (0 = then, 1 = else). Loop: iterations run. Value: 0.
  int64_t outcome;
  /// What the decision read, as `x.size(0)`, `x.dim()`, `x.dtype`, `x` (its
  /// values), `n`, `x is None`, `len(xs)`; empty when the decision follows
  /// from the decisions on the path to it (a loop index, say).
  std::vector<std::string> dependsOn = {};
  /// Value: the value baked in, as text.
  std::string value = {};
  /// Kept in the flat graph because it could not be decided
  /// (--allow-residual); `reason` says why.
  bool residual = false;
  std::string reason = {};
  /// A run-time check of this decision was put into the graph (--guards).
  bool checked = false;

  /// file:line:col of the model's code, or the node's text.
  std::string location() const;
  /// "if", "loop" or "value".
  const char *kindName() const;
  /// "then", "else", "3 iterations", "residual", or the value.
  std::string outcomeText() const;
};

/// What the flat graph does on an input that would take another path.
enum class GuardMode : uint8_t {
  None,    ///< nothing, as a trace
  Assert,  ///< raise, naming the decision and its source location
  Fallback ///< run the original scripted method (see passes/InsertFallback.h)
};

struct SpecializeOptions {
  /// Total loop iterations the pass may unroll before it gives up.
  int64_t maxUnroll = 100000;
  /// Operations the flat graph may hold before the pass gives up: bounds the
  /// memory an unroll can take (about 5 KiB per operation).
  int64_t maxNodes = 1000000;
  /// Checks for the shape and data decisions (Fallback emits the same checks
  /// as Assert; the pipeline turns them into calls of the scripted method).
  GuardMode guards = GuardMode::None;
  /// Keep a prim::If / prim::Loop that cannot be decided (it needs a value of
  /// a shape-only or unknown input) instead of failing.
  bool allowResidual = false;
};

struct SpecializeResult {
  std::shared_ptr<torch::jit::Graph> graph; ///< the flat graph
  std::vector<Decision> decisions;
  /// The checks put in for --guards, in program order: prim::If nodes of the
  /// flat graph whose else block raises.
  std::vector<torch::jit::Node *> checks;
  int64_t iterationsUnrolled = 0;
  int64_t callsInlined = 0;
  int64_t kernelsRun = 0;
  /// With --guards=fallback: the method the flat graph calls when a check
  /// fails, to be added to the module with the original graph.
  std::string fallbackMethod;
  /// Wall time of the stages, when run through specializeProgram.
  double specializeSeconds = 0;
  double cleanupSeconds = 0;
};

/// Specializes `graph` for the sample `inputs`, one per graph input. When the
/// graph is a method, inputs[0] is the module object (`self`). The returned
/// graph has the same inputs as `graph` and no prim::If, prim::Loop,
/// prim::CallMethod or prim::CallFunction. Throws s2t::Error when the sample's
/// path raises, a loop runs away or a construct cannot be decided.
SpecializeResult specializeControlFlow(const torch::jit::Graph &graph,
                                       const std::vector<c10::IValue> &inputs,
                                       const SpecializeOptions &options = {});

/// torch::jit-style entry point: replaces `graph` by its specialization for
/// `inputs` (self first for a method). Returns true if the graph changed.
bool SpecializeControlFlow(std::shared_ptr<torch::jit::Graph> &graph,
                           const std::vector<c10::IValue> &inputs);

} // namespace s2t
