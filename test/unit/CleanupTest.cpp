//===- test/unit/CleanupTest.cpp - The clean-up against torch's passes ----===//
//
// cleanupFlatGraph leaves out torch's alias analysis where it cannot change
// the outcome; on flat graphs with writes, what it leaves must be what
// torch's dead-code elimination (with alias analysis) and constant pooling
// leave, node for node.
//
//===----------------------------------------------------------------------===//

#include "passes/Cleanup.h"

#include "GraphTestSupport.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <sstream>

using namespace torch::jit;

namespace {

using s2t::unit::parseGraph;

std::string printed(const Graph &graph) {
  std::ostringstream out;
  out << graph;
  return out.str();
}

/// The in-place operations (`aten::name_(`) of a printed graph.
int writes(const std::string &graph) {
  int count = 0;
  for (size_t at = graph.find("_("); at != std::string::npos;
       at = graph.find("_(", at + 1))
    ++count;
  return count;
}

/// The graph `body` (the lines between the inputs and the return of %r)
/// cleaned up by s2t and by torch's passes, printed.
std::pair<std::string, std::string> bothCleanups(const std::string &body) {
  std::string source = R"IR(
graph(%x : Tensor):
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %one : int = prim::Constant[value=1]()
  %two : int = prim::Constant[value=2]()
)IR" + body + R"IR(
  return (%r)
)IR";
  std::shared_ptr<Graph> ours = parseGraph(source);
  s2t::cleanupFlatGraph(ours);
  std::shared_ptr<Graph> torchs = parseGraph(source);
  EliminateDeadCode(torchs);
  ConstantPooling(torchs);
  return {printed(*ours), printed(*torchs)};
}

TEST(CleanupTest, WritesAsTorchsAliasAnalysisKeepsThem) {
  struct Case {
    const char *what;
    const char *body;
    const char *kept; ///< an operator the clean-up keeps, or null
    const char *gone; ///< one it removes, or null
    int writes;       ///< the writes it keeps
  };
  const Case cases[] = {
      {"a write through a view of memory read after it (swin's mask)", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %s : Tensor = aten::slice(%m, %zero, %zero, %one, %one)
  %w : Tensor = aten::fill_(%s, %two)
  %unused : Tensor = aten::mul(%x, %two)
  %r : Tensor = aten::mul(%m, %two)
)IR",
       "aten::fill_", "aten::mul(%x", 1},
      {"a write through a view of a view, the base read after", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %s : Tensor = aten::slice(%m, %zero, %zero, %one, %one)
  %t : Tensor = aten::select(%s, %zero, %zero)
  %w : Tensor = aten::add_(%t, %one, %one)
  %r : Tensor = aten::relu(%m)
)IR",
       "aten::add_", nullptr, 1},
      {"a write to a view, another view of the base read after", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %s : Tensor = aten::slice(%m, %zero, %zero, %one, %one)
  %w : Tensor = aten::fill_(%s, %two)
  %v : Tensor = aten::select(%m, %zero, %zero)
  %r : Tensor = aten::relu(%v)
)IR",
       "aten::fill_", nullptr, 1},
      {"a write nothing reads after", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %w : Tensor = aten::add_(%m, %one, %one)
  %r : Tensor = aten::relu(%x)
)IR",
       nullptr, "aten::add_", 0},
      {"a write to memory read only before it", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %r : Tensor = aten::mul(%m, %two)
  %w : Tensor = aten::add_(%m, %one, %one)
)IR",
       nullptr, "aten::add_", 0},
      {"a write whose result is used (resnet's relu_)", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %w : Tensor = aten::relu_(%m)
  %r : Tensor = aten::mul(%w, %two)
)IR",
       "aten::relu_", nullptr, 1},
      {"a write to the graph's input, read after", R"IR(
  %w : Tensor = aten::add_(%x, %one, %one)
  %r : Tensor = aten::relu(%x)
)IR",
       "aten::add_", nullptr, 1},
      {"a write to the graph's input, not read after (its caller sees it)",
       R"IR(
  %r : Tensor = aten::relu(%x)
  %w : Tensor = aten::add_(%x, %one, %one)
)IR",
       "aten::add_", nullptr, 1},
      {"one write read after, one not", R"IR(
  %m : Tensor = aten::clone(%x, %none)
  %n : Tensor = aten::clone(%x, %none)
  %w : Tensor = aten::fill_(%m, %two)
  %u : Tensor = aten::fill_(%n, %two)
  %r : Tensor = aten::relu(%m)
)IR",
       "aten::fill_", nullptr, 1},
  };
  for (const Case &c : cases) {
    auto [ours, torchs] = bothCleanups(c.body);
    EXPECT_EQ(ours, torchs) << c.what;
    if (c.kept)
      EXPECT_NE(ours.find(c.kept), std::string::npos) << c.what << "\n" << ours;
    if (c.gone)
      EXPECT_EQ(ours.find(c.gone), std::string::npos) << c.what << "\n" << ours;
    EXPECT_EQ(writes(ours), c.writes) << c.what << "\n" << ours;
  }
}

} // namespace
