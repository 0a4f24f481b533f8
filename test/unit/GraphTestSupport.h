//===- test/unit/GraphTestSupport.h - Graphs for the unit tests -*- C++ -*-===//
//
// What the pass's unit suites share: a graph parsed from IR text, and a graph
// run by torch's executor on a list of inputs.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <memory>
#include <string>
#include <vector>

namespace s2t {
namespace unit {

/// The graph of `text` (torch's IR syntax).
inline std::shared_ptr<torch::jit::Graph> parseGraph(const std::string &text) {
  auto graph = std::make_shared<torch::jit::Graph>();
  torch::jit::parseIR(text, graph.get());
  return graph;
}

/// `graph` run once by a GraphExecutor on `inputs`: its outputs.
inline torch::jit::Stack runGraph(const std::shared_ptr<torch::jit::Graph> &graph,
                                  std::vector<c10::IValue> inputs) {
  torch::jit::GraphExecutor executor(graph, "test");
  torch::jit::Stack stack(inputs.begin(), inputs.end());
  executor.run(stack);
  return stack;
}

} // namespace unit
} // namespace s2t
