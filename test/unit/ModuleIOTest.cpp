//===- test/unit/ModuleIOTest.cpp - Making and saving the flat module -----===//
//
// Saving leaves the program alone: the scripted graph, its schema and its
// module are as loaded after any number of saves (frozen or not, with a
// fallback method or not), so that the decisions can be rendered after the
// output is written, and a second save writes the same archive as the first;
// a module that takes the flat graph instead of copying it writes that archive
// too.
//
//===----------------------------------------------------------------------===//

#include "emit/DecisionReport.h"
#include "emit/DotEmitter.h"
#include "emit/OutputWriter.h"
#include "io/ModuleIO.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/script.h>

#include <cstdio>
#include <sstream>
#include <unistd.h>

using namespace torch::jit;

namespace {

/// A module whose forward branches on data and reads a submodule's
/// parameter, saved to a file of the test's and loaded as s2t loads it.
class ModuleIOTest : public testing::Test {
protected:
  void SetUp() override {
    Module scale("__torch__.Scale");
    scale.register_parameter("w", torch::full({2}, 2.0), false);
    scale.define(R"(
def forward(self, x):
    return x * self.w
)");
    Module module("__torch__.Branch");
    module.register_module("scale", scale);
    module.define(R"(
def forward(self, x):
    if bool(x.sum() > 0):
        return self.scale.forward(x) + 1
    return x - 1
)");
    path_ = testing::TempDir() + "ModuleIOTest-" + std::to_string(::getpid()) +
            ".pt";
    module.save(path_);
    program_ = s2t::loadProgram(path_, "forward");
    s2t::SpecializeOptions options;
    options.guards = s2t::GuardMode::Fallback;
    result_ = s2t::specializeProgram(program_, {sample()}, options).result;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  static at::Tensor sample() { return torch::ones({2}); }

  /// What a save could change of the program, as text.
  std::string programState() const {
    std::ostringstream state;
    state << *program_.graph << program_.schema << "\n"
          << program_.module->is_training() << "\n";
    for (const Function *method : program_.module->type()->methods())
      state << method->qualname().qualifiedName() << " "
            << method->getSchema() << "\n";
    return state.str();
  }

  /// The rendered decisions: report and picture.
  std::string rendered() const {
    std::ostringstream dot;
    s2t::emitDot(dot, *program_.graph, program_.method, result_);
    return s2t::decisionReportJson(result_, path_, program_.method) + dot.str();
  }

  /// The archive of a save.
  std::string archive(bool freeze) const {
    std::ostringstream out;
    s2t::saveFlatArchive(program_, result_.graph, out, freeze,
                         result_.fallbackMethod);
    return out.str();
  }

  /// The archive of a save, read back.
  Module saved(bool freeze) const {
    std::istringstream in(archive(freeze));
    return torch::jit::load(in);
  }

  std::string path_;
  s2t::Program program_;
  s2t::SpecializeResult result_;
};

TEST_F(ModuleIOTest, SavingLeavesTheProgramAlone) {
  std::string before = programState();
  std::string renderedBefore = rendered();
  saved(/*freeze=*/false);
  ASSERT_EQ(programState(), before);
  saved(/*freeze=*/true);
  ASSERT_EQ(programState(), before);
  EXPECT_EQ(rendered(), renderedBefore);
  EXPECT_TRUE(program_.module->find_method("forward"));
  EXPECT_FALSE(program_.module->find_method(result_.fallbackMethod));
}

TEST_F(ModuleIOTest, SavingTwiceWritesTheSameArchive) {
  std::string first = archive(/*freeze=*/false);
  EXPECT_EQ(archive(/*freeze=*/false), first);
  // The copy's types keep the original's names: nothing is mangled.
  EXPECT_EQ(first.find("___torch_mangle"), std::string::npos);
  Module module = saved(/*freeze=*/false);
  EXPECT_TRUE(module.find_method(result_.fallbackMethod));
  at::Tensor expected = program_.module->forward({sample()}).toTensor();
  EXPECT_TRUE(torch::equal(module.forward({sample()}).toTensor(), expected));
  Module frozen = saved(/*freeze=*/true);
  EXPECT_TRUE(torch::equal(frozen.forward({sample()}).toTensor(), expected));
}

TEST_F(ModuleIOTest, TheTakingModuleRunsTheFlatGraphItself) {
  std::string printed = result_.graph->toString();
  std::string copying = archive(/*freeze=*/false);
  auto methodNames = [](const Module &module) {
    std::vector<std::string> names;
    for (const Function *method : module.type()->methods())
      names.push_back(method->name());
    return names;
  };
  // The program's methods in their order, then the scripted one kept.
  std::vector<std::string> methods = methodNames(*program_.module);
  methods.push_back(result_.fallbackMethod);
  Module module = s2t::makeFlatModuleTaking(program_, result_.graph,
                                            /*freeze=*/false,
                                            result_.fallbackMethod);
  EXPECT_EQ(toGraphFunction(module.get_method("forward").function()).graph(),
            result_.graph);
  // Its types are the copy's, which have the original's names.
  EXPECT_EQ(result_.graph->toString(), printed);
  EXPECT_EQ(methodNames(module), methods);
  // The archive of the copying save, byte for byte.
  std::ostringstream out;
  module.save(out);
  EXPECT_EQ(out.str(), copying);
  at::Tensor expected = program_.module->forward({sample()}).toTensor();
  EXPECT_TRUE(torch::equal(module.forward({sample()}).toTensor(), expected));
}

TEST_F(ModuleIOTest, AFrozenModuleTakesACopy) {
  std::string copying = archive(/*freeze=*/true);
  Module module = s2t::makeFlatModuleTaking(program_, result_.graph,
                                            /*freeze=*/true,
                                            result_.fallbackMethod);
  EXPECT_NE(toGraphFunction(module.get_method("forward").function()).graph(),
            result_.graph);
  // Still typed by the program's module, which outlives the frozen one's
  // unfrozen copy.
  EXPECT_EQ(result_.graph->inputs()[0]->type(), program_.module->type());
  std::ostringstream out;
  module.save(out);
  EXPECT_EQ(out.str(), copying);
}

TEST_F(ModuleIOTest, ModuleOfATextualGraphIsNewEachTime) {
  s2t::Program text;
  text.path = "graph.ir";
  text.method = "forward";
  auto graph = std::make_shared<Graph>();
  graph->addInput("x")->setType(c10::TensorType::get());
  graph->registerOutput(graph->inputs()[0]);
  text.graph = graph;
  std::string before = text.graph->toString();
  Module first = s2t::makeFlatModule(text, graph, /*freeze=*/false);
  Module second = s2t::makeFlatModule(text, graph, /*freeze=*/false);
  EXPECT_EQ(text.graph->toString(), before);
  EXPECT_NE(first._ivalue(), second._ivalue());
  EXPECT_THROW(s2t::makeFlatModule(text, graph, false, "forward_scripted"),
               s2t::Error);
}

} // namespace
