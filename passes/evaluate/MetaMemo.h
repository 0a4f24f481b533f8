//===- passes/evaluate/MetaMemo.h - Meta outputs reused ---------*- C++ -*-===//
//
// A meta kernel computes its outputs' metadata from its inputs' metadata and
// nothing else: the same operator on inputs of the same sizes, strides,
// dtypes and requires_grad, with the same other arguments, in the same grad
// mode, gives outputs of the same metadata. MetaMemo remembers what a
// dispatched meta kernel gave and gives it again, as fresh meta tensors, for
// the next such call: maxvit's 44 einsums, of 8 signatures, dispatch 8 times.
//
// Only where a fresh tensor is an exact stand-in for the kernel's output:
// operators whose schema returns tensors that alias no input and writes no
// input, called on meta tensors (no data a kernel could read), whose outputs
// are new memory (no storage of an input) at offset 0, each a computed
// tensor where it requires grad. Arguments of other types (objects,
// dictionaries, generic lists) are not remembered.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace s2t {
namespace evaluate {

class MetaMemo {
public:
  /// The outputs remembered for `schema` on the meta inputs `stack`, as
  /// fresh meta tensors, or None.
  c10::optional<torch::jit::Stack> find(const c10::FunctionSchema &schema,
                                        const torch::jit::Stack &stack);
  /// Remembers that `schema`'s meta kernel gave `outputs` on `inputs`,
  /// where the two can stand for each other (see above).
  void remember(const c10::FunctionSchema &schema,
                const torch::jit::Stack &inputs,
                const torch::jit::Stack &outputs);

private:
  /// One output: undefined, or its sizes, strides, dtype, requires_grad.
  struct Output {
    bool defined = false;
    std::vector<int64_t> sizes, strides;
    at::ScalarType dtype = at::kFloat;
    bool requiresGrad = false;
  };
  struct Key {
    const c10::FunctionSchema *schema;
    std::vector<int64_t> words; ///< the arguments, flattened
    bool operator==(const Key &other) const {
      return schema == other.schema && words == other.words;
    }
  };
  struct KeyHash {
    size_t operator()(const Key &key) const;
  };

  /// Whether `schema` returns tensors only, none of them an alias of an
  /// argument, and writes no argument (cached per schema).
  bool takes(const c10::FunctionSchema &schema);
  /// The key of `schema` on `stack`, or None where an argument is of a
  /// type not remembered or a tensor is not on the meta device.
  static c10::optional<Key> keyOf(const c10::FunctionSchema &schema,
                                  const torch::jit::Stack &stack);

  std::unordered_map<const c10::FunctionSchema *, bool> takes_;
  std::unordered_map<Key, std::vector<Output>, KeyHash> outputs_;
};

} // namespace evaluate
} // namespace s2t
