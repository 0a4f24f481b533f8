//===- ir/FlatSchemas.cpp - Operator matches, made once -------------------===//
//
// See FlatSchemas.h.
//
//===----------------------------------------------------------------------===//

#include "ir/FlatSchemas.h"

#include <c10/util/hash.h>

namespace s2t {

// Types are compared by identity: an equal type of another object (two
// Optional[Tensor]s made apart) is matched once more, which costs a match
// and changes nothing. The signature holds its types, so that no address is
// taken by another type while it is a key.
bool FlatSchemas::Signature::operator==(const Signature &other) const {
  return kind == other.kind && inputs == other.inputs;
}

size_t FlatSchemas::SignatureHash::operator()(const Signature &s) const {
  size_t hash = std::hash<c10::Symbol>()(s.kind);
  for (const c10::TypePtr &type : s.inputs)
    hash = c10::hash_combine(hash, std::hash<const void *>()(type.get()));
  return hash;
}

const c10::FunctionSchema *FlatSchemas::match(const torch::jit::Node *flat) {
  Signature signature{flat->kind(), {}};
  signature.inputs.reserve(flat->inputs().size());
  for (const torch::jit::Value *input : flat->inputs())
    signature.inputs.push_back(input->type());
  auto [it, added] = matches_.try_emplace(std::move(signature), nullptr);
  if (added)
    it->second = flat->maybeSchema();
  if (!flat->outputs().empty())
    byOutput_[flat->output(0)] = it->second;
  return it->second;
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
