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
    Signature signature{flat->kind(), {}, flat->maybeSchema()};
    for (const torch::jit::Value *input : flat->inputs())
      signature.inputs.push_back(input->type());
    known = bucket.insert(bucket.end(), std::move(signature));
  }
  if (!flat->outputs().empty())
    byOutput_[flat->output(0)] = known->schema;
  return known->schema;
}

const c10::FunctionSchema *
FlatSchemas::schemaOf(const torch::jit::Node *node) const {
  if (!node->outputs().empty())
    if (const c10::FunctionSchema *const *known =
            byOutput_.find(node->output(0)))
      return *known;
  return node->maybeSchema();
}

} // namespace s2t
