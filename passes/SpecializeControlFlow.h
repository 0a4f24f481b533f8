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

/// One decided prim::If or unrolled prim::Loop.
struct Decision {
  enum Kind : uint8_t { If, Loop } kind;
  DecisionCategory category;
  /// The node of the scripted graph (or of a callee's graph); it lives as long
  /// as the graph that was specialized.
  const torch::jit::Node *node;
  int64_t outcome; ///< branch taken (0 = then, 1 = else) or iterations

  /// file:line:col of the model's code, or the node's text.
  std::string location() const;
};

struct SpecializeOptions {
  /// Total loop iterations the pass may unroll before it gives up.
  int64_t maxUnroll = 100000;
  /// Operations the flat graph may hold before the pass gives up: bounds the
  /// memory an unroll can take (about 5 KiB per operation).
  int64_t maxNodes = 1000000;
};

struct SpecializeResult {
  std::shared_ptr<torch::jit::Graph> graph; ///< the flat graph
  std::vector<Decision> decisions;
  int64_t iterationsUnrolled = 0;
  int64_t callsInlined = 0;
  int64_t kernelsRun = 0;
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
