//===- passes/Registration.cpp - The pass in torch::jit's registry --------===//

#include "passes/Registration.h"

#include "passes/Cleanup.h"
#include "passes/SpecializeControlFlow.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/pass_manager.h>

namespace s2t {

RegisteredSpecializePass::RegisteredSpecializePass(
    std::vector<c10::IValue> inputs) {
  name_ = torch::jit::registerPostPass(
      [inputs = std::move(inputs)](std::shared_ptr<torch::jit::Graph> &graph) {
        if (graph->inputs().size() != inputs.size())
          return;
        std::shared_ptr<torch::jit::Graph> flat =
            specializeControlFlow(*graph, inputs).graph;
        cleanupFlatGraph(flat);
        graph = std::move(flat);
      });
}

RegisteredSpecializePass::~RegisteredSpecializePass() {
  torch::jit::clearPostPass(name_);
}

} // namespace s2t
