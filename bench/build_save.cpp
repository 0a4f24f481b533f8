//===- bench/build_save.cpp - The floor of the memory per operation -------===//
//
// A LibTorch process that builds the flat graph of the benchmark's loop,
// `x = x + 1` unrolled N times, node by node in a torch::jit::Graph, and saves
// it as a module's forward, and nothing else: what any tool that writes that
// graph as an archive must at least hold. The benchmark (bench/run.py) sets
// its peak memory per operation beside s2t-opt's. The graph is the one
// s2t-opt writes for the loop: inputs self, x and n, one constant 1, N
// `aten::add(x, 1, 1)` each with the loop body's source range and a name of
// its own. Linked with the allocator s2t-opt links (bench/CMakeLists.txt).
//
//   bench-build-save N OUT.pt
//
//===----------------------------------------------------------------------===//

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/frontend/source_range.h>
#include <torch/csrc/jit/ir/ir.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

int main(int argc, char **argv) {
  using namespace torch::jit;
  char *end = nullptr;
  long long n = argc == 3 ? std::strtoll(argv[1], &end, 10) : -1;
  if (n < 0 || *end) {
    std::cerr << "usage: bench-build-save N OUT.pt\n";
    return 2;
  }
  try {
    Module module("__torch__.BuildSaveLoop");
    auto graph = std::make_shared<Graph>();
    graph->addInput("self")->setType(module.type());
    Value *x = graph->addInput("x")->setType(c10::TensorType::get());
    graph->addInput("n")->setType(c10::IntType::get());
    Value *one = graph->insertConstant(1);
    std::string body = "for _ in range(n):\n    x = x + 1\n";
    auto source = std::make_shared<Source>(body, "models.py", 1);
    SourceRange range(source, body.find("x + 1"), body.size() - 1);
    for (long long i = 0; i < n; ++i) {
      Node *add = graph->insertNode(graph->create(aten::add, {x, one, one}));
      add->setSourceRange(range);
      x = add->output()->setType(c10::TensorType::get())->setDebugName("x0");
    }
    graph->registerOutput(x);
    Function *forward = module._ivalue()->compilation_unit()->create_function(
        c10::QualifiedName(*module.type()->name(), "forward"), graph);
    module.type()->addMethod(forward);
    module.save(argv[2]);
  } catch (const std::exception &e) {
    std::cerr << "bench-build-save: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
