//===- emit/DotEmitter.h - Decisions as a Graphviz picture -------*- C++ -*-===//
//
// Writes a Graphviz digraph of one specialization: the scripted graph, with
// its nested blocks as clusters and the callee graphs that hold decisions as
// clusters of their own, each decided prim::If / prim::Loop filled with the
// colour of its category and labelled with its outcome; beside it the flat
// graph. Constants are left out of both pictures to keep them readable.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"
#include "passes/SpecializeControlFlow.h"

#include <ostream>
#include <string>

namespace s2t {

/// Writes `result` (a specialization of `scripted`, the graph of the method
/// named `method`) as DOT text. `scripted` must be the graph that was
/// specialized, unchanged since: the decisions point into it and its callees.
void emitDot(std::ostream &out, const torch::jit::Graph &scripted,
             const std::string &method, const SpecializeResult &result);

} // namespace s2t
