//===- passes/specialize/ListIdioms.cpp - List operations from structure --===//
//
// The table of operations on a list answered from its abstract elements:
// len, indexing, item assignment, append / insert / pop / clear / extend,
// `+` and `+=`, copies, slices (Python's semantics, by torch's
// slice_indices_adjust), sort / sorted on scalars, reverse and `del`.
// Mutations are recorded on the structure (Aggregate::mutated), so that every
// alias sees them and a later read builds the list anew.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Idioms.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/slice_indices_adjust.h>

#include <algorithm>
#include <limits>

namespace s2t {

using namespace torch::jit;

bool structureLength(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  AV length = AV::constant(
      IValue(static_cast<int64_t>(agg->elements.size())), agg->dep);
  if (agg->origin && agg->version == 0 &&
      agg->dep != DecisionCategory::Constant) {
    // Its length is the flat-graph value's, whose size the inputs decide.
    Node *len = idiom.s.flat().create(aten::len, {agg->origin});
    len->output()->setType(IntType::get());
    length.witness = idiom.s.insertRaw(len, idiom.node)->output();
  }
  idiom.out(std::move(length));
  return true;
}

bool structureClear(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  agg->elements.clear();
  agg->keys.clear();
  idiom.mutated(*agg);
  return true;
}

namespace {

/// Python's `<` on ints, floats, bools and strings.
bool lessThan(const IValue &a, const IValue &b) {
  if (a.isString() && b.isString())
    return a.toStringRef() < b.toStringRef();
  auto number = [](const IValue &v) {
    return v.isDouble() ? v.toDouble()
           : v.isBool() ? static_cast<double>(v.toBool())
                        : static_cast<double>(v.toInt());
  };
  if (a.isInt() && b.isInt())
    return a.toInt() < b.toInt();
  return number(a) < number(b);
}

/// The index of input 1 in the list `agg`, failing when out of range.
int64_t elementIndex(const Idiom &idiom, const Aggregate &agg) {
  int64_t index = normalizeIndex(idiom.integer(1), agg.elements.size());
  if (index < 0)
    idiom.fail("list index out of range on the sample");
  return index;
}

/// A new list holding `elements`, shaped by the path and by `dep`.
void outList(const Idiom &idiom, std::vector<AV> elements,
             DecisionCategory dep) {
  auto list = idiom.fresh(Aggregate::List);
  list->elements = std::move(elements);
  list->dep = std::max(list->dep, dep);
  idiom.out(std::move(list));
}

bool getItem(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t index = elementIndex(idiom, *agg);
  idiom.out(withDep(agg->elements[index], std::max(agg->dep, idiom.in(1).dep)));
  return true;
}

bool setItem(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  agg->elements[elementIndex(idiom, *agg)] = idiom.in(2);
  idiom.mutated(*agg);
  if (idiom.node->outputs().size() == 1)
    idiom.out(idiom.in(0));
  return true;
}

bool append(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  agg->elements.push_back(idiom.in(1));
  idiom.mutated(*agg);
  idiom.out(idiom.in(0));
  return true;
}

bool insert(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t size = agg->elements.size();
  int64_t index = idiom.integer(1);
  if (index < 0)
    index = std::max<int64_t>(0, index + size);
  index = std::min(index, size);
  agg->elements.insert(agg->elements.begin() + index, idiom.in(2));
  idiom.mutated(*agg);
  return true;
}

bool pop(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t index = idiom.inputCount() > 1 ? idiom.integer(1) : -1;
  index = normalizeIndex(index, agg->elements.size());
  if (index < 0)
    idiom.fail("pop index out of range on the sample");
  idiom.out(agg->elements[index]);
  agg->elements.erase(agg->elements.begin() + index);
  idiom.mutated(*agg);
  return true;
}

bool extend(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  auto other = idiom.structure(1);
  std::vector<AV> added = other->elements; // a list may extend itself
  agg->elements.insert(agg->elements.end(), added.begin(), added.end());
  idiom.mutated(*agg, other->dep);
  return true;
}

/// `xs + ys` and `xs += ys` (aten::add, aten::add_ of two lists).
bool concatenate(const Idiom &idiom) {
  if (idiom.inputCount() != 2)
    return false;
  TypeKind other = idiom.node->input(1)->type()->kind();
  if (other != TypeKind::ListType && other != TypeKind::DictType)
    return false;
  if (idiom.node->kind() == aten::add_) {
    extend(idiom);
    idiom.out(idiom.in(0));
    return true;
  }
  auto lhs = idiom.structure(0);
  auto rhs = idiom.structure(1);
  std::vector<AV> sum = lhs->elements;
  sum.insert(sum.end(), rhs->elements.begin(), rhs->elements.end());
  outList(idiom, std::move(sum), std::max(lhs->dep, rhs->dep));
  return true;
}

/// list(xs), xs.copy().
bool copy(const Idiom &idiom) {
  if (idiom.inputCount() != 1)
    return false;
  auto agg = idiom.structure(0);
  outList(idiom, agg->elements, agg->dep);
  return true;
}

bool slice(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  // An absent or None bound is INT64_MAX to torch's slice_indices_adjust,
  // as to aten::slice's kernel; it stands for Python's default.
  auto bound = [&](size_t i, int64_t absent) {
    if (idiom.inputCount() <= i || idiom.in(i).isNone())
      return absent;
    return idiom.integer(i);
  };
  constexpr int64_t kAbsent = std::numeric_limits<int64_t>::max();
  int64_t step = bound(3, 1);
  if (step == 0)
    idiom.fail("slice step cannot be zero");
  int64_t start = bound(1, kAbsent);
  int64_t end = bound(2, kAbsent);
  int64_t count = slice_indices_adjust(
      static_cast<int64_t>(agg->elements.size()), &start, &end, step);
  std::vector<AV> elements;
  for (int64_t i = 0, at = start; i < count; ++i, at += step)
    elements.push_back(agg->elements[at]);
  outList(idiom, std::move(elements), agg->dep);
  return true;
}

/// xs.sort(), sorted(xs): decided from the values of scalars (sizes, say).
bool sort(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  std::vector<std::pair<IValue, AV>> keyed;
  DecisionCategory dep = agg->dep;
  for (const AV &element : agg->elements) {
    IValue key = idiom.s.decide(element, idiom.node);
    if (!key.isInt() && !key.isDouble() && !key.isBool() && !key.isString())
      return false;
    dep = std::max(dep, element.dep);
    keyed.emplace_back(std::move(key), element);
  }
  bool descending =
      idiom.inputCount() > 1 && idiom.s.decideBool(idiom.in(1), idiom.node);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](const auto &a, const auto &b) {
                     return descending ? lessThan(b.first, a.first)
                                       : lessThan(a.first, b.first);
                   });
  std::vector<AV> ordered;
  for (auto &entry : keyed)
    ordered.push_back(std::move(entry.second));
  if (idiom.node->kind() != aten::sort) {
    outList(idiom, std::move(ordered), dep);
    return true;
  }
  agg->elements = std::move(ordered);
  idiom.mutated(*agg, dep);
  return true;
}

bool reverse(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  std::reverse(agg->elements.begin(), agg->elements.end());
  idiom.mutated(*agg);
  return true;
}

/// `del xs[i]`.
bool erase(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  agg->elements.erase(agg->elements.begin() + elementIndex(idiom, *agg));
  idiom.mutated(*agg);
  return true;
}

} // namespace

const IdiomTable &listIdioms() {
  static const IdiomTable table = {
      {aten::len, structureLength},
      {aten::__getitem__, getItem},
      {aten::_set_item, setItem},
      {aten::append, append},
      {aten::insert, insert},
      {aten::pop, pop},
      {aten::clear, structureClear},
      {Symbol::fromQualString("aten::extend"), extend},
      {aten::add, concatenate},
      {aten::add_, concatenate},
      {aten::list, copy},
      {aten::copy, copy},
      {aten::slice, slice},
      {aten::sort, sort},
      {Symbol::fromQualString("aten::sorted"), sort},
      {Symbol::fromQualString("aten::reverse"), reverse},
      {Symbol::fromQualString("aten::Delete"), erase},
  };
  return table;
}

} // namespace s2t
