//===- ir/Decision.h - What the specialization decides ----------*- C++ -*-===//
//
// The vocabulary the pass, the report, the Graphviz picture and the public API
// share about decisions: how a decision depended on the inputs (its category),
// one decision as the pass records it, and what the flat graph does on an
// input that would take another path (Guards). The definitions of Decision's
// and DecisionCategory's functions are in passes/SpecializeControlFlow.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <cstdint>
#include <string>
#include <vector>

namespace s2t {

/// How a decision depended on the inputs (DESIGN: decision categories).
enum class DecisionCategory : uint8_t { Constant = 0, Shape = 1, Data = 2 };
const char *toString(DecisionCategory category);

/// One decided prim::If, unrolled prim::Loop, or other value the flat graph
/// bakes in (a list index, a dict key) that depends on the inputs. The public
/// API shows it as s2t::DecisionReport (include/s2t/s2t.h).
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
  /// (Options::allowResidual); `reason` says why.
  bool residual = false;
  std::string reason = {};
  /// A run-time check of this decision was put into the graph
  /// (Options::guards).
  bool checked = false;

  /// file:line:col of the model's code, or the node's text.
  std::string location() const;
  /// "if", "loop" or "value".
  const char *kindName() const;
  /// "then", "else", "3 iterations", "residual", or the value.
  std::string outcomeText() const;
};

/// What the flat graph does on an input that would take another path: the
/// checks it carries to test that an input takes the sample's path.
enum class Guards : uint8_t {
  None,    ///< nothing, as a trace
  Assert,  ///< raise, naming the decision and its source location
  Fallback ///< run the original scripted method (see passes/InsertFallback.h)
};
/// The pass's former name for Guards.
using GuardMode = Guards;

} // namespace s2t
