//===- test/unit/GraphTestSupport.h - Graphs for the unit tests -*- C++ -*-===//
//
// What the pass's unit suites share: a graph parsed from IR text, a graph
// run by torch's executor on a list of inputs, and an operator by name.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <gtest/gtest.h>

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

/// The operator `name` with overload `overload` (a test failure where there
/// is none).
inline std::shared_ptr<torch::jit::Operator>
operatorNamed(const std::string &name, const std::string &overload) {
  for (const auto &op :
       torch::jit::getAllOperatorsFor(c10::Symbol::fromQualString(name)))
    if (op->schema().overload_name() == overload)
      return op;
  ADD_FAILURE() << "no operator " << name << "." << overload;
  return nullptr;
}

} // namespace unit
} // namespace s2t
