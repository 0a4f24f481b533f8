//===- test/unit/FlatSchemasTest.cpp - Operator matches, made once --------===//
//
// FlatSchemas matches each operator and input types once: the schema it
// gives is LibTorch's match for every node of that signature, another input
// type is matched anew, a node that matches nothing gets null, and the
// record of each node is found by schemaOf (for a node it never saw, and for
// another graph's, LibTorch is asked).
//
//===----------------------------------------------------------------------===//

#include "ir/FlatSchemas.h"

#include <torch/csrc/jit/ir/irparser.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using torch::jit::Graph;
using torch::jit::Node;

std::shared_ptr<Graph> parse(const std::string &text) {
  auto graph = std::make_shared<Graph>();
  torch::jit::parseIR(text, graph.get());
  return graph;
}

std::vector<Node *> nodesOf(Graph &graph, c10::Symbol kind) {
  std::vector<Node *> result;
  for (Node *node : graph.nodes())
    if (node->kind() == kind)
      result.push_back(node);
  return result;
}

std::string overloadOf(const c10::FunctionSchema *schema) {
  return schema ? schema->overload_name() : "<none>";
}

const char *kAdds = R"IR(
graph(%x : Tensor, %n : int, %f : float, %s : str):
  %one : int = prim::Constant[value=1]()
  %a : Tensor = aten::add(%x, %n, %one)
  %b : Tensor = aten::add(%a, %n, %one)
  %c : int = aten::add(%n, %one)
  %d : float = aten::add(%f, %f)
  %e : Tensor = aten::add(%b, %a, %one)
  return (%b, %c, %d, %e)
)IR";

TEST(FlatSchemasTest, MatchesAsLibTorchPerSignature) {
  auto graph = parse(kAdds);
  auto reference = parse(kAdds); // matched by LibTorch alone
  std::vector<Node *> adds = nodesOf(*graph, c10::aten::add);
  std::vector<Node *> expected = nodesOf(*reference, c10::aten::add);
  ASSERT_EQ(adds.size(), 5u);
  s2t::FlatSchemas schemas;
  for (size_t i = 0; i < adds.size(); ++i) {
    const c10::FunctionSchema *schema = schemas.match(adds[i]);
    ASSERT_NE(schema, nullptr) << i;
    EXPECT_EQ(overloadOf(schema), overloadOf(expected[i]->maybeSchema())) << i;
    EXPECT_EQ(schemas.schemaOf(adds[i]), schema) << i;
  }
  // One signature, one schema; other input types, other overloads.
  EXPECT_EQ(schemas.match(adds[0]), schemas.match(adds[1]));
  EXPECT_EQ(overloadOf(schemas.schemaOf(adds[0])), "Scalar");
  EXPECT_EQ(overloadOf(schemas.schemaOf(adds[2])), "int");
  EXPECT_EQ(overloadOf(schemas.schemaOf(adds[3])), "float");
  EXPECT_EQ(overloadOf(schemas.schemaOf(adds[4])), "Tensor");
}

TEST(FlatSchemasTest, NoMatchIsNull) {
  auto graph = parse(R"IR(
graph(%x : Tensor, %s : str):
  %y : Tensor = aten::relu(%s)
  return (%y)
)IR");
  Node *relu = nodesOf(*graph, c10::aten::relu).at(0);
  s2t::FlatSchemas schemas;
  EXPECT_EQ(schemas.match(relu), nullptr);
  EXPECT_EQ(schemas.schemaOf(relu), nullptr);
}

TEST(FlatSchemasTest, UnrecordedNodesAreAskedOfLibTorch) {
  auto graph = parse(kAdds);
  auto other = parse(kAdds);
  std::vector<Node *> adds = nodesOf(*graph, c10::aten::add);
  s2t::FlatSchemas schemas;
  schemas.match(adds[0]);
  // Not recorded: the int add of the same graph, a node of another graph.
  EXPECT_EQ(overloadOf(schemas.schemaOf(adds[2])), "int");
  Node *otherIntAdd = nodesOf(*other, c10::aten::add).at(2);
  EXPECT_EQ(overloadOf(schemas.schemaOf(otherIntAdd)), "int");
}

TEST(FlatSchemasTest, SideEffectsAsLibTorchPerSignature) {
  const char *text = R"IR(
graph(%x : Tensor):
  %one : int = prim::Constant[value=1]()
  %t : int = prim::TimePoint()
  %u : int = prim::TimePoint()
  %a : Tensor = aten::add(%x, %one, %one)
  %b : Tensor = aten::add(%a, %one, %one)
  return (%t, %u, %b)
)IR";
  auto graph = parse(text);
  auto reference = parse(text); // asked of LibTorch alone
  std::vector<Node *> nodes, expected;
  for (Node *node : graph->nodes())
    if (node->kind() != c10::prim::Constant)
      nodes.push_back(node);
  for (Node *node : reference->nodes())
    if (node->kind() != c10::prim::Constant)
      expected.push_back(node);
  ASSERT_EQ(nodes.size(), 4u);
  s2t::FlatSchemas schemas;
  for (Node *node : nodes)
    ASSERT_NE(schemas.match(node), nullptr) << node->kind().toQualString();
  for (size_t i = 0; i < nodes.size(); ++i)
    EXPECT_EQ(schemas.hasSideEffects(nodes[i]), expected[i]->hasSideEffects())
        << i;
  // The second of each signature was never asked for its operator.
  EXPECT_TRUE(schemas.hasSideEffects(nodes[1]));
  EXPECT_FALSE(schemas.hasSideEffects(nodes[3]));
}

} // namespace
