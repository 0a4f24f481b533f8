//===- ir/FlatSchemas.cpp - Operator matches, made once -------------------===//
//
// See FlatSchemas.h.
//
//===----------------------------------------------------------------------===//

#include "ir/FlatSchemas.h"

#include <c10/util/hash.h>

#include <algorithm>

namespace s2t {

const c10::FunctionSchema *FlatSchemas::match(const torch::jit::Node *flat) {
  size_t hash = std::hash<c10::Symbol>()(flat->kind());
  for (const torch::jit::Value *input : flat->inputs())
    hash = c10::hash_combine(hash,
                             std::hash<const void *>()(input->type().get()));
  auto sameSignature = [&](const Signature &signature) {
    if (signature.kind != flat->kind() ||
        signature.inputs.size() != flat->inputs().size())
      return false;
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      if (signature.inputs[i].get() != flat->input(i)->type().get())
        return false;
    return true;
  };
  std::vector<Signature> &bucket = matches_[hash];
  auto known = std::find_if(bucket.begin(), bucket.end(), sameSignature);
  if (known == bucket.end()) {
    // The node keeps the operator it matched: asking it for side effects
    // matches nothing again. Without a match, it is left to ask later.
    Match match{flat->maybeSchema(), false};
    match.sideEffects = match.schema && flat->hasSideEffects();
    Signature signature{flat->kind(), {}, match};
    for (const torch::jit::Value *input : flat->inputs())
      signature.inputs.push_back(input->type());
    known = bucket.insert(bucket.end(), std::move(signature));
  }
  if (!flat->outputs().empty())
    byOutput_[flat->output(0)] = known->match;
  return known->match.schema;
}

const c10::FunctionSchema *
FlatSchemas::schemaOf(const torch::jit::Node *node) const {
  if (!node->outputs().empty())
    if (const Match *known = byOutput_.find(node->output(0)))
      return known->schema;
  return node->maybeSchema();
}

bool FlatSchemas::hasSideEffects(const torch::jit::Node *node) const {
  if (!node->outputs().empty())
    if (const Match *known = byOutput_.find(node->output(0));
        known && known->schema)
      return known->sideEffects;
  return node->hasSideEffects();
}

} // namespace s2t
