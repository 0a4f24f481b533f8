//===- test/unit/ValueTableTest.cpp - Facts per value, in flat arrays -----===//
//
// ValueTable and ValueSet key the values of one graph by Value::unique():
// an entry exists only once made, references stay valid while the table
// grows past a chunk, and a value of another graph is refused where an entry
// would be made for it.
//
//===----------------------------------------------------------------------===//

#include "ir/ValueTable.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using torch::jit::Graph;
using torch::jit::Value;

/// `count` inputs of a fresh graph: values numbered 0, 1, ...
std::vector<Value *> inputsOf(Graph &graph, size_t count) {
  std::vector<Value *> values;
  for (size_t i = 0; i < count; ++i)
    values.push_back(graph.addInput());
  return values;
}

TEST(ValueTableTest, EntriesExistOnceMade) {
  auto graph = std::make_shared<Graph>();
  std::vector<Value *> values = inputsOf(*graph, 3);
  s2t::ValueTable<int> table;
  EXPECT_EQ(table.find(values[1]), nullptr);
  table[values[1]] = 7;
  ASSERT_NE(table.find(values[1]), nullptr);
  EXPECT_EQ(*table.find(values[1]), 7);
  EXPECT_EQ(table.find(values[0]), nullptr); // in the same chunk, not made
  EXPECT_EQ(table.find(values[2]), nullptr);
  EXPECT_EQ(table[values[2]], 0); // made value-initialized
  EXPECT_NE(table.find(values[2]), nullptr);
}

TEST(ValueTableTest, ReferencesSurviveGrowth) {
  auto graph = std::make_shared<Graph>();
  std::vector<Value *> values = inputsOf(*graph, 5000); // several chunks
  s2t::ValueTable<int> table;
  int &first = table[values[0]];
  first = 1;
  for (size_t i = 1; i < values.size(); ++i)
    table[values[i]] = static_cast<int>(i) + 1;
  EXPECT_EQ(&first, table.find(values[0]));
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(*table.find(values[i]), static_cast<int>(i) + 1);
}

TEST(ValueTableTest, RefusesAnotherGraphsValue) {
  auto one = std::make_shared<Graph>();
  auto other = std::make_shared<Graph>();
  Value *mine = one->addInput();
  Value *theirs = other->addInput(); // the same number as `mine`
  ASSERT_EQ(mine->unique(), theirs->unique());
  s2t::ValueTable<int> table;
  table[mine] = 1;
  Value *another = other->addInput();
  EXPECT_THROW(table[another], c10::Error);
}

TEST(ValueSetTest, HoldsWhatWasInserted) {
  auto graph = std::make_shared<Graph>();
  std::vector<Value *> values = inputsOf(*graph, 300);
  s2t::ValueSet set;
  EXPECT_FALSE(set.count(values[0]));
  set.insert(values[299]);
  set.insertAll(std::vector<Value *>{values[3], values[5]});
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(set.count(values[i]), i == 3 || i == 5 || i == 299) << i;
}

} // namespace
