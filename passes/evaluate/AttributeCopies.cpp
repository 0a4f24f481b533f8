//===- passes/evaluate/AttributeCopies.cpp - Copies kernels may write -----===//
//
// See AttributeCopies.h.
//
//===----------------------------------------------------------------------===//

#include "passes/evaluate/AttributeCopies.h"

#include <ATen/ops/empty.h>

namespace s2t {
namespace evaluate {

at::Tensor AttributeCopies::copy(const at::Tensor &tensor) {
  if (!tensor.defined())
    return tensor;
  if (tensor.layout() != c10::kStrided || tensor.is_quantized() ||
      !tensor.has_storage()) {
    at::Tensor copy = tensor.detach().clone();
    return tensor.requires_grad() ? copy.requires_grad_(true) : copy;
  }
  const c10::Storage &storage = tensor.storage();
  auto [it, added] = storages_.try_emplace(storage.unsafeGetStorageImpl());
  if (added) {
    // All of the storage, byte for byte, so that views of it at any offset
    // and of any dtype find their elements where they were.
    at::Tensor bytes =
        at::empty({0}, tensor.options().dtype(at::kByte))
            .set_(storage, 0, {static_cast<int64_t>(storage.nbytes())}, {1});
    it->second = bytes.clone().storage();
    bytesCopied_ += storage.nbytes();
  }
  at::Tensor copy = at::empty({0}, tensor.options())
                        .set_(it->second, tensor.storage_offset(),
                              tensor.sizes(), tensor.strides());
  return tensor.requires_grad() ? copy.requires_grad_(true) : copy;
}

c10::IValue AttributeCopies::copy(const c10::IValue &value) {
  if (value.isTensor())
    return copy(value.toTensor());
  if (value.isList()) {
    c10::impl::GenericList list(value.toList().elementType());
    for (c10::IValue element : value.toList()) // elements are proxies
      list.push_back(copy(element));
    return list;
  }
  if (value.isTuple()) {
    std::vector<c10::IValue> elements;
    for (const c10::IValue &element : value.toTupleRef().elements())
      elements.push_back(copy(element));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (value.isGenericDict()) {
    c10::impl::GenericDict dict(value.toGenericDict().keyType(),
                                value.toGenericDict().valueType());
    for (const auto &entry : value.toGenericDict())
      dict.insert(entry.key(), copy(entry.value()));
    return dict;
  }
  return value;
}

} // namespace evaluate
} // namespace s2t
