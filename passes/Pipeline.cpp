//===- passes/Pipeline.cpp - The stages of a conversion -------------------===//
//
// The table of stages and the loop that runs them, timing each and showing
// its graph to the observer before and after.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipeline.h"

#include "ir/Error.h"
#include "passes/Cleanup.h"
#include "passes/InsertFallback.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>

#include <chrono>

namespace s2t {

namespace {

bool always(const Options &) { return true; }

void specialize(PipelineState &state) {
  state.result = specializeControlFlow(*state.program.graph, state.inputs,
                                       state.options);
}

void cleanup(PipelineState &state) {
  try {
    cleanupFlatGraph(state.result.graph, state.result.schemas.get());
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    // torch's passes assert that each aten node matches a schema; a textual
    // graph whose values do not have the types it declares (a str stored in
    // a Dict(str, Tensor)) gets past the walk and fails here.
    conversionError("the flat graph is not valid for torch's passes: " +
                    firstMessageLine(e.what()));
  }
}

bool fallsBack(const Options &options) {
  return options.guards == Guards::Fallback;
}

void insertFallback(PipelineState &state) {
  SpecializeResult &result = state.result;
  result.fallbackMethod = fallbackMethodName(state.program.method);
  InsertFallback(result.graph, result.checks, result.fallbackMethod);
  result.checks.clear(); // rewritten into branches
}

void checkStopAfter(const std::string &stopAfter) {
  if (stopAfter.empty())
    return;
  std::string names;
  for (const Stage &stage : pipelineStages()) {
    if (stopAfter == stage.name)
      return;
    names += (names.empty() ? "" : ", ") + std::string(stage.name);
  }
  usageError(option("stop_after", stopAfter) + " is not a stage (" + names +
             ")");
}

} // namespace

const std::vector<Stage> &pipelineStages() {
  static const std::vector<Stage> stages = {
      {"specialize",
       "decide every prim::If, unroll every prim::Loop, inline every call",
       always, specialize},
      {"cleanup", "remove what is unused, pool the constants", always,
       cleanup},
      {"insert-fallback",
       "turn the checks into calls of the scripted method (guards=fallback)",
       fallsBack, insertFallback},
  };
  return stages;
}

PipelineResult specializeProgram(const Program &program,
                                 const std::vector<c10::IValue> &arguments,
                                 const Options &options) {
  checkStopAfter(options.stopAfter);
  PipelineState state{program, {}, options, {}};
  if (program.module)
    state.inputs.push_back(program.module->_ivalue());
  state.inputs.insert(state.inputs.end(), arguments.begin(), arguments.end());

  using Clock = std::chrono::steady_clock;
  std::vector<StageTime> times;
  for (const Stage &stage : pipelineStages()) {
    if (stage.applies(options)) {
      const torch::jit::Graph &before =
          state.result.graph ? *state.result.graph : *program.graph;
      if (options.observer)
        options.observer(/*before=*/true, stage.name, before);
      Clock::time_point start = Clock::now();
      stage.run(state);
      times.push_back(
          {stage.name,
           std::chrono::duration<double>(Clock::now() - start).count()});
      if (options.observer)
        options.observer(/*before=*/false, stage.name, *state.result.graph);
    }
    if (options.stopAfter == stage.name)
      break;
  }
  return {std::move(state.result), std::move(times)};
}

} // namespace s2t
