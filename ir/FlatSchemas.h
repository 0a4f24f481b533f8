//===- ir/FlatSchemas.h - Operator matches, made once -----------*- C++ -*-===//
//
// LibTorch finds a node's schema by matching its input types against every
// overload of its operator (~2,000 instructions for aten::add's) and keeps
// the match in the node, once asked. The flat graph repeats a few operators
// on a few input types many times (an unrolled loop: one per iteration), and
// the match depends on nothing else (the operator, the input types): the
// specializer matches each operator and input types once here, and records
// each emitted node's schema for the stages after it (the clean-up asks every
// node), with whether the node has side effects (Node::hasSideEffects, which
// depends on the operator matched and matches again on every node not asked
// for its operator before: ~3,000 instructions each). A node's record is keyed by its first output, whose number no other
// value of the graph ever takes: a destroyed node's record is never mistaken
// for a new node's.
//
//===----------------------------------------------------------------------===//

#pragma once

#include "ir/ValueTable.h"

#include <unordered_map>
#include <vector>

namespace s2t {

class FlatSchemas {
public:
  /// `flat`'s schema (null where none matches), matched once per operator and
  /// input types, and recorded for schemaOf. `flat` is of the flat graph and
  /// has all its inputs.
  const c10::FunctionSchema *match(const torch::jit::Node *flat);

  /// `node`'s schema: the one recorded (null where none matched), else
  /// LibTorch's match.
  const c10::FunctionSchema *schemaOf(const torch::jit::Node *node) const;

  /// Whether `node` has side effects: as recorded for a node whose schema
  /// matched, else LibTorch's answer.
  bool hasSideEffects(const torch::jit::Node *node) const;

private:
  /// An operator and input types, and their match. The types are held, so
  /// that no other type takes their addresses while they are compared by
  /// address (an equal type of another object is matched once more, which
  /// costs a match and changes nothing).
  /// A schema matched (or null) and whether its operator has side effects.
  struct Match {
    const c10::FunctionSchema *schema = nullptr;
    bool sideEffects = false;
  };
  struct Signature {
    c10::Symbol kind;
    std::vector<c10::TypePtr> inputs;
    Match match;
  };
  /// By a hash of the operator and the inputs' type addresses: a lookup
  /// copies no type (each copy of a shared type is an atomic increment).
  std::unordered_map<size_t, std::vector<Signature>> matches_;
  ValueTable<Match> byOutput_;
};

} // namespace s2t
