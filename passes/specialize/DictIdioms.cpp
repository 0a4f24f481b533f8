//===- passes/specialize/DictIdioms.cpp - Dict operations from structure --===//
//
// The table of operations on a dict answered from its abstract entries, kept
// in insertion order as Python's: len, `d[k]`, `d[k] = v`, pop, clear,
// keys / values / items, get, `in`, update, `del d[k]` and setdefault. Keys
// are decided on the sample (a key that depends on the inputs is recorded as
// a decision and, with --guards, checked).
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Idioms.h"

#include <torch/csrc/jit/ir/ir.h>

namespace s2t {

using namespace torch::jit;

namespace {

/// The entry of the key in input 1, failing when the dict has none.
int64_t entryOf(const Idiom &idiom, const Aggregate &agg) {
  int64_t at = agg.find(idiom.key(1));
  if (at < 0)
    idiom.fail("key not found in dict on the sample");
  return at;
}

bool getItem(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t at = entryOf(idiom, *agg);
  idiom.out(withDep(agg->elements[at], idiom.in(1).dep));
  return true;
}

bool setItem(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  agg->set(idiom.key(1), idiom.in(2));
  idiom.mutated(*agg);
  if (idiom.node->outputs().size() == 1)
    idiom.out(idiom.in(0));
  return true;
}

void eraseEntry(Aggregate &agg, int64_t at) {
  agg.elements.erase(agg.elements.begin() + at);
  agg.keys.erase(agg.keys.begin() + at);
}

bool pop(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t at = agg->find(idiom.key(1));
  if (at < 0) {
    if (idiom.inputCount() < 3)
      idiom.fail("key not found in dict on the sample");
    idiom.out(idiom.in(2));
    return true;
  }
  idiom.out(agg->elements[at]);
  eraseEntry(*agg, at);
  idiom.mutated(*agg);
  return true;
}

/// d.keys(), d.values(), d.items(): new lists.
bool view(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  auto list = idiom.fresh(Aggregate::List);
  list->dep = std::max(list->dep, agg->dep);
  Symbol kind = idiom.node->kind();
  TypePtr itemType =
      idiom.node->output()->type()->expectRef<ListType>().getElementType();
  for (size_t i = 0; i < agg->keys.size(); ++i) {
    AV key = idiom.s.fromIValue(agg->keys[i], agg->dep);
    if (kind == aten::keys) {
      list->elements.push_back(key);
    } else if (kind == aten::values) {
      list->elements.push_back(agg->elements[i]);
    } else {
      auto item = std::make_shared<Aggregate>(Aggregate::Tuple, itemType);
      item->elements = {key, agg->elements[i]};
      list->elements.push_back(
          AV::aggregate(std::move(item), DecisionCategory::Constant));
    }
  }
  idiom.out(std::move(list));
  return true;
}

bool get(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t at = agg->find(idiom.key(1));
  if (at >= 0)
    idiom.out(agg->elements[at]);
  else if (idiom.inputCount() > 2)
    idiom.out(idiom.in(2));
  else
    idiom.out(AV::constant(IValue(), agg->dep));
  return true;
}

/// `k in d`.
bool contains(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  int64_t at = agg->find(idiom.key(1));
  idiom.out(AV::constant(IValue(at >= 0), std::max(agg->dep, idiom.in(1).dep)));
  return true;
}

bool update(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  auto other = idiom.structure(1);
  for (size_t i = 0; i < other->keys.size(); ++i)
    agg->set(other->keys[i], other->elements[i]);
  idiom.mutated(*agg, other->dep);
  return true;
}

/// `del d[k]`.
bool erase(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  eraseEntry(*agg, entryOf(idiom, *agg));
  idiom.mutated(*agg);
  return true;
}

bool setDefault(const Idiom &idiom) {
  auto agg = idiom.structure(0);
  IValue key = idiom.key(1);
  int64_t at = agg->find(key);
  if (at < 0) {
    at = static_cast<int64_t>(agg->set(key, idiom.in(2)));
    idiom.mutated(*agg);
  }
  idiom.out(agg->elements[at]);
  return true;
}

} // namespace

const IdiomTable &dictIdioms() {
  static const IdiomTable table = {
      {aten::len, structureLength},
      {aten::__getitem__, getItem},
      {aten::_set_item, setItem},
      {aten::pop, pop},
      {aten::clear, structureClear},
      {aten::keys, view},
      {aten::values, view},
      {Symbol::fromQualString("aten::items"), view},
      {Symbol::fromQualString("aten::get"), get},
      {aten::__contains__, contains},
      {Symbol::fromQualString("aten::update"), update},
      {Symbol::fromQualString("aten::Delete"), erase},
      {aten::setdefault, setDefault},
  };
  return table;
}

} // namespace s2t
