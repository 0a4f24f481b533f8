//===- passes/specialize/StructureIdioms.cpp - Structures, Optionals, `is` -===//
//
// The table of operations answered from structure whatever their operands:
// building lists, tuples and dicts (prim::ListConstruct, aten::dict, ...),
// taking them apart (prim::ListUnpack, prim::TupleIndex, ...), Optionals
// (refinement and unwrapping), identity (`x is None`, `a is b`),
// isinstance, and `x.size()` as one aten::size per dimension. Also the
// lookup of every idiom table (findIdiom) and the shorthand of Idiom.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Idioms.h"

#include <torch/csrc/jit/ir/ir.h>

namespace s2t {

using namespace torch::jit;

const AV &Idiom::in(size_t i) const { return s.lookup(node->input(i)); }

size_t Idiom::inputCount() const { return node->inputs().size(); }

void Idiom::out(AV av) const { s.bind(node->output(), std::move(av)); }

std::shared_ptr<Aggregate> Idiom::fresh(Aggregate::Kind kind) const {
  auto agg = std::make_shared<Aggregate>(kind, node->output()->type());
  agg->dep = s.pathDep();
  return agg;
}

IdiomHandler findIdiom(const Node *node) {
  auto find = [&](const IdiomTable &table) -> IdiomHandler {
    auto it = table.find(node->kind());
    return it == table.end() ? nullptr : it->second;
  };
  if (IdiomHandler handler = find(structureIdioms()))
    return handler;
  // Operations on lists and dicts (not on strings or tensors of the same
  // name).
  if (node->inputs().empty())
    return nullptr;
  switch (node->input(0)->type()->kind()) {
  case TypeKind::ListType:
    return find(listIdioms());
  case TypeKind::DictType:
    return find(dictIdioms());
  default:
    return nullptr;
  }
}

namespace {

bool construct(const Idiom &idiom) {
  auto agg = idiom.fresh(idiom.node->kind() == prim::ListConstruct
                             ? Aggregate::List
                             : Aggregate::Tuple);
  for (size_t i = 0; i < idiom.inputCount(); ++i)
    agg->elements.push_back(idiom.in(i));
  idiom.out(std::move(agg));
  return true;
}

bool constructDict(const Idiom &idiom) {
  auto agg = idiom.fresh(Aggregate::Dict);
  for (size_t i = 0; i + 1 < idiom.inputCount(); i += 2)
    agg->set(idiom.key(i), idiom.in(i + 1));
  idiom.out(std::move(agg));
  return true;
}

/// dict() and OrderedDict(), empty or from (key, value) pairs.
bool dictFromPairs(const Idiom &idiom) {
  if (idiom.inputCount() > 1)
    return false;
  auto agg = idiom.fresh(Aggregate::Dict);
  if (idiom.inputCount() == 1) {
    if (idiom.node->input(0)->type()->kind() != TypeKind::ListType)
      return false;
    std::shared_ptr<Aggregate> pairs = idiom.structure(0);
    for (const AV &pair : pairs->elements) {
      auto entry = idiom.s.asAggregate(pair, idiom.node);
      if (entry->elements.size() != 2)
        return false;
      agg->set(idiom.s.decide(entry->elements[0], idiom.node),
               entry->elements[1]);
    }
  }
  idiom.out(std::move(agg));
  return true;
}

bool unpack(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  size_t count = idiom.node->outputs().size();
  if (agg->elements.size() != count)
    idiom.fail("unpacks " + std::to_string(count) +
               " values from a structure of " +
               std::to_string(agg->elements.size()));
  for (size_t i = 0; i < count; ++i)
    idiom.s.bind(idiom.node->outputs()[i],
                 withDep(agg->elements[i], agg->dep));
  return true;
}

bool tupleIndex(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t index = normalizeIndex(idiom.integer(1), agg->elements.size());
  if (index < 0)
    idiom.fail("tuple index out of range");
  idiom.out(withDep(agg->elements[index], idiom.in(1).dep));
  return true;
}

bool tupleSlice(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  auto slice = idiom.fresh(Aggregate::Tuple);
  int64_t begin = idiom.node->i(attr::beg), end = idiom.node->i(attr::end);
  int64_t size = static_cast<int64_t>(agg->elements.size());
  for (int64_t i = begin; i < end && i < size; ++i)
    slice->elements.push_back(agg->elements[i]);
  idiom.out(AV::aggregate(std::move(slice), agg->dep));
  return true;
}

bool uninitialized(const Idiom &idiom) {
  idiom.out(AV());
  return true;
}

/// prim::unchecked_cast, prim::unchecked_unwrap_optional,
/// aten::_unwrap_optional: the value itself, typed as the output.
bool unwrapOptional(const Idiom &idiom) {
  const Node *node = idiom.node;
  const AV &value = idiom.in(0);
  if (value.isNone() && node->kind() != prim::unchecked_cast)
    idiom.fail("unwraps an Optional that is None on the sample");
  if (value.kind == AV::Graph &&
      !value.graphValue->type()->isSubtypeOf(*node->output()->type())) {
    Node *cast = idiom.s.flat().create(prim::unchecked_cast, {value.graphValue});
    cast->output()->setType(node->output()->type());
    idiom.s.emit(cast, node);
    idiom.out(idiom.s.graphValue(cast->output(), value.dep));
    return true;
  }
  idiom.out(value);
  return true;
}

/// The Optional that `value` refines, if a prim::unchecked_cast made it: a
/// check of `is None` must read the Optional itself, since on the refined
/// value TorchScript's peephole pass folds it to a constant.
AV unrefined(const AV &value) {
  if (value.kind != AV::Graph)
    return value;
  Node *cast = value.graphValue->node();
  if (cast->kind() != prim::unchecked_cast ||
      !cast->input()->type()->cast<OptionalType>())
    return value;
  AV optional = value;
  optional.graphValue = cast->input();
  return optional;
}

/// `x is None`, `x is not None`: decided on the sample, with a witness.
bool noneTest(const Idiom &idiom, bool negate) {
  const AV &a = idiom.in(0), &b = idiom.in(1);
  const AV &other = a.isNone() ? b : a;
  bool isNone;
  try {
    isNone = other.isNone() ||
             (other.kind == AV::Graph && idiom.s.concrete(other).isNone());
  } catch (const UnknownValue &) {
    return false; // an unknown Optional: computed in the flat graph
  }
  DecisionCategory dep =
      std::min(std::max(a.dep, b.dep), DecisionCategory::Shape);
  std::vector<AV> results{AV::constant(IValue(isNone != negate), dep)};
  if (dep != DecisionCategory::Constant)
    idiom.s.attachWitnesses(idiom.node, {unrefined(a), unrefined(b)}, results);
  idiom.out(std::move(results[0]));
  return true;
}

/// aten::__is__, aten::__isnot__.
bool identity(const Idiom &idiom) {
  const AV &a = idiom.in(0), &b = idiom.in(1);
  bool negate = idiom.node->kind() == aten::__isnot__;
  if (a.isNone() || b.isNone())
    return noneTest(idiom, negate);
  if (a.kind == AV::Object && b.kind == AV::Object) {
    bool same = a.value.isSameIdentity(b.value);
    idiom.out(AV::constant(IValue(same != negate), DecisionCategory::Constant));
    return true;
  }
  if (a.kind != AV::Graph || b.kind != AV::Graph)
    return false;
  // `q is k` on tensors: the same value of the flat graph, or two arguments
  // given the same sample object.
  LazyEvaluator &evaluator = idiom.s.evaluator();
  bool same = a.graphValue == b.graphValue ||
              (evaluator.isKnown(a.graphValue) &&
               evaluator.isKnown(b.graphValue) &&
               evaluator.real(a.graphValue)
                   .isSameIdentity(evaluator.real(b.graphValue)));
  std::vector<AV> results{AV::constant(
      IValue(same != negate),
      std::min(std::max(a.dep, b.dep), DecisionCategory::Shape))};
  idiom.s.attachWitnesses(idiom.node, {a, b}, results);
  idiom.out(std::move(results[0]));
  return true;
}

bool isInstance(const Idiom &idiom) {
  const AV &value = idiom.in(0);
  TypePtr type = value.kind == AV::Graph ? idiom.s.concrete(value).type()
                                         : value.staticType();
  bool matches = false;
  for (const TypePtr &candidate : idiom.node->tys(attr::types))
    matches |= type->isSubtypeOf(*candidate);
  std::vector<AV> results{AV::constant(
      IValue(matches), std::min(value.dep, DecisionCategory::Shape))};
  if (value.kind == AV::Graph)
    idiom.s.attachWitnesses(idiom.node, {value}, results);
  idiom.out(std::move(results[0]));
  return true;
}

/// x.size() with no dim: one aten::size(x, i) per dimension, so that a
/// trace-like graph keeps each dimension dynamic where it is used.
bool sizeList(const Idiom &idiom) {
  if (idiom.inputCount() != 1)
    return false;
  const AV &tensor = idiom.in(0);
  if (tensor.kind != AV::Graph)
    return false;
  IValue sample = idiom.s.concrete(tensor);
  if (!sample.isTensor())
    return false;
  auto agg = idiom.fresh(Aggregate::List);
  agg->dep = DecisionCategory::Shape;
  DecisionCategory dep = std::min(tensor.dep, DecisionCategory::Shape);
  Graph &flat = idiom.s.flat();
  for (int64_t dim = 0; dim < sample.toTensor().dim(); ++dim) {
    Value *index = idiom.s.materialize(
        AV::constant(dim, DecisionCategory::Constant), IntType::get());
    Node *size = flat.create(aten::size, {tensor.graphValue, index});
    size->output()->setType(IntType::get());
    idiom.s.emit(size, idiom.node);
    agg->elements.push_back(idiom.s.graphValue(size->output(), dep));
  }
  idiom.out(AV::aggregate(std::move(agg), dep));
  return true;
}

} // namespace

const IdiomTable &structureIdioms() {
  static const IdiomTable table = {
      {prim::ListConstruct, construct},
      {prim::TupleConstruct, construct},
      {prim::DictConstruct, constructDict},
      {aten::dict, dictFromPairs},
      {prim::ListUnpack, unpack},
      {prim::TupleUnpack, unpack},
      {prim::TupleIndex, tupleIndex},
      {prim::TupleSlice, tupleSlice},
      {prim::Uninitialized, uninitialized},
      {prim::unchecked_cast, unwrapOptional},
      {prim::unchecked_unwrap_optional, unwrapOptional},
      {aten::_unwrap_optional, unwrapOptional},
      {aten::__is__, identity},
      {aten::__isnot__, identity},
      {prim::isinstance, isInstance},
      {aten::size, sizeList},
  };
  return table;
}

} // namespace s2t
