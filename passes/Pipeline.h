//===- passes/Pipeline.h - The stages of a conversion -----------*- C++ -*-===//
//
// The pipeline is a table of stages run in order on a loaded program:
// specialize (passes/SpecializeControlFlow.h), cleanup (passes/Cleanup.h) and
// insert-fallback (passes/InsertFallback.h, with Guards::Fallback only). The
// table names the stages for s2t-opt's --print-before, --print-after,
// --stop-after and --help, and for the public API.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "io/ModuleIO.h"
#include "passes/SpecializeControlFlow.h"

#include <string>
#include <vector>

namespace s2t {

/// What the stages work on: the program, its samples and what they made.
struct PipelineState {
  const Program &program;
  /// The graph inputs: the module (`self`) first for a method, then the
  /// arguments.
  std::vector<c10::IValue> inputs;
  const Options &options;
  SpecializeResult result;
};

/// One stage of the pipeline.
struct Stage {
  const char *name;    ///< as --print-before / --stop-after name it
  const char *summary; ///< one line for --help
  /// Whether it has anything to do for these options (insert-fallback only
  /// with Guards::Fallback); a stage that does not apply is not run, timed
  /// or printed.
  bool (*applies)(const Options &options);
  void (*run)(PipelineState &state);
};

/// The stages, in the order they run.
const std::vector<Stage> &pipelineStages();

/// Wall time of one stage that ran.
struct StageTime {
  std::string stage;
  double seconds = 0;
};

/// What specializeProgram returns: the pass's result after every stage that
/// ran, and how long each took.
struct PipelineResult {
  SpecializeResult result;
  std::vector<StageTime> times;
};

/// Runs the stages on the program's method for `arguments` (one per argument
/// after `self`; the program's module is bound to `self`): every stage that
/// applies, up to options.stopAfter when it is set, each seen by
/// options.observer before and after. Throws s2t::Error.
PipelineResult specializeProgram(const Program &program,
                                 const std::vector<c10::IValue> &arguments,
                                 const Options &options = {});

} // namespace s2t
