//===- passes/specialize/Idioms.h - Structure operations as tables -*- C++ -*-===//
//
// Operations on lists, tuples, dicts and Optionals are answered from the
// structure the specializer keeps (passes/specialize/AbstractValue.h), not
// emitted: `xs.append(y)` appends to the abstract list, `d[k]` picks the
// abstract value. Each operation has a short handler in one of three tables,
// {operator symbol -> handler}, in the way of PyTorch's
// peephole_list_idioms.cpp and peephole_dict_idioms.cpp:
//   structureIdioms()  building and taking apart structures, tuples,
//                      Optionals, identity (`is`), isinstance, x.size();
//   listIdioms()       operations whose first argument is a list;
//   dictIdioms()       operations whose first argument is a dict.
// A handler returns false to leave the node to the generic emit path.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/specialize/Specializer.h"

#include <ATen/core/symbol.h>

#include <unordered_map>

namespace s2t {

/// One node being answered from structure, with the shorthand its handler
/// needs.
struct Idiom {
  Specializer &s;
  const torch::jit::Node *node;

  const AV &in(size_t i) const;
  size_t inputCount() const;
  void out(AV av) const;
  /// Binds the output to a new structure, which depends on nothing itself.
  void out(std::shared_ptr<Aggregate> agg) const {
    out(AV::aggregate(std::move(agg), DecisionCategory::Constant));
  }
  /// Input `i` as a structure.
  std::shared_ptr<Aggregate> structure(size_t i) const {
    return s.asAggregate(in(i), node);
  }
  /// A new structure of the output's type, shaped by the path to it.
  std::shared_ptr<Aggregate> fresh(Aggregate::Kind kind) const;
  /// The value of input `i` (a dict key), decided on the sample.
  c10::IValue key(size_t i) const { return s.decide(in(i), node); }
  /// The int of input `i` (an index), decided on the sample.
  int64_t integer(size_t i) const { return s.decideInt(in(i), node); }
  /// Records that `agg` changed on this path, after what `dep` says.
  void mutated(Aggregate &agg,
               DecisionCategory dep = DecisionCategory::Constant) const {
    s.markMutated(agg, std::max(s.pathDep(), dep));
  }
  [[noreturn]] void fail(const std::string &why) const {
    s.unsupported(node, why);
  }
};

using IdiomHandler = bool (*)(const Idiom &);
using IdiomTable = std::unordered_map<c10::Symbol, IdiomHandler>;

const IdiomTable &structureIdioms();
const IdiomTable &listIdioms();
const IdiomTable &dictIdioms();

/// The handler for `node`: from structureIdioms() by its kind, else from the
/// list or dict table by the type of its first input; null if none.
IdiomHandler findIdiom(const torch::jit::Node *node);

/// Python's index normalisation for a sequence of `size`; -1 if out of range.
inline int64_t normalizeIndex(int64_t index, size_t size) {
  if (index < 0)
    index += static_cast<int64_t>(size);
  if (index < 0 || index >= static_cast<int64_t>(size))
    return -1;
  return index;
}

/// `len(xs)` and `len(d)`; `xs.clear()` and `d.clear()`.
bool structureLength(const Idiom &idiom);
bool structureClear(const Idiom &idiom);

} // namespace s2t
