//===- passes/Pipeline.cpp - load -> specialize -> clean up ---------------===//

#include "passes/Pipeline.h"

#include "ir/Error.h"
#include "passes/Cleanup.h"
#include "passes/InsertFallback.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>

#include <chrono>

namespace s2t {

SpecializeResult specializeProgram(const Program &program,
                                   const std::vector<c10::IValue> &arguments,
                                   const SpecializeOptions &options,
                                   const StageCallback &afterStage) {
  std::vector<c10::IValue> inputs;
  inputs.reserve(arguments.size() + 1);
  if (program.module)
    inputs.push_back(program.module->_ivalue());
  inputs.insert(inputs.end(), arguments.begin(), arguments.end());

  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  };
  Clock::time_point start = Clock::now();
  SpecializeResult result =
      specializeControlFlow(*program.graph, inputs, options);
  result.specializeSeconds = seconds(start);
  if (afterStage)
    afterStage("specialize", *result.graph);
  start = Clock::now();
  try {
    cleanupFlatGraph(result.graph);
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
  if (options.guards == GuardMode::Fallback) {
    result.fallbackMethod = fallbackMethodName(program.method);
    InsertFallback(result.graph, result.checks, result.fallbackMethod);
    result.checks.clear(); // rewritten into branches
  }
  result.cleanupSeconds = seconds(start);
  if (afterStage)
    afterStage("cleanup", *result.graph);
  return result;
}

} // namespace s2t
