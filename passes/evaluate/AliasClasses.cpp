//===- passes/evaluate/AliasClasses.cpp - Which values share memory -------===//
//
// See AliasClasses.h. Classes are merged smaller into larger; find compresses
// paths.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/AliasClasses.h"

#include "passes/evaluate/MetaValues.h"

#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>

namespace s2t {
namespace evaluate {

using namespace torch::jit;

namespace {

void collectAliasSets(const c10::AliasInfo *info, std::vector<Symbol> &sets,
                      bool &wildcard) {
  if (!info)
    return;
  for (const Symbol &set : info->beforeSets()) {
    if (set == c10::AliasInfo::wildcardSet())
      wildcard = true;
    else
      sets.push_back(set);
  }
  for (const c10::AliasInfo &contained : info->containedTypes())
    collectAliasSets(&contained, sets, wildcard);
}

} // namespace

const Value *AliasClasses::find(const Value *value) {
  auto it = parent_.find(value);
  if (it == parent_.end())
    return value;
  const Value *root = find(it->second);
  it->second = root;
  return root;
}

void AliasClasses::unite(Value *a, Value *b) {
  const Value *ra = find(a), *rb = find(b);
  if (ra == rb)
    return;
  auto &ma = membersOf(ra), &mb = membersOf(rb);
  if (ma.size() < mb.size()) {
    std::swap(ra, rb);
  }
  auto &big = members_[ra], &small = members_[rb];
  big.insert(big.end(), small.begin(), small.end());
  members_.erase(rb);
  auto &bigWriters = writers_[ra];
  auto smallWriters = writers_.find(rb);
  if (smallWriters != writers_.end()) {
    bigWriters.insert(bigWriters.end(), smallWriters->second.begin(),
                      smallWriters->second.end());
    writers_.erase(smallWriters);
  }
  parent_[rb] = ra;
}

std::vector<Value *> &AliasClasses::membersOf(const Value *root) {
  auto &list = members_[root];
  if (list.empty())
    list.push_back(const_cast<Value *>(root));
  return list;
}

const std::vector<Node *> *AliasClasses::writersOf(const Value *value) {
  auto it = writers_.find(find(value));
  return it == writers_.end() ? nullptr : &it->second;
}

std::vector<size_t> AliasClasses::addNode(Node *node,
                                          const FunctionSchema *schema) {
  if (!schema) {
    Value *first = nullptr;
    for (Value *value : node->inputs())
      if (containsTensor(value->type()))
        first ? unite(first, value) : void(first = value);
    for (Value *value : node->outputs())
      if (containsTensor(value->type()))
        first ? unite(first, value) : void(first = value);
    return {};
  }
  const auto &arguments = schema->arguments();
  const auto &returns = schema->returns();
  for (size_t o = 0; o < node->outputs().size() && o < returns.size(); ++o) {
    std::vector<Symbol> outSets;
    bool outWildcard = false;
    collectAliasSets(returns[o].alias_info(), outSets, outWildcard);
    if (outSets.empty() && !outWildcard)
      continue;
    for (size_t i = 0; i < node->inputs().size() && i < arguments.size(); ++i) {
      std::vector<Symbol> inSets;
      bool inWildcard = false;
      collectAliasSets(arguments[i].alias_info(), inSets, inWildcard);
      bool shared = outWildcard || inWildcard;
      for (const Symbol &set : inSets)
        shared |=
            std::find(outSets.begin(), outSets.end(), set) != outSets.end();
      if (shared && (!inSets.empty() || inWildcard))
        unite(node->output(o), node->input(i));
    }
  }
  std::vector<size_t> written;
  for (size_t i = 0; i < node->inputs().size() && i < arguments.size(); ++i) {
    const c10::AliasInfo *alias = arguments[i].alias_info();
    if (alias && alias->isWrite()) {
      written.push_back(i);
      writers_[find(node->input(i))].push_back(node);
    }
  }
  return written;
}

} // namespace evaluate
} // namespace s2t
