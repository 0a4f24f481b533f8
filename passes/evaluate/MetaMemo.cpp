//===- passes/evaluate/MetaMemo.cpp - Meta outputs reused -----------------===//
//
// See MetaMemo.h. A key is the schema and the arguments flattened into
// words: a tag per argument, then its contents (a tensor's dtype, sizes,
// strides, storage offset and requires_grad; a number's bits; a string's
// bytes), after the grad mode.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaMemo.h"

#include "passes/evaluate/MetaValues.h"

#include <ATen/EmptyTensor.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/hash.h>

#include <algorithm>
#include <cstring>

namespace s2t {
namespace evaluate {

using c10::IValue;

namespace {

enum Tag : int64_t {
  TensorTag = 1,
  UndefinedTensorTag,
  IntTag,
  DoubleTag,
  BoolTag,
  NoneTag,
  StringTag,
  IntListTag,
  DoubleListTag,
  BoolListTag,
  DeviceTag,
  TensorListTag,
};

int64_t bitsOf(double value) {
  int64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

/// Appends a meta tensor's metadata to `words`; false for a tensor of
/// another device or layout (its kernel may read its data).
bool appendTensor(const at::Tensor &tensor, std::vector<int64_t> &words) {
  if (!tensor.defined()) {
    words.push_back(UndefinedTensorTag);
    return true;
  }
  if (!tensor.is_meta() || tensor.layout() != c10::kStrided)
    return false;
  words.push_back(TensorTag);
  words.push_back(static_cast<int64_t>(tensor.scalar_type()));
  words.push_back(tensor.requires_grad() | tensor.is_conj() << 1 |
                  tensor.is_neg() << 2);
  words.push_back(tensor.dim());
  for (int64_t size : tensor.sizes())
    words.push_back(size);
  for (int64_t stride : tensor.strides())
    words.push_back(stride);
  words.push_back(tensor.storage_offset());
  return true;
}

/// Appends a list of numbers: its tag, its length, a word per element.
template <typename ToWord>
bool appendList(Tag tag, const IValue &list, std::vector<int64_t> &words,
                ToWord toWord) {
  c10::ArrayRef<IValue> elements = list.toListRef();
  words.push_back(tag);
  words.push_back(static_cast<int64_t>(elements.size()));
  for (const IValue &element : elements)
    words.push_back(toWord(element));
  return true;
}

bool appendValue(const IValue &value, std::vector<int64_t> &words) {
  if (value.isTensor())
    return appendTensor(value.toTensor(), words);
  if (value.isInt()) {
    words.push_back(IntTag);
    words.push_back(value.toInt());
    return true;
  }
  if (value.isDouble()) {
    words.push_back(DoubleTag);
    words.push_back(bitsOf(value.toDouble()));
    return true;
  }
  if (value.isBool()) {
    words.push_back(BoolTag);
    words.push_back(value.toBool());
    return true;
  }
  if (value.isNone()) {
    words.push_back(NoneTag);
    return true;
  }
  if (value.isString()) {
    const std::string &text = value.toStringRef();
    words.push_back(StringTag);
    words.push_back(static_cast<int64_t>(text.size()));
    for (size_t i = 0; i < text.size(); i += sizeof(int64_t)) {
      int64_t word = 0;
      std::memcpy(&word, text.data() + i,
                  std::min(sizeof(int64_t), text.size() - i));
      words.push_back(word);
    }
    return true;
  }
  if (value.isDevice()) {
    words.push_back(DeviceTag);
    words.push_back(static_cast<int64_t>(value.toDevice().type()));
    words.push_back(value.toDevice().index());
    return true;
  }
  if (value.isIntList())
    return appendList(IntListTag, value, words,
                      [](const IValue &e) { return e.toInt(); });
  if (value.isDoubleList())
    return appendList(DoubleListTag, value, words,
                      [](const IValue &e) { return bitsOf(e.toDouble()); });
  if (value.isBoolList())
    return appendList(BoolListTag, value, words, [](const IValue &e) {
      return static_cast<int64_t>(e.toBool());
    });
  if (value.isTensorList()) {
    words.push_back(TensorListTag);
    c10::ArrayRef<IValue> elements = value.toListRef();
    words.push_back(static_cast<int64_t>(elements.size()));
    for (const IValue &element : elements)
      if (!appendTensor(element.toTensor(), words))
        return false;
    return true;
  }
  return false;
}

/// Whether `output` and a tensor on `inputs` share storage.
bool sharesStorage(const at::Tensor &output, const torch::jit::Stack &inputs) {
  const c10::StorageImpl *storage = output.storage().unsafeGetStorageImpl();
  bool shared = false;
  for (const IValue &input : inputs)
    forEachTensor(input, [&](const at::Tensor &tensor) {
      shared = shared || (tensor.defined() && tensor.has_storage() &&
                          tensor.storage().unsafeGetStorageImpl() == storage);
    });
  return shared;
}

} // namespace

size_t MetaMemo::KeyHash::operator()(const Key &key) const {
  size_t hash = std::hash<const void *>()(key.schema);
  for (int64_t word : key.words)
    hash = c10::hash_combine(hash, std::hash<int64_t>()(word));
  return hash;
}

bool MetaMemo::takes(const c10::FunctionSchema &schema) {
  auto [it, added] = takes_.try_emplace(&schema, false);
  if (!added)
    return it->second;
  if (schema.is_vararg() || schema.is_varret() || schema.returns().empty())
    return false;
  for (const c10::Argument &ret : schema.returns())
    if (ret.type()->kind() != c10::TypeKind::TensorType || ret.alias_info())
      return false;
  for (const c10::Argument &argument : schema.arguments())
    if (argument.alias_info() && argument.alias_info()->isWrite())
      return false;
  return it->second = true;
}

c10::optional<MetaMemo::Key>
MetaMemo::keyOf(const c10::FunctionSchema &schema,
                const torch::jit::Stack &stack) {
  Key key{&schema, {}};
  key.words.reserve(4 + 8 * stack.size());
  key.words.push_back(at::GradMode::is_enabled());
  for (const IValue &value : stack)
    if (!appendValue(value, key.words))
      return c10::nullopt;
  return key;
}

c10::optional<torch::jit::Stack>
MetaMemo::find(const c10::FunctionSchema &schema,
               const torch::jit::Stack &stack) {
  if (outputs_.empty() || !takes(schema))
    return c10::nullopt;
  c10::optional<Key> key = keyOf(schema, stack);
  if (!key)
    return c10::nullopt;
  auto it = outputs_.find(*key);
  if (it == outputs_.end())
    return c10::nullopt;
  torch::jit::Stack result;
  result.reserve(it->second.size());
  for (const Output &output : it->second) {
    if (!output.defined) {
      result.emplace_back(at::Tensor());
      continue;
    }
    at::Tensor tensor = at::detail::empty_strided_meta(
        output.sizes, output.strides, output.dtype, c10::nullopt,
        c10::nullopt, c10::nullopt);
    result.emplace_back(output.requiresGrad
                            ? asComputedRequiringGrad(std::move(tensor))
                            : std::move(tensor));
  }
  return result;
}

void MetaMemo::remember(const c10::FunctionSchema &schema,
                        const torch::jit::Stack &inputs,
                        const torch::jit::Stack &outputs) {
  if (!takes(schema) || outputs.size() != schema.returns().size())
    return;
  std::vector<Output> remembered;
  std::vector<const c10::StorageImpl *> storages;
  for (const IValue &value : outputs) {
    if (!value.isTensor())
      return;
    const at::Tensor &tensor = value.toTensor();
    Output output;
    if (tensor.defined()) {
      // A fresh meta tensor stands for new memory, and for a computed
      // tensor where it requires grad; anything else is left to the kernel.
      if (!tensor.is_meta() || tensor.layout() != c10::kStrided ||
          tensor.storage_offset() != 0 || tensor.is_conj() ||
          tensor.is_neg() || (tensor.requires_grad() && tensor.is_leaf()) ||
          sharesStorage(tensor, inputs))
        return;
      // Outputs of one memory each (a kernel may return one tensor twice).
      const c10::StorageImpl *storage = tensor.storage().unsafeGetStorageImpl();
      if (std::find(storages.begin(), storages.end(), storage) !=
          storages.end())
        return;
      storages.push_back(storage);
      output.defined = true;
      output.sizes = tensor.sizes().vec();
      output.strides = tensor.strides().vec();
      output.dtype = tensor.scalar_type();
      output.requiresGrad = tensor.requires_grad();
    }
    remembered.push_back(std::move(output));
  }
  if (c10::optional<Key> key = keyOf(schema, inputs))
    outputs_.emplace(std::move(*key), std::move(remembered));
}

} // namespace evaluate
} // namespace s2t
