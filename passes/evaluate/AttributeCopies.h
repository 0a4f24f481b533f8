//===- passes/evaluate/AttributeCopies.h - Copies for kernels -*- C++ -*-===//
//
// Kernels run on the sample write in place to what the graph writes to
// (`self.count += 1`): that must change neither the module the flat graph is
// saved with nor a LibTorch caller's module. The evaluator gives kernels
// copies of a module's parameters and buffers, made on their first real use
// (a classifier whose decisions are all on shapes copies nothing). Attributes
// that share memory share it in their copies too: one copy per storage.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include <unordered_map>

namespace s2t {
namespace evaluate {

class AttributeCopies {
public:
  /// `value` with every tensor in it replaced by its copy.
  c10::IValue copy(const c10::IValue &value);
  at::Tensor copy(const at::Tensor &tensor);
  /// Bytes copied so far.
  size_t bytesCopied() const { return bytesCopied_; }

private:
  std::unordered_map<const c10::StorageImpl *, c10::Storage> storages_;
  size_t bytesCopied_ = 0;
};

} // namespace evaluate
} // namespace s2t
