//===- ir/ValueTable.h - Facts per value, in flat arrays --------*- C++ -*-===//
//
// Maps and sets of the values of one graph, stored in arrays indexed by
// Value::unique(): a graph numbers its values (blocks included) from 0 and
// never reuses a number, so per-value facts (the evaluator's, the clean-up's
// liveness) need no hashing and no allocation per value.
//
//===----------------------------------------------------------------------===//

#pragma once

#include <c10/util/Exception.h>
#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace s2t {

/// Facts of type T per value. Entries live in chunks that never move: a
/// reference stays valid while others are added, as in a node-based map.
template <typename T> class ValueTable {
public:
  /// The entry of `value`, or null if it has none.
  T *find(const torch::jit::Value *value) {
    Slot *slot = slotOf(value, /*grow=*/false);
    return slot && slot->present ? &slot->item : nullptr;
  }

  /// The entry of `value`, or null if it has none; a value of another graph
  /// than the one whose values the table holds has none.
  const T *find(const torch::jit::Value *value) const {
    size_t index = value->unique();
    size_t chunk = index >> kChunkBits;
    if (value->owningGraph() != graph_ || chunk >= chunks_.size() ||
        !chunks_[chunk])
      return nullptr;
    const Slot &slot = (*chunks_[chunk])[index & (kChunkSize - 1)];
    return slot.present ? &slot.item : nullptr;
  }

  /// The entry of `value`, made (value-initialized) if it has none.
  T &operator[](const torch::jit::Value *value) {
    Slot *slot = slotOf(value, /*grow=*/true);
    if (!slot->present) {
      // The numbers are one graph's: a value of another would share them.
      // (Checked where an entry is made: every value the table is asked
      // about is one it was given.)
      const torch::jit::Graph *graph = value->owningGraph();
      if (!graph_)
        graph_ = graph;
      TORCH_INTERNAL_ASSERT(graph == graph_,
                            "a ValueTable holds the values of one graph");
      slot->present = true;
    }
    return slot->item;
  }

private:
  static constexpr size_t kChunkBits = 10;
  static constexpr size_t kChunkSize = size_t(1) << kChunkBits;
  struct Slot {
    T item{};
    bool present = false;
  };
  using Chunk = std::array<Slot, kChunkSize>;

  Slot *slotOf(const torch::jit::Value *value, bool grow) {
    size_t index = value->unique();
    size_t chunk = index >> kChunkBits;
    if (chunk >= chunks_.size()) {
      if (!grow)
        return nullptr;
      chunks_.resize(chunk + 1);
    }
    if (!chunks_[chunk]) {
      if (!grow)
        return nullptr;
      chunks_[chunk] = std::make_unique<Chunk>();
    }
    return &(*chunks_[chunk])[index & (kChunkSize - 1)];
  }

  const torch::jit::Graph *graph_ = nullptr;
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

/// A set of the values of one graph: a bit per value number.
class ValueSet {
public:
  bool count(const torch::jit::Value *value) const {
    size_t index = value->unique();
    return index < bits_.size() && bits_[index];
  }
  void insert(const torch::jit::Value *value) {
    size_t index = value->unique();
    if (index >= bits_.size())
      bits_.resize(std::max(index + 1, 2 * bits_.size()));
    bits_[index] = true;
  }
  template <typename Values> void insertAll(const Values &values) {
    for (const torch::jit::Value *value : values)
      insert(value);
  }

private:
  std::vector<bool> bits_;
};

} // namespace s2t
