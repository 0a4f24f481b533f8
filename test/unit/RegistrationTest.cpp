//===- test/unit/RegistrationTest.cpp - The pass inside torch::jit --------===//
//
// docs/libtorch.md's two ways for a LibTorch program to run the pass on a
// module it holds, with the sample as IValues: the direct call on the method's
// graph, and RegisteredSpecializePass, run by torch's own graph executor when
// it optimizes the method.
//
//===----------------------------------------------------------------------===//

#include "passes/Cleanup.h"
#include "passes/Registration.h"
#include "passes/SpecializeControlFlow.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/passes/pass_manager.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/testing/file_check.h>
#include <torch/torch.h>

using namespace torch::jit;

namespace {

/// A module with a branch on its input's data and a loop over an attribute.
Module makeModule() {
  Module module("__torch__.RegistrationTest");
  module.register_attribute("steps", IntType::get(), int64_t(2));
  module.define(R"JIT(
def forward(self, x):
    for _ in range(self.steps):
        x = x * 2
    if bool(x.sum() > 0):
        return x + 1
    return x - 1
)JIT");
  return module;
}

/// Sets the executor mode (legacy or profiling) for one test.
class ExecutorMode {
public:
  explicit ExecutorMode(bool profiling)
      : executor_(getExecutorMode()), profiling_(getProfilingMode()) {
    getExecutorMode() = profiling;
    getProfilingMode() = profiling;
  }
  ~ExecutorMode() {
    getExecutorMode() = executor_;
    getProfilingMode() = profiling_;
  }

private:
  bool executor_, profiling_;
};

/// The graph torch's executor runs for the method on `inputs` (self first).
std::shared_ptr<Graph> executedGraph(Module &module,
                                     const std::vector<c10::IValue> &inputs) {
  Stack stack(inputs.begin(), inputs.end());
  GraphExecutor &executor =
      toGraphFunction(module.get_method("forward").function()).get_executor();
  return executor.getPlanFor(stack).graph;
}

void expectFlatAddGraph(const Graph &graph) {
  torch::jit::testing::FileCheck()
      .check_not("prim::If")
      ->check_not("prim::Loop")
      ->check_count("aten::mul", 2, /*exactly=*/true)
      ->check("aten::add")
      ->check_not("aten::sub")
      ->run(graph);
}

TEST(RegistrationTest, DirectCallOnTheMethodGraph) {
  Module module = makeModule();
  at::Tensor x = torch::tensor({1.0f, 2.0f});
  std::vector<c10::IValue> inputs = {module._ivalue(), x};
  std::shared_ptr<Graph> graph = module.get_method("forward").graph()->copy();
  EXPECT_TRUE(s2t::SpecializeControlFlow(graph, inputs));
  s2t::cleanupFlatGraph(graph);
  expectFlatAddGraph(*graph);

  GraphExecutor executor(graph, "flat");
  Stack stack(inputs.begin(), inputs.end());
  executor.run(stack);
  EXPECT_TRUE(torch::equal(stack.back().toTensor(),
                           module.forward({x}).toTensor()));
  EXPECT_TRUE(torch::equal(stack.back().toTensor(), torch::tensor({5.0f, 9.0f})));
}

// The legacy executor runs the custom post-passes when it first optimizes a
// plan: the module's very first call runs the flat graph.
TEST(RegistrationTest, LegacyExecutorRunsTheRegisteredPass) {
  ExecutorMode mode(/*profiling=*/false);
  Module module = makeModule();
  at::Tensor x = torch::tensor({1.0f, 2.0f});
  size_t before = getCustomPostPasses().size();
  {
    s2t::RegisteredSpecializePass registered({module._ivalue(), x});
    EXPECT_EQ(getCustomPostPasses().size(), before + 1);
    // Decided on the sample, like a trace: a negative input still adds.
    EXPECT_TRUE(torch::equal(module.forward({-x}).toTensor(),
                             torch::tensor({-3.0f, -7.0f})));
    EXPECT_TRUE(torch::equal(module.forward({x}).toTensor(),
                             torch::tensor({5.0f, 9.0f})));
    expectFlatAddGraph(*executedGraph(module, {module._ivalue(), x}));
  }
  EXPECT_EQ(getCustomPostPasses().size(), before);
  // Unregistered: a new module's executor keeps the branch.
  Module fresh = makeModule();
  EXPECT_TRUE(torch::equal(fresh.forward({-x}).toTensor(),
                           torch::tensor({-5.0f, -9.0f})));
  torch::jit::testing::FileCheck().check("prim::If")->run(
      *executedGraph(fresh, {fresh._ivalue(), -x}));
}

// The profiling executor (LibTorch's default) runs the scripted graph,
// instrumented, on the first call; it optimizes, custom post-passes
// included, on the second.
TEST(RegistrationTest, ProfilingExecutorRunsTheRegisteredPass) {
  ExecutorMode mode(/*profiling=*/true);
  Module module = makeModule();
  at::Tensor x = torch::tensor({1.0f, 2.0f});
  s2t::RegisteredSpecializePass registered({module._ivalue(), x});
  EXPECT_TRUE(torch::equal(module.forward({-x}).toTensor(),
                           torch::tensor({-5.0f, -9.0f})));
  EXPECT_TRUE(torch::equal(module.forward({-x}).toTensor(),
                           torch::tensor({-3.0f, -7.0f})));
  EXPECT_TRUE(torch::equal(module.forward({x}).toTensor(),
                           torch::tensor({5.0f, 9.0f})));
  expectFlatAddGraph(*executedGraph(module, {module._ivalue(), x}));
}

// Graphs with another number of inputs pass through untouched.
TEST(RegistrationTest, OtherGraphsAreLeftAlone) {
  ExecutorMode mode(/*profiling=*/false);
  Module module = makeModule();
  s2t::RegisteredSpecializePass registered(
      {module._ivalue(), torch::tensor({1.0f}), torch::tensor({2.0f})});
  at::Tensor x = torch::tensor({-1.0f});
  EXPECT_TRUE(torch::equal(module.forward({x}).toTensor(), torch::tensor({-5.0f})));
  torch::jit::testing::FileCheck().check("prim::If")->run(
      *executedGraph(module, {module._ivalue(), x}));
}

} // namespace
