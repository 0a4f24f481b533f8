//===- passes/evaluate/AttributeCopies.h - Copy on write for kernels -*- C++ -*-===//
//
// Kernels run on the sample write in place to what the graph writes to
// (`self.count += 1`): that must change neither the module the flat graph is
// saved with nor a LibTorch caller's module. The evaluator's tensors for a
// module's parameters and buffers are its own (new tensors on the module's
// memory), and share that memory until a kernel is about to write to it:
// then the memory is copied, once per storage, and every tensor of the
// evaluator on it (the attribute itself, and the views kernels made of it)
// is moved to the copy. A model whose kernels only read its parameters (a
// detector's data decisions) copies nothing; copying ~80 MB of parameters
// costs ~0.3 s of page faults on these machines.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include <unordered_map>
#include <vector>

namespace s2t {
namespace evaluate {

class AttributeCopies {
public:
  /// The evaluator's own tensors for the attribute `value` (every tensor in
  /// it): on the module's memory until beforeWrite copies it.
  c10::IValue share(const c10::IValue &value);
  /// Notes the tensors of a kernel's result `value` that are on a shared
  /// attribute's memory (a view of a parameter), to be moved with it.
  void noteResult(const c10::IValue &value);
  /// Before a kernel writes to `value`: copies the attribute memory that its
  /// tensors are on, and moves every tensor noted on it to the copy.
  void beforeWrite(const c10::IValue &value);
  /// Whether any tensor is on an attribute's memory not yet copied.
  bool sharesMemory() const { return sharedStorages_ != 0; }
  /// Bytes copied so far.
  size_t bytesCopied() const { return bytesCopied_; }

private:
  at::Tensor share(const at::Tensor &tensor);

  struct Storage {
    c10::Storage original; ///< kept alive: its address is the key
    c10::Storage copy;     ///< once written
    /// The evaluator's tensors on `original`, until it is copied.
    std::vector<c10::weak_intrusive_ptr<c10::TensorImpl,
                                        c10::UndefinedTensorImpl>>
        holders;
  };
  /// The attribute storage `tensor` is on, if not copied yet; else null.
  Storage *sharedStorageOf(const at::Tensor &tensor);
  void copy(Storage &storage);

  std::unordered_map<const c10::StorageImpl *, Storage> storages_;
  size_t sharedStorages_ = 0; ///< of storages_, those not copied
  size_t bytesCopied_ = 0;
};

} // namespace evaluate
} // namespace s2t
