//===- passes/SpecializeControlFlow.h - Scripted graph to flat trace -*- C++ -*-===//
//
// The heart of s2t: an abstract interpreter that walks a scripted method's
// graph with sample inputs, decides every prim::If, unrolls every prim::Loop,
// inlines every call and builds a flat, control-flow-free graph equivalent to
// a trace on the sample (see docs/semantics.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Decision.h"
#include "ir/JitForward.h"
#include "ir/Options.h"

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace s2t {

class FlatSchemas;

/// The pass reads s2t::Options (ir/Options.h) as it is: maxUnroll, maxNodes,
/// guards and allowResidual.
using SpecializeOptions = Options;

struct SpecializeResult {
  std::shared_ptr<torch::jit::Graph> graph; ///< the flat graph
  /// The schemas of its operations that the pass knew (ir/FlatSchemas.h),
  /// for the clean-up.
  std::shared_ptr<const FlatSchemas> schemas;
  std::vector<Decision> decisions;
  /// The checks put in for Options::guards, in program order: prim::If nodes of the
  /// flat graph whose else block raises.
  std::vector<torch::jit::Node *> checks;
  int64_t iterationsUnrolled = 0;
  int64_t callsInlined = 0;
  int64_t kernelsRun = 0;
  /// Meta outputs the evaluator computed by formula, by dispatching a meta
  /// kernel or a shape function, and as a meta kernel gave them before.
  int64_t metadataFormula = 0;
  int64_t metadataDispatch = 0;
  int64_t metadataReused = 0;
  /// With Guards::Fallback: the method the flat graph calls when a check
  /// fails, to be added to the module with the original graph.
  std::string fallbackMethod;
};

/// Specializes `graph` for the sample `inputs`, one per graph input. When the
/// graph is a method, inputs[0] is the module object (`self`). The returned
/// graph has the same inputs as `graph` and no prim::If, prim::Loop,
/// prim::CallMethod or prim::CallFunction. Throws s2t::Error when the sample's
/// path raises, a loop runs away or a construct cannot be decided.
SpecializeResult specializeControlFlow(const torch::jit::Graph &graph,
                                       const std::vector<c10::IValue> &inputs,
                                       const Options &options = {});

/// torch::jit-style entry point: replaces `graph` by its specialization for
/// `inputs` (self first for a method). Returns true if the graph changed.
bool SpecializeControlFlow(std::shared_ptr<torch::jit::Graph> &graph,
                           const std::vector<c10::IValue> &inputs);

} // namespace s2t
