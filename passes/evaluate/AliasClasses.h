//===- passes/evaluate/AliasClasses.h - Shared memory -----------*- C++ -*-===//
//
// A union-find over flat-graph values: two values are in one class when
// they may share memory. Operator schemas say which outputs alias which
// inputs; nodes without a schema (list and tuple construction and unpacking,
// casts) are taken to alias every tensor-holding value they touch. Each class
// keeps the nodes that write to it, so that a read after a write sees it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <cstddef>
#include <unordered_map>
#include <vector>

namespace s2t {
namespace evaluate {

class AliasClasses {
public:
  using Node = torch::jit::Node;
  using Value = torch::jit::Value;

  /// The representative of `value`'s class.
  const Value *find(const Value *value);
  /// Puts `a` and `b` in one class (with the writers of both).
  void unite(Value *a, Value *b);
  /// The values of the class `root` represents (`root` among them).
  std::vector<Value *> &membersOf(const Value *root);
  /// The nodes that write to `value`'s class, in the order they were added;
  /// null when there are none.
  const std::vector<Node *> *writersOf(const Value *value);

  /// Adds `node`'s aliasing: unites its outputs with the inputs they may
  /// alias, and records it as a writer of each input it writes to. Returns
  /// the indices of those inputs. `schema` is the operator's (null for a
  /// node without one: its tensors may all alias).
  std::vector<size_t> addNode(Node *node, const c10::FunctionSchema *schema);

private:
  std::unordered_map<const Value *, const Value *> parent_;
  std::unordered_map<const Value *, std::vector<Value *>> members_;
  std::unordered_map<const Value *, std::vector<Node *>> writers_;
};

} // namespace evaluate
} // namespace s2t
