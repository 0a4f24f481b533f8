//===- passes/Cleanup.h - Make a flat graph read like a trace ---*- C++ -*-===//
#pragma once

#include "ir/JitForward.h"

#include <memory>

namespace s2t {

/// Removes what the specializer left unused and merges duplicate constants,
/// with torch's own passes: dead code, constant pooling.
void cleanupFlatGraph(std::shared_ptr<torch::jit::Graph> &graph);

} // namespace s2t
