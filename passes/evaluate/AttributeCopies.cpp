//===- passes/evaluate/AttributeCopies.cpp - Copy on write for kernels ----===//
//
// See AttributeCopies.h.
//
//===----------------------------------------------------------------------===//

#include "passes/evaluate/AttributeCopies.h"

#include "passes/evaluate/MetaValues.h"

#include <ATen/ops/empty.h>

namespace s2t {
namespace evaluate {

namespace {

/// A new tensor with `tensor`'s metadata on `storage`.
at::Tensor onStorage(const at::Tensor &tensor, const c10::Storage &storage) {
  at::Tensor result = at::empty({0}, tensor.options())
                          .set_(storage, tensor.storage_offset(),
                                tensor.sizes(), tensor.strides());
  return tensor.requires_grad() ? result.requires_grad_(true) : result;
}

bool isOnStorage(const at::Tensor &tensor) {
  return tensor.defined() && tensor.layout() == c10::kStrided &&
         !tensor.is_quantized() && tensor.has_storage();
}

} // namespace

at::Tensor AttributeCopies::share(const at::Tensor &tensor) {
  if (!tensor.defined())
    return tensor;
  if (!isOnStorage(tensor)) {
    // No storage to share and move (sparse, quantized): a copy at once.
    at::Tensor copy = tensor.detach().clone();
    return tensor.requires_grad() ? copy.requires_grad_(true) : copy;
  }
  const c10::Storage &original = tensor.storage();
  auto [it, added] = storages_.try_emplace(original.unsafeGetStorageImpl());
  Storage &storage = it->second;
  if (added) {
    storage.original = original;
    ++sharedStorages_;
  }
  if (storage.copy)
    return onStorage(tensor, storage.copy);
  at::Tensor shared = onStorage(tensor, original);
  storage.holders.emplace_back(shared.getIntrusivePtr());
  return shared;
}

c10::IValue AttributeCopies::share(const c10::IValue &value) {
  if (value.isTensor())
    return share(value.toTensor());
  if (value.isList()) {
    c10::impl::GenericList list(value.toList().elementType());
    for (c10::IValue element : value.toList()) // elements are proxies
      list.push_back(share(element));
    return list;
  }
  if (value.isTuple()) {
    std::vector<c10::IValue> elements;
    for (const c10::IValue &element : value.toTupleRef().elements())
      elements.push_back(share(element));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (value.isGenericDict()) {
    c10::impl::GenericDict dict(value.toGenericDict().keyType(),
                                value.toGenericDict().valueType());
    for (const auto &entry : value.toGenericDict())
      dict.insert(entry.key(), share(entry.value()));
    return dict;
  }
  return value;
}

AttributeCopies::Storage *
AttributeCopies::sharedStorageOf(const at::Tensor &tensor) {
  if (!isOnStorage(tensor))
    return nullptr;
  auto it = storages_.find(tensor.storage().unsafeGetStorageImpl());
  return it == storages_.end() || it->second.copy ? nullptr : &it->second;
}

void AttributeCopies::noteResult(const c10::IValue &value) {
  if (!sharesMemory())
    return;
  forEachTensor(value, [&](const at::Tensor &tensor) {
    if (Storage *storage = sharedStorageOf(tensor))
      storage->holders.emplace_back(tensor.getIntrusivePtr());
  });
}

void AttributeCopies::beforeWrite(const c10::IValue &value) {
  if (!sharesMemory())
    return;
  forEachTensor(value, [&](const at::Tensor &tensor) {
    if (Storage *storage = sharedStorageOf(tensor))
      copy(*storage);
  });
}

void AttributeCopies::copy(Storage &storage) {
  // All of the storage, byte for byte, so that views of it at any offset and
  // of any dtype find their elements where they were.
  const c10::Storage &original = storage.original;
  at::Tensor bytes =
      at::empty({0}, at::TensorOptions(original.device()).dtype(at::kByte))
          .set_(original, 0, {static_cast<int64_t>(original.nbytes())}, {1});
  storage.copy = bytes.clone().storage();
  bytesCopied_ += original.nbytes();
  --sharedStorages_;
  for (auto &holder : storage.holders) {
    auto tensor = holder.lock();
    if (!tensor || tensor->storage().unsafeGetStorageImpl() !=
                       original.unsafeGetStorageImpl())
      continue;
    // Moved in place: every value holding this tensor sees the copy.
    bool allowed = tensor->allow_tensor_metadata_change();
    tensor->set_allow_tensor_metadata_change(true);
    tensor->set_storage_keep_dtype(storage.copy);
    tensor->set_allow_tensor_metadata_change(allowed);
  }
  storage.holders.clear();
}

} // namespace evaluate
} // namespace s2t
