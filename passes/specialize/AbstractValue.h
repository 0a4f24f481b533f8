//===- passes/specialize/AbstractValue.h - The interpreter's values -*- C++ -*-===//
//
// What the specializer knows about one value of the scripted graph:
//   Constant       an IValue known without the sample (constants, attributes)
//                  or read from the sample's metadata;
//   Graph          a value of the flat output graph (its sample value is
//                  computed on demand by passes/evaluate/LazyEvaluator.h);
//   Aggregate      a list, tuple or dict whose elements are abstract values,
//                  shared by every alias so that mutation is seen by all;
//   Object         a module or class instance (attributes resolve directly);
//   Uninitialized  prim::Uninitialized: flows on paths that never read it.
// Each value carries the category of what it depends on (DESIGN.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Decision.h"
#include "ir/JitForward.h"

#include <ATen/core/ivalue.h>
#include <ATen/core/jit_type.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace s2t {

struct Aggregate;

struct AV {
  enum Kind : uint8_t { Constant, Graph, Aggregate, Object, Uninitialized };

  Kind kind = Uninitialized;
  DecisionCategory dep = DecisionCategory::Constant;
  /// Constant: the value. Object: the object. Unused for Graph.
  c10::IValue value;
  torch::jit::Value *graphValue = nullptr;
  std::shared_ptr<s2t::Aggregate> agg;
  /// Constant: a value of the flat graph that computes it from the inputs
  /// when it depends on them (x.dim(), `x is None`), for checks and for
  /// the decision report; null if it follows from the path alone.
  torch::jit::Value *witness = nullptr;

  /// What computes this value in the flat graph, if anything does.
  torch::jit::Value *witnessValue() const {
    return kind == Graph ? graphValue : kind == Constant ? witness : nullptr;
  }

  static AV constant(c10::IValue value, DecisionCategory dep) {
    AV av;
    av.kind = Constant;
    av.value = std::move(value);
    av.dep = dep;
    return av;
  }
  static AV graph(torch::jit::Value *graphValue, c10::IValue sample,
                  DecisionCategory dep) {
    AV av;
    av.kind = Graph;
    av.graphValue = graphValue;
    av.value = std::move(sample);
    av.dep = dep;
    return av;
  }
  static AV aggregate(std::shared_ptr<s2t::Aggregate> agg,
                      DecisionCategory dep) {
    AV av;
    av.kind = Aggregate;
    av.agg = std::move(agg);
    av.dep = dep;
    return av;
  }
  static AV object(c10::IValue object, DecisionCategory dep) {
    AV av;
    av.kind = Object;
    av.value = std::move(object);
    av.dep = dep;
    return av;
  }

  bool isNone() const { return kind == Constant && value.isNone(); }
  /// True if nothing in this value lives in the flat graph.
  inline bool isConstantTree() const;
  /// The type this value has, as far as the specializer knows.
  inline c10::TypePtr staticType() const;
  /// The category of this value and, for a structure, of all it holds.
  inline DecisionCategory deepDep() const;
};

struct Aggregate {
  enum Kind : uint8_t { List, Tuple, Dict };

  Aggregate(Kind kind, c10::TypePtr type) : kind(kind), type(std::move(type)) {}

  Kind kind;
  c10::TypePtr type; ///< ListType, TupleType or DictType
  std::vector<AV> elements;      ///< list/tuple elements, dict values
  std::vector<c10::IValue> keys; ///< dict keys, in insertion order
  /// The category of the decisions that shaped this structure (its length).
  DecisionCategory dep = DecisionCategory::Constant;
  /// Bumped by every mutation; a materialized value is reused while current.
  uint64_t version = 0;
  torch::jit::Value *materialized = nullptr;
  /// The flat-graph list, tuple or dict this structure was unpacked from.
  torch::jit::Value *origin = nullptr;
  uint64_t materializedVersion = 0;
  /// How many in-place operations the flat graph held when materialized.
  uint64_t materializedAt = 0;

  void mutated(DecisionCategory pathDep) {
    ++version;
    if (pathDep > dep)
      dep = pathDep;
  }
  /// Index of `key` in a dict, or -1.
  int64_t find(const c10::IValue &key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key)
        return static_cast<int64_t>(i);
    return -1;
  }
  /// A dict's `d[key] = value`: replaces the value of a key it holds, else
  /// appends the entry. Returns the entry's index.
  size_t set(const c10::IValue &key, AV value) {
    int64_t at = find(key);
    if (at >= 0) {
      elements[at] = std::move(value);
      return static_cast<size_t>(at);
    }
    keys.push_back(key);
    elements.push_back(std::move(value));
    return keys.size() - 1;
  }
};

/// `av`, depending on `dep` as well (what a branch produced depends on the
/// decision that took it).
inline AV withDep(AV av, DecisionCategory dep) {
  av.dep = std::max(av.dep, dep);
  return av;
}

bool AV::isConstantTree() const {
  switch (kind) {
  case Constant:
    return true;
  case Graph:
  case Object:
  case Uninitialized:
    return false;
  case Aggregate:
    for (const AV &element : agg->elements)
      if (!element.isConstantTree())
        return false;
    return true;
  }
  return false;
}

DecisionCategory AV::deepDep() const {
  DecisionCategory result = dep;
  if (kind == Aggregate)
    for (const AV &element : agg->elements)
      result = std::max(result, element.deepDep());
  return result;
}

c10::TypePtr AV::staticType() const {
  switch (kind) {
  case Constant:
  case Graph:
  case Object:
    return value.type();
  case Aggregate:
    return agg->type;
  case Uninitialized:
    break;
  }
  return c10::NoneType::get();
}

} // namespace s2t
