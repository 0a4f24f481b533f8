//===- passes/Cleanup.h - Make a flat graph read like a trace ---*- C++ -*-===//
#pragma once

#include "ir/JitForward.h"

#include <functional>
#include <memory>
#include <unordered_set>

namespace s2t {

class FlatSchemas;

/// Whether a value is live: what eliminateDeadCode found, before it deletes.
using IsLive = std::function<bool(const torch::jit::Value *)>;

/// torch's EliminateDeadCode(block, beforeDeleting) without alias analysis:
/// removes the nodes whose outputs nothing live uses, keeping those with side
/// effects and those that write to an input; `beforeDeleting` is told which
/// values live first. A block without nested blocks (an unrolled graph) is
/// swept here once, backwards, at a few bit operations per node; torch's pass
/// costs ~2,500 instructions per node. Others go to torch's pass. `schemas`:
/// those the specializer knew, if any (ir/FlatSchemas.h).
void eliminateDeadCode(
    torch::jit::Block *block,
    const std::function<void(const IsLive &)> &beforeDeleting = nullptr,
    const FlatSchemas *schemas = nullptr);

/// In-place operations of a block without nested blocks that
/// cleanupFlatGraph keeps, with alias analysis or without (a subset of what
/// it keeps; none for a block with nested blocks): those whose outputs a
/// live operation uses, and those that write to a view of memory (the same
/// tensor, a view of it, a view of what it views, through operators whose
/// schemas say so) that a live operation after them reads or the block
/// returns. torch's alias analysis finds each of those writes live too.
/// `schemas`: those the specializer knew, if any (ir/FlatSchemas.h).
std::unordered_set<const torch::jit::Node *>
writesCleanupKeeps(const torch::jit::Block *block,
                   const FlatSchemas *schemas = nullptr);

/// Removes what the specializer left unused and merges duplicate constants,
/// with torch's own passes: dead code, constant pooling. `schemas`: those
/// the specializer knew, if any.
void cleanupFlatGraph(std::shared_ptr<torch::jit::Graph> &graph,
                      const FlatSchemas *schemas = nullptr);

} // namespace s2t
