//===- passes/Cleanup.cpp - Make a flat graph read like a trace -----------===//
//
// The specializer emits constants where they are used and size reads for every
// dimension it may need; this stage leaves only what the outputs depend on,
// with torch's dead-code elimination and constant pooling, which respect
// aliasing and side effects. Both build an alias analysis of the whole graph,
// which costs more than the rest of the stage on an unrolled loop; where it
// cannot change the outcome it is left out:
//   - dead-code elimination without alias analysis differs only in what it
//     keeps of operations that write to their inputs (all of them): where
//     each of them is kept for its outputs anyway (no writes, or resnet's
//     relu_) or surely writes memory that is read later (swin's attention
//     mask, filled a window at a time), it removes the same, and a block
//     without nested blocks is swept here, backwards, at ~1k instructions
//     per node (torch's: ~2.5k, and ~4.5k to build its alias analysis);
//   - pooling needs it only for constants of mutable types (tensors, lists),
//     whose merging could change what aliases what; with none, or none but
//     lists of numbers where nothing writes anything but tensors, constants
//     are pooled here the way ConstantPooling pools them.
//
//===----------------------------------------------------------------------===//

#include "passes/Cleanup.h"

#include "ir/FlatSchemas.h"
#include "ir/ValueTable.h"

#include <c10/util/hash.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/node_hashing.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace s2t {

using namespace torch::jit;

namespace {

/// Whether `node` is one of the structural nodes the specializer emits,
/// which write nothing and have no schema that says otherwise.
bool isStructural(const Node *node) {
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
    return true;
  default:
    return false;
  }
}

/// The schema of `node`: the one the specializer knew (`schemas`, if
/// given), else LibTorch's match.
const FunctionSchema *schemaOf(const Node *node, const FlatSchemas *schemas) {
  return schemas ? schemas->schemaOf(node) : node->maybeSchema();
}

/// Node::hasSideEffects, as the specializer recorded it (`schemas`, if
/// given) where it can: LibTorch matches the node's operator again unless
/// the node was asked for it before.
bool hasSideEffects(const Node *node, const FlatSchemas *schemas) {
  return schemas ? schemas->hasSideEffects(node) : node->hasSideEffects();
}

/// The schema whose alias annotations say what `node` writes and views, or
/// null: a structural node has none that matters, and asking LibTorch for
/// one costs a registry lookup every time where it matches no operator.
const FunctionSchema *aliasSchemaOf(const Node *node,
                                    const FlatSchemas *schemas) {
  return isStructural(node) ? nullptr : schemaOf(node, schemas);
}

/// Whether `node` may write to one of its inputs: an operator whose schema
/// says so, or a node without a schema other than the structural ones the
/// specializer emits.
bool mayWrite(const Node *node, const FlatSchemas *schemas) {
  if (isStructural(node))
    return false;
  const FunctionSchema *schema = schemaOf(node, schemas);
  return !schema || schema->is_mutable();
}

/// Whether a node in `block` (or in its nodes' blocks) may write.
bool mayWrite(const Block *block, const FlatSchemas *schemas) {
  for (const Node *node : block->nodes()) {
    for (const Block *inner : node->blocks())
      if (mayWrite(inner, schemas))
        return true;
    if (mayWrite(node, schemas))
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
/// immutable type, or (with `listsUnwritten`) a list of them.
bool constantsImmutable(const Block *block, bool listsUnwritten) {
  for (const Node *node : block->nodes()) {
    for (const Block *inner : node->blocks())
      if (!constantsImmutable(inner, listsUnwritten))
        return false;
    if (node->kind() != prim::Constant)
      continue;
    const c10::TypePtr &type = node->output()->type();
    bool list = listsUnwritten && type->kind() == c10::TypeKind::ListType &&
                isImmutable(type->containedType(0));
    if (!list && !isImmutable(type))
      return false;
  }
  return true;
}

/// The value of a constant whose one attribute is a list of ints (the
/// sizes, strides and paddings every convolution repeats), or null.
const IValue *intListOf(const Node *node) {
  if (node->kind() != prim::Constant || node->numAttributes() != 1 ||
      !node->hasAttribute(attr::value) ||
      node->kindOf(attr::value) != AttributeKind::ival)
    return nullptr;
  const IValue &value = node->ival(attr::value);
  return value.isIntList() ? &value : nullptr;
}

/// torch's HashNode, with an int list constant's elements: torch hashes no
/// list's elements, so that every int list constant of the graph fell in one
/// bucket and was compared with each before it.
struct HashConstant {
  size_t operator()(const Node *node) const {
    size_t hash = HashNode()(node);
    if (const IValue *list = intListOf(node))
      for (const IValue &element : list->toListRef())
        hash = c10::hash_combine(hash, std::hash<int64_t>()(element.toInt()));
    return hash;
  }
};

/// torch's EqualNode, answered directly for two int list constants (its
/// generic comparison lists, sorts and looks up the attributes by name and
/// compares the lists an IValue at a time, ~2,000 instructions a pair):
/// the same output types and the same elements, as torch compares them
/// (a constant has no inputs and no blocks).
struct EqualConstant {
  bool operator()(const Node *lhs, const Node *rhs) const {
    const IValue *left = intListOf(lhs);
    const IValue *right = intListOf(rhs);
    if (!left || !right)
      return EqualNode()(lhs, rhs);
    const c10::TypePtr &leftType = lhs->output()->type();
    const c10::TypePtr &rightType = rhs->output()->type();
    if (leftType != rightType && *leftType != *rightType)
      return false;
    c10::ArrayRef<IValue> a = left->toListRef(), b = right->toListRef();
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const IValue &x, const IValue &y) {
                        return x.toInt() == y.toInt();
                      });
  }
};

using ConstantSet = std::unordered_set<Node *, HashConstant, EqualConstant>;

/// ConstantPooling's pooling for immutable constants: the first of equal
/// constants (in program order, blocks included) replaces the others and
/// moves to the start of the graph.
void poolImmutableConstants(Block *block, ConstantSet &seen) {
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

/// The nodes of a block without nested blocks that torch's dead-code
/// elimination without alias analysis removes, and the values it keeps.
struct Sweep {
  ValueSet live;
  std::vector<Node *> dead; ///< last first
  /// The nodes that write to an input kept for that alone (nothing live
  /// uses their outputs): alias analysis might find their writes dead.
  std::vector<const Node *> writesKeptForThemselves;

  void destroyDead() {
    for (Node *node : dead) // last first: their users are gone before them
      node->destroy();
  }
};

Sweep sweep(Block *block, const FlatSchemas *schemas) {
  // Backwards: a node is live when it has side effects or writes, or a live
  // node (or the block's return) uses one of its outputs; a live node's
  // inputs live.
  Sweep result;
  result.live.insertAll(block->outputs());
  for (Node *node : block->nodes().reverse()) {
    bool used = false;
    for (const Value *output : node->outputs())
      used = used || result.live.count(output) != 0;
    if (!used &&
        (hasSideEffects(node, schemas) || node->kind() == prim::SetAttr)) {
      used = true;
    } else if (!used) {
      const FunctionSchema *schema = schemaOf(node, schemas);
      used = schema && schema->is_mutable();
      if (used)
        result.writesKeptForThemselves.push_back(node);
    }
    if (!used) {
      result.dead.push_back(node);
      continue;
    }
    result.live.insertAll(node->inputs());
  }
  return result;
}

/// Whether a node in `block` (or nested) may write to something other than
/// a tensor (a list, a dict, an object), or to anything at all (no schema,
/// conservative aliasing): with none, constant lists of numbers are never
/// written, and equal ones can be one.
bool mayWriteBesidesTensors(const Block *block, const FlatSchemas *schemas) {
  for (const Node *node : block->nodes()) {
    for (const Block *inner : node->blocks())
      if (mayWriteBesidesTensors(inner, schemas))
        return true;
    if (!mayWrite(node, schemas))
      continue;
    const Operator *op = node->maybeOperator();
    if (!op || op->aliasAnalysisKind() == c10::AliasAnalysisKind::CONSERVATIVE)
      return true;
    for (const c10::Argument &argument : op->schema().arguments())
      if (argument.alias_info() && argument.alias_info()->isWrite() &&
          argument.type()->kind() != c10::TypeKind::TensorType)
        return true;
  }
  return false;
}

/// Whether `value` is a Tensor (not an optional one, nor a list of them).
bool isTensor(const Value *value) {
  return value->type()->kind() == c10::TypeKind::TensorType;
}

/// The views among the tensors of a block: a tensor output whose alias set
/// (in its operator's schema) is the one of a tensor input (a view, an
/// in-place result) is a view of the first input annotated with that set.
/// Every value then has at most one base, and two values of one root are
/// views of one memory, which torch's alias analysis knows too (it binds an
/// alias set to the first input annotated with it, and points the output to
/// that input's memory).
class Views {
public:
  Views(const Block *block, const FlatSchemas *schemas) {
    for (const Node *node : block->nodes()) {
      const FunctionSchema *schema = aliasSchemaOf(node, schemas);
      if (!schema)
        continue;
      const auto &arguments = schema->arguments();
      const auto &returns = schema->returns();
      for (size_t o = 0; o < returns.size() && o < node->outputs().size();
           ++o) {
        const c10::AliasInfo *out = returns[o].alias_info();
        if (!out || out->isWildcardBefore() || out->beforeSets().size() != 1 ||
            !isTensor(node->output(o)))
          continue;
        c10::Symbol set = *out->beforeSets().begin();
        for (size_t i = 0; i < arguments.size() && i < node->inputs().size();
             ++i) {
          const c10::AliasInfo *in = arguments[i].alias_info();
          if (!in || !in->beforeSets().count(set))
            continue;
          // The first input of the set: a view of it where it is a tensor
          // of that set alone (else no view is recorded).
          if (in->beforeSets().size() == 1 && isTensor(node->input(i)))
            base_.emplace(node->output(o), node->input(i));
          break;
        }
      }
    }
  }

  /// The value `value` is a view of, through every view between.
  const Value *root(const Value *value) const {
    for (auto it = base_.find(value); it != base_.end();
         it = base_.find(value))
      value = it->second;
    return value;
  }

private:
  std::unordered_map<const Value *, const Value *> base_;
};

} // namespace

std::unordered_set<const Node *>
writesCleanupKeeps(const Block *block, const FlatSchemas *schemas) {
  std::unordered_set<const Node *> kept;
  if (hasNestedBlocks(block))
    return kept;
  // Backwards, as torch's dead-code elimination marks a flat block: a node
  // is live when the block returns or a live node uses one of its outputs,
  // when it has side effects, or (here) when it writes to the memory of a
  // value that a live node after it reads; a live node's inputs live.
  Views views(block, schemas);
  ValueSet live;
  live.insertAll(block->outputs());
  ValueSet liveMemory;
  for (const Value *output : block->outputs())
    liveMemory.insert(views.root(output));
  for (const Node *node : block->nodes().reverse()) {
    bool used = false;
    for (const Value *output : node->outputs())
      used = used || live.count(output) != 0;
    bool writesLive = false;
    if (const FunctionSchema *schema = aliasSchemaOf(node, schemas))
      for (size_t i = 0; i < schema->arguments().size() &&
                         i < node->inputs().size() && !writesLive;
           ++i) {
        const c10::AliasInfo *alias = schema->arguments()[i].alias_info();
        writesLive = alias && alias->isWrite() &&
                     liveMemory.count(views.root(node->input(i))) != 0;
      }
    if (!used && !writesLive && !hasSideEffects(node, schemas))
      continue;
    if (writesLive)
      kept.insert(node);
    for (const Value *input : node->inputs()) {
      live.insert(input);
      liveMemory.insert(views.root(input));
    }
  }
  return kept;
}

void eliminateDeadCode(
    Block *block,
    const std::function<void(const IsLive &)> &beforeDeleting,
    const FlatSchemas *schemas) {
  if (hasNestedBlocks(block)) {
    EliminateDeadCode(block,
                      [&](const std::unordered_set<const Value *> &live) {
                        if (beforeDeleting)
                          beforeDeleting([&](const Value *value) {
                            return live.count(value) != 0;
                          });
                      });
    return;
  }
  Sweep swept = sweep(block, schemas);
  if (beforeDeleting)
    beforeDeleting(
        [&](const Value *value) { return swept.live.count(value); });
  swept.destroyDead();
}

namespace {

/// Whether torch's dead-code elimination with alias analysis surely keeps
/// each of `writes` (writesCleanupKeeps): then it keeps what the sweep of
/// `block` keeps, as both keep the block's outputs, the side effects, these
/// writes and what they read, and nothing else the sweep drops.
bool aliasAnalysisKeepsEach(const std::vector<const Node *> &writes,
                            const Block *block, const FlatSchemas *schemas) {
  if (writes.empty())
    return true;
  std::unordered_set<const Node *> kept = writesCleanupKeeps(block, schemas);
  return std::all_of(writes.begin(), writes.end(),
                     [&](const Node *write) { return kept.count(write); });
}

} // namespace

void cleanupFlatGraph(std::shared_ptr<Graph> &graph,
                      const FlatSchemas *schemas) {
  // No common-subexpression elimination: a trace has none, and torch 1.13's
  // merges two reads of a list across an in-place write to one of its
  // elements (test/differential/regressions.py).
  // Without alias analysis, every write is kept; with it, a write nothing
  // reads after is dead. Where every write is kept for its outputs anyway
  // (none, or resnet's relu_) or writes what is surely read later, both
  // remove the same: the sweep does.
  bool writes = mayWrite(graph->block(), schemas);
  if (hasNestedBlocks(graph->block())) {
    writes ? EliminateDeadCode(graph) : EliminateDeadCode(graph->block());
  } else if (Sweep swept = sweep(graph->block(), schemas);
             aliasAnalysisKeepsEach(swept.writesKeptForThemselves,
                                    graph->block(), schemas)) {
    swept.destroyDead();
  } else {
    EliminateDeadCode(graph);
  }
  bool listsUnwritten =
      !writes || !mayWriteBesidesTensors(graph->block(), schemas);
  if (constantsImmutable(graph->block(), listsUnwritten)) {
    ConstantSet seen;
    poolImmutableConstants(graph->block(), seen);
  } else {
    ConstantPooling(graph);
  }
  GRAPH_DUMP("After cleanupFlatGraph:", graph);
}

} // namespace s2t
