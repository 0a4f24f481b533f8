// Running s2t's pass from a LibTorch program, both ways (docs/libtorch.md):
//   1. a direct call on a graph the program holds;
//   2. through torch::jit's registry of post-passes.
// Usage: specialize-in-libtorch MODEL.pt X   (X: the float value of a 0-dim
// tensor argument). Prints both flat graphs and the result on the sample.
#include "passes/Cleanup.h"
#include "passes/Registration.h"
#include "passes/SpecializeControlFlow.h"

#include <torch/csrc/jit/passes/pass_manager.h>
#include <torch/script.h>

#include <iostream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: specialize-in-libtorch MODEL.pt X\n";
    return 2;
  }
  torch::jit::Module module = torch::jit::load(argv[1]);
  std::vector<c10::IValue> inputs = {module._ivalue(),
                                     torch::tensor(std::stof(argv[2]))};

  // 1. Direct call: the method's graph, self first among the samples.
  std::shared_ptr<torch::jit::Graph> graph =
      module.get_method("forward").graph()->copy();
  s2t::SpecializeControlFlow(graph, inputs);
  s2t::cleanupFlatGraph(graph);
  std::cout << "direct:\n" << *graph;

  // 2. Registered: every post-pass pipeline torch::jit runs now includes it.
  {
    s2t::RegisteredSpecializePass registered(inputs);
    std::shared_ptr<torch::jit::Graph> viaRegistry =
        module.get_method("forward").graph()->copy();
    for (auto &pass : torch::jit::getCustomPostPasses())
      pass.first(viaRegistry);
    std::cout << "registered:\n" << *viaRegistry;
  }

  // The flat graph computes what the module computes on the sample.
  torch::jit::GraphExecutor executor(graph, "flat");
  torch::jit::Stack stack(inputs.begin(), inputs.end());
  executor.run(stack);
  std::cout << "flat(x) = " << stack.back().toTensor().item<float>()
            << ", module(x) = "
            << module.forward({inputs[1]}).toTensor().item<float>() << "\n";
  return 0;
}
