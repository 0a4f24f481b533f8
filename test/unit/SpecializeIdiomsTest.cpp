//===- test/unit/SpecializeIdiomsTest.cpp - The pass's idiom tables -------===//
//
// The list, dict and structure idioms of passes/specialize/: each table maps
// its operators, findIdiom picks the table by the first operand's type, and a
// few handlers answer small parsed graphs as Python would.
//
//===----------------------------------------------------------------------===//

#include "passes/SpecializeControlFlow.h"
#include "passes/specialize/Idioms.h"

#include "GraphTestSupport.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/torch.h>

using namespace torch::jit;

namespace {

using s2t::unit::parseGraph;

/// Specializes `text` for `inputs` and runs the flat graph on them.
Stack specializeAndRun(const std::string &text, std::vector<IValue> inputs) {
  auto graph = parseGraph(text);
  s2t::SpecializeResult result = s2t::specializeControlFlow(*graph, inputs);
  return s2t::unit::runGraph(result.graph, std::move(inputs));
}

std::vector<int64_t> ints(const IValue &value) {
  return value.toIntVector();
}

/// The first node of `graph` of `kind`.
const Node *firstOf(const Graph &graph, const char *kind) {
  for (const Node *node : graph.nodes())
    if (node->kind() == Symbol::fromQualString(kind))
      return node;
  return nullptr;
}

void expectMaps(const s2t::IdiomTable &table,
                std::initializer_list<const char *> kinds) {
  for (const char *kind : kinds)
    EXPECT_TRUE(table.count(Symbol::fromQualString(kind))) << kind;
}

TEST(SpecializeIdiomsTest, StructureTableMapsConstructionAndIdentity) {
  expectMaps(s2t::structureIdioms(),
             {"prim::ListConstruct", "prim::TupleConstruct",
              "prim::DictConstruct", "aten::dict", "prim::ListUnpack",
              "prim::TupleUnpack", "prim::TupleIndex", "prim::TupleSlice",
              "prim::Uninitialized", "prim::unchecked_cast",
              "aten::_unwrap_optional", "aten::__is__", "aten::__isnot__",
              "prim::isinstance", "aten::size"});
  EXPECT_FALSE(s2t::structureIdioms().count(aten::append));
}

TEST(SpecializeIdiomsTest, ListTableMapsListOperations) {
  expectMaps(s2t::listIdioms(),
             {"aten::len", "aten::__getitem__", "aten::_set_item",
              "aten::append", "aten::insert", "aten::pop", "aten::clear",
              "aten::extend", "aten::add", "aten::add_", "aten::list",
              "aten::copy", "aten::slice", "aten::sort", "aten::sorted",
              "aten::reverse", "aten::Delete"});
  EXPECT_FALSE(s2t::listIdioms().count(aten::keys));
}

TEST(SpecializeIdiomsTest, DictTableMapsDictOperations) {
  expectMaps(s2t::dictIdioms(),
             {"aten::len", "aten::__getitem__", "aten::_set_item",
              "aten::pop", "aten::clear", "aten::keys", "aten::values",
              "aten::items", "aten::get", "aten::__contains__",
              "aten::update", "aten::Delete", "aten::setdefault"});
  EXPECT_FALSE(s2t::dictIdioms().count(aten::append));
}

TEST(SpecializeIdiomsTest, FindIdiomChoosesTheTableByTheFirstOperand) {
  auto graph = parseGraph(R"IR(
graph(%xs : int[], %d : Dict(str, int), %t : Tensor):
  %zero : int = prim::Constant[value=0]()
  %a : int = aten::__getitem__(%xs, %zero)
  %k : str = prim::Constant[value="k"]()
  %b : int = aten::__getitem__(%d, %k)
  %n : int = aten::len(%t)
  %s : Tensor = aten::add(%t, %t, %zero)
  return (%a, %b, %n, %s)
)IR");
  std::vector<const Node *> getItems;
  for (const Node *node : graph->nodes())
    if (node->kind() == aten::__getitem__)
      getItems.push_back(node);
  ASSERT_EQ(getItems.size(), 2u);
  EXPECT_EQ(s2t::findIdiom(getItems[0]),
            s2t::listIdioms().at(aten::__getitem__));
  EXPECT_EQ(s2t::findIdiom(getItems[1]),
            s2t::dictIdioms().at(aten::__getitem__));
  EXPECT_NE(s2t::findIdiom(getItems[0]), s2t::findIdiom(getItems[1]));
  // len of a tensor and tensor arithmetic are not structure operations.
  EXPECT_EQ(s2t::findIdiom(firstOf(*graph, "aten::len")), nullptr);
  EXPECT_EQ(s2t::findIdiom(firstOf(*graph, "aten::add")), nullptr);
}

TEST(SpecializeIdiomsTest, ListSliceFollowsPython) {
  // xs = [0, 1, 2, 3, 4]; xs[start:end:step] for each case, as Python.
  const char *text = R"IR(
graph(%start : int?, %end : int?, %step : int):
  %0 : int = prim::Constant[value=0]()
  %1 : int = prim::Constant[value=1]()
  %2 : int = prim::Constant[value=2]()
  %3 : int = prim::Constant[value=3]()
  %4 : int = prim::Constant[value=4]()
  %xs : int[] = prim::ListConstruct(%0, %1, %2, %3, %4)
  %ys : int[] = aten::slice(%xs, %start, %end, %step)
  return (%ys)
)IR";
  struct Case {
    IValue start, end;
    int64_t step;
    std::vector<int64_t> expected;
  };
  std::vector<Case> cases = {
      {IValue(), IValue(), 1, {0, 1, 2, 3, 4}},
      {IValue(), IValue(), -2, {4, 2, 0}},
      {int64_t(-100), int64_t(100), 2, {0, 2, 4}},
      {int64_t(3), int64_t(-100), -1, {3, 2, 1, 0}},
      {int64_t(-2), IValue(), 1, {3, 4}},
      {int64_t(4), int64_t(1), 1, {}},
  };
  for (const Case &c : cases) {
    Stack outputs = specializeAndRun(text, {c.start, c.end, c.step});
    EXPECT_EQ(ints(outputs.at(0)), c.expected)
        << c.start << ":" << c.end << ":" << c.step;
  }
}

// (parseIR in LibTorch 1.13 cannot read the operations that return nothing,
// such as xs.sort() or d.update(e): lit tests and e2e tests cover those.)
TEST(SpecializeIdiomsTest, SortedDecidesOnSizesAndLeavesNoSort) {
  auto graph = parseGraph(R"IR(
graph(%x : Tensor):
  %last : int = prim::Constant[value=-1]()
  %sizes : int[] = aten::size(%x)
  %sorted : int[] = aten::sorted(%sizes)
  %largest : int = aten::__getitem__(%sorted, %last)
  return (%sorted, %largest)
)IR");
  at::Tensor x = torch::zeros({3, 1, 2});
  s2t::SpecializeResult result = s2t::specializeControlFlow(*graph, {x});
  EXPECT_EQ(firstOf(*result.graph, "aten::sorted"), nullptr);
  GraphExecutor executor(result.graph, "test");
  Stack stack{x};
  executor.run(stack);
  EXPECT_EQ(ints(stack.at(0)), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(stack.at(1).toInt(), 3);
}

TEST(SpecializeIdiomsTest, DictOperationsKeepInsertionOrder) {
  // d = {"a": 1, "b": 2}; d.setdefault("c", 3); d.setdefault("a", 9);
  // d.pop("b"); return list(d.values()), "c" in d, d.get("b", 7).
  Stack outputs = specializeAndRun(R"IR(
graph(%x : Tensor):
  %a : str = prim::Constant[value="a"]()
  %b : str = prim::Constant[value="b"]()
  %c : str = prim::Constant[value="c"]()
  %1 : int = prim::Constant[value=1]()
  %2 : int = prim::Constant[value=2]()
  %3 : int = prim::Constant[value=3]()
  %7 : int = prim::Constant[value=7]()
  %9 : int = prim::Constant[value=9]()
  %d : Dict(str, int) = prim::DictConstruct(%a, %1, %b, %2)
  %s : int = aten::setdefault(%d, %c, %3)
  %t : int = aten::setdefault(%d, %a, %9)
  %p : int = aten::pop(%d, %b)
  %values : int[] = aten::values(%d)
  %has : bool = aten::__contains__(%d, %c)
  %g : int = aten::get(%d, %b, %7)
  return (%values, %has, %p, %s, %t, %g)
)IR",
                                   {torch::zeros({1})});
  EXPECT_EQ(ints(outputs.at(0)), (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(outputs.at(1).toBool());
  EXPECT_EQ(outputs.at(2).toInt(), 2);
  EXPECT_EQ(outputs.at(3).toInt(), 3);
  EXPECT_EQ(outputs.at(4).toInt(), 1);
  EXPECT_EQ(outputs.at(5).toInt(), 7);
}

TEST(SpecializeIdiomsTest, IsNoneDecidesOnTheSample) {
  const char *text = R"IR(
graph(%x : Tensor?):
  %none : NoneType = prim::Constant()
  %r : bool = aten::__is__(%x, %none)
  return (%r)
)IR";
  EXPECT_TRUE(specializeAndRun(text, {IValue()}).at(0).toBool());
  EXPECT_FALSE(
      specializeAndRun(text, {torch::zeros({1})}).at(0).toBool());
}

} // namespace
