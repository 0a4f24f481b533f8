//===- passes/Cleanup.cpp - Make a flat graph read like a trace -----------===//
//
// The specializer emits constants where they are used and size reads for every
// dimension it may need; this stage leaves only what the outputs depend on.
// All of it is torch's own passes, which respect aliasing and side effects.
//
//===----------------------------------------------------------------------===//

#include "passes/Cleanup.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

namespace s2t {

void cleanupFlatGraph(std::shared_ptr<torch::jit::Graph> &graph) {
  // No common-subexpression elimination: a trace has none, and torch 1.13's
  // merges two reads of a list across an in-place write to one of its
  // elements (test/differential/regressions.py).
  torch::jit::EliminateDeadCode(graph);
  torch::jit::ConstantPooling(graph);
  GRAPH_DUMP("After cleanupFlatGraph:", graph);
}

} // namespace s2t
