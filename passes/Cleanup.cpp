//===- passes/Cleanup.cpp - Make a flat graph read like a trace -----------===//
//
// The specializer emits constants where they are used and size reads for every
// dimension it may need; this stage leaves only what the outputs depend on,
// with torch's dead-code elimination and constant pooling, which respect
// aliasing and side effects. Both build an alias analysis of the whole graph,
// which costs more than the rest of the stage on an unrolled loop; where it
// cannot change the outcome it is left out:
//   - dead-code elimination without alias analysis differs only in what it
//     keeps of operations that write to their inputs (all of them): with
//     none in the graph, it removes the same;
//   - pooling needs it only for constants of mutable types (tensors, lists),
//     whose merging could change what aliases what; with none, constants
//     are pooled here the way ConstantPooling pools them.
//
//===----------------------------------------------------------------------===//

#include "passes/Cleanup.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/node_hashing.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <unordered_set>

namespace s2t {

using namespace torch::jit;

namespace {

/// Whether a node in `block` (or in its nodes' blocks) may write to one of
/// its inputs: an operator whose schema says so, or a node without a schema
/// other than the structural ones the specializer emits.
bool mayWrite(const Block *block) {
  for (const Node *node : block->nodes()) {
    for (const Block *inner : node->blocks())
      if (mayWrite(inner))
        return true;
    switch (node->kind()) {
    case prim::Constant:
    case prim::If:
    case prim::ListConstruct:
    case prim::ListUnpack:
    case prim::TupleConstruct:
    case prim::TupleUnpack:
    case prim::DictConstruct:
    case prim::GetAttr:
    case prim::RaiseException:
    case prim::unchecked_cast:
    case prim::Uninitialized:
      continue;
    default:
      break;
    }
    const FunctionSchema *schema = node->maybeSchema();
    if (!schema || schema->is_mutable())
      return true;
  }
  return false;
}

/// Whether `type` is a number, bool, string, device or None, or a tuple of
/// them: values that no operation can write to.
bool isImmutable(const c10::TypePtr &type) {
  switch (type->kind()) {
  case c10::TypeKind::IntType:
  case c10::TypeKind::FloatType:
  case c10::TypeKind::ComplexType:
  case c10::TypeKind::NumberType:
  case c10::TypeKind::BoolType:
  case c10::TypeKind::StringType:
  case c10::TypeKind::NoneType:
  case c10::TypeKind::DeviceObjType:
    return true;
  case c10::TypeKind::TupleType:
    for (const c10::TypePtr &element : type->containedTypes())
      if (!isImmutable(element))
        return false;
    return true;
  default:
    return false;
  }
}

/// Whether every constant in `block` (or in its nodes' blocks) is of an
/// immutable type.
bool constantsImmutable(const Block *block) {
  for (const Node *node : block->nodes()) {
    for (const Block *inner : node->blocks())
      if (!constantsImmutable(inner))
        return false;
    if (node->kind() == prim::Constant && !isImmutable(node->output()->type()))
      return false;
  }
  return true;
}

/// ConstantPooling's pooling for immutable constants: the first of equal
/// constants (in program order, blocks included) replaces the others and
/// moves to the start of the graph.
void poolImmutableConstants(
    Block *block, std::unordered_set<Node *, HashNode, EqualNode> &seen) {
  for (auto it = block->nodes().begin(); it != block->nodes().end();) {
    Node *node = *it++;
    for (Block *inner : node->blocks())
      poolImmutableConstants(inner, seen);
    if (node->kind() != prim::Constant)
      continue;
    auto [existing, added] = seen.insert(node);
    if (!added) {
      node->replaceAllUsesWith(*existing);
      node->destroy();
      continue;
    }
    Node *first = node->owningGraph()->nodes().front();
    if (node != first)
      node->moveBefore(first);
  }
}

/// Whether a block holds a node with blocks.
bool hasNestedBlocks(const Block *block) {
  for (const Node *node : block->nodes())
    if (!node->blocks().empty())
      return true;
  return false;
}

/// What torch's dead-code elimination without alias analysis keeps whatever
/// uses its outputs: side effects, and writes it cannot follow.
bool keptForItself(const Node *node) {
  if (node->hasSideEffects() || node->kind() == prim::SetAttr)
    return true;
  const FunctionSchema *schema = node->maybeSchema();
  return schema && schema->is_mutable();
}

} // namespace

void eliminateDeadCode(
    Block *block,
    const std::function<void(const std::unordered_set<const Value *> &)>
        &beforeDeleting) {
  if (hasNestedBlocks(block)) {
    EliminateDeadCode(block, beforeDeleting ? beforeDeleting : [](auto &) {});
    return;
  }
  // Backwards: a node is live when it is kept for itself or a live node (or
  // the block's return) uses one of its outputs; a live node's inputs live.
  std::unordered_set<const Value *> live(block->outputs().begin(),
                                         block->outputs().end());
  std::vector<Node *> dead;
  for (Node *node : block->nodes().reverse()) {
    bool used = keptForItself(node);
    for (const Value *output : node->outputs())
      used = used || live.count(output) != 0;
    if (!used) {
      dead.push_back(node);
      continue;
    }
    live.insert(node->inputs().begin(), node->inputs().end());
  }
  if (beforeDeleting)
    beforeDeleting(live);
  for (Node *node : dead) // last first: their users are gone before them
    node->destroy();
}

void cleanupFlatGraph(std::shared_ptr<Graph> &graph) {
  // No common-subexpression elimination: a trace has none, and torch 1.13's
  // merges two reads of a list across an in-place write to one of its
  // elements (test/differential/regressions.py).
  if (mayWrite(graph->block()))
    EliminateDeadCode(graph);
  else
    eliminateDeadCode(graph->block());
  if (constantsImmutable(graph->block())) {
    std::unordered_set<Node *, HashNode, EqualNode> seen;
    poolImmutableConstants(graph->block(), seen);
  } else {
    ConstantPooling(graph);
  }
  GRAPH_DUMP("After cleanupFlatGraph:", graph);
}

} // namespace s2t
