//===- passes/InsertFallback.h - Guards that fall back to the scripted method ===//
//
// --guards=fallback: the specializer's checks (prim::If nodes whose else
// block raises) become branches. Each check's then block holds the rest of
// the flat graph; its else block calls the original scripted method, kept in
// the module as `fallbackMethodName(method)`. The result is correct for every
// input and runs the flat path for inputs that pass every check.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <memory>
#include <string>
#include <vector>

namespace s2t {

/// The name the original method is kept under: `_s2t_scripted_forward`.
std::string fallbackMethodName(const std::string &method);

/// Rewrites the top-level `checks` of `graph` (a method's flat graph, `self`
/// first) into calls of `self.<fallbackMethod>` when they fail. Throws
/// s2t::Error if an operation before a check writes to an input or to the
/// module's state (the scripted method would then see the write twice), or
/// if there are more checks than can nest.
void InsertFallback(const std::shared_ptr<torch::jit::Graph> &graph,
                    const std::vector<torch::jit::Node *> &checks,
                    const std::string &fallbackMethod);

} // namespace s2t
