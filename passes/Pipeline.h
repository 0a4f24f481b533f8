//===- passes/Pipeline.h - load -> specialize -> clean up -------*- C++ -*-===//
//
// The stages s2t-opt runs, as one library call for programs that embed s2t.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "io/ModuleIO.h"
#include "passes/SpecializeControlFlow.h"

#include <functional>

namespace s2t {

/// Observes the graph after each stage ("specialize", "cleanup").
using StageCallback =
    std::function<void(const std::string &stage, const torch::jit::Graph &)>;

/// Specializes the program's method for `arguments` (one per argument after
/// `self`; the program's module is bound to `self`) and cleans the result up.
SpecializeResult specializeProgram(const Program &program,
                                   const std::vector<c10::IValue> &arguments,
                                   const SpecializeOptions &options = {},
                                   const StageCallback &afterStage = nullptr);

} // namespace s2t
