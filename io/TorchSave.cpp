//===- io/TorchSave.cpp - Reading values written by torch.save ------------===//
//
// The pickle walk that rewrites APPEND / SETITEM and refuses what LibTorch's
// unpickler would not check, the storage checks of tensors, and the reader of
// torch.save's zip format on top of them.
//
//===----------------------------------------------------------------------===//

#include "io/TorchSave.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <ATen/core/ivalue.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace s2t {

namespace {

/// One walk over a pickle's opcodes that keeps, for each stack item, the
/// offset of the opcode that began it, so that a MARK can be put in front of
/// an item that APPEND or SETITEM adds; then the rewritten pickle.
class AppendRewriter {
public:
  explicit AppendRewriter(const std::string &pickle) : pickle_(pickle) {}

  /// Walks the whole pickle; false if it meets an opcode it does not know.
  bool walk() {
    while (pos_ < pickle_.size()) {
      size_t at = pos_;
      if (!step(static_cast<unsigned char>(pickle_[pos_++]), at))
        return false;
    }
    return true;
  }

  /// The pickle with the edits of the walk: a MARK before each added item,
  /// and each APPEND / SETITEM made an APPENDS / SETITEMS.
  std::string rewritten() const {
    if (replaceAt_.empty())
      return pickle_;
    std::vector<std::pair<size_t, char>> edits; // (offset, 0 = insert MARK)
    for (size_t offset : insertMarkAt_)
      edits.emplace_back(offset, 0);
    for (const auto &replacement : replaceAt_)
      edits.push_back(replacement);
    std::sort(edits.begin(), edits.end());
    std::string result;
    result.reserve(pickle_.size() + edits.size());
    size_t copied = 0;
    for (const auto &[offset, kind] : edits) {
      result.append(pickle_, copied, offset - copied);
      copied = offset;
      if (kind == 0) {
        result.push_back('(');
      } else {
        result.push_back(kind);
        copied = offset + 1;
      }
    }
    result.append(pickle_, copied, std::string::npos);
    return result;
  }

private:
  /// The opcode `op` at offset `at`, its operands from pos_ on.
  bool step(unsigned char op, size_t at) {
    switch (op) {
    case 0x80: // PROTO
    case 'q':  // BINPUT
      return skip(1);
    case '(': // MARK
      marks_.emplace_back(starts_.size(), at);
      return true;
    case '}': case ']': case ')': case 'N': case 0x88: case 0x89:
      starts_.push_back(at);
      return true;
    case 'K': case 'h': // BININT1, BINGET
      return pushOperand(1, at);
    case 'M': // BININT2
      return pushOperand(2, at);
    case 'J': case 'j': // BININT, LONG_BINGET
      return pushOperand(4, at);
    case 'G': // BINFLOAT
      return pushOperand(8, at);
    case 0x8a: case 'U': case 0x8c: // LONG1, SHORT_BINSTRING, SHORT_BINUNICODE
      return pushString(1, at);
    case 'X': case 'T': case 'B': // BINUNICODE, BINSTRING, BINBYTES
      return pushString(4, at);
    case 'c': // GLOBAL module\nname\n
      return pushGlobal(at);
    case 'r': // LONG_BINPUT
      return longBinput();
    case 0x85: case 0x86: case 0x87: // TUPLE1..3
      collapse(op - 0x84, at);
      return true;
    case 'R': case 0x81: // REDUCE, NEWOBJ
      collapse(2, at);
      return true;
    case 't': case 'l': case 'd': // TUPLE, LIST, DICT
      collectToMark(at);
      return true;
    case 'a': // APPEND: the item on top goes into the list below it
      appendOne(at, 1, 'e');
      return true;
    case 's': // SETITEM: key and value on top go into the dict below them
      appendOne(at, 2, 'u');
      return true;
    case 'e': case 'u': // APPENDS, SETITEMS
      if (!popToMark() || starts_.empty())
        underflow(at);
      marks_.pop_back();
      return true;
    case 'b': // BUILD
      take(2, at);
      starts_.pop_back();
      return true;
    case 'Q': // BINPERSID
      take(1, at);
      return true;
    case '.': // STOP
      pos_ = pickle_.size();
      return true;
    default:
      return false;
    }
  }

  bool need(size_t n) const { return pos_ + n <= pickle_.size(); }

  /// Skips an operand of `n` bytes; false if the pickle ends first.
  bool skip(size_t n) {
    if (!need(n))
      return false;
    pos_ += n;
    return true;
  }

  bool pushOperand(size_t n, size_t at) {
    if (!skip(n))
      return false;
    starts_.push_back(at);
    return true;
  }

  /// A string whose length is a little-endian field of `lengthBytes`.
  bool pushString(size_t lengthBytes, size_t at) {
    if (!need(lengthBytes))
      return false;
    size_t length = readLength(lengthBytes);
    pos_ += lengthBytes;
    // LibTorch's unpickler allocates and fills what a length field claims
    // before it reads: a corrupt length would take gigabytes.
    if (!need(length))
      throw std::runtime_error("a string of the pickle claims " +
                               std::to_string(length) + " bytes; " +
                               std::to_string(pickle_.size() - pos_) +
                               " are left");
    pos_ += length;
    starts_.push_back(at);
    return true;
  }

  bool pushGlobal(size_t at) {
    for (int lines = 0; lines < 2; ++lines) {
      size_t end = pickle_.find('\n', pos_);
      if (end == std::string::npos)
        return false;
      pos_ = end + 1;
    }
    starts_.push_back(at);
    return true;
  }

  bool longBinput() {
    if (!need(4))
      return false;
    // LibTorch sizes its memo table by the index: a pickle of N bytes has
    // fewer than N memo entries.
    if (readLength(4) > pickle_.size())
      throw std::runtime_error("a memo index of the pickle is " +
                               std::to_string(readLength(4)) + "; it has " +
                               std::to_string(pickle_.size()) + " bytes");
    pos_ += 4;
    return true;
  }

  /// The `n` items on top become one, which begins where the first did.
  void collapse(size_t n, size_t at) {
    take(n, at);
    size_t start = starts_[starts_.size() - n];
    starts_.resize(starts_.size() - n);
    starts_.push_back(start);
  }

  /// The items down to the last MARK become one, which begins at the MARK.
  void collectToMark(size_t at) {
    size_t start = marks_.empty() ? 0 : marks_.back().second;
    if (!popToMark())
      underflow(at);
    marks_.pop_back();
    starts_.push_back(start);
  }

  /// APPEND (`items` 1) or SETITEM (2): a MARK goes before the items, and the
  /// opcode becomes `replacement`.
  void appendOne(size_t at, size_t items, char replacement) {
    take(items + 1, at);
    insertMarkAt_.push_back(starts_[starts_.size() - items]);
    replaceAt_.emplace_back(at, replacement);
    starts_.resize(starts_.size() - items);
  }

  bool popToMark() {
    if (marks_.empty() || marks_.back().first > starts_.size())
      return false;
    starts_.resize(marks_.back().first);
    return true;
  }

  /// Throws unless the stack holds `n` items for the opcode at `at`.
  void take(size_t n, size_t at) const {
    if (starts_.size() < n)
      underflow(at);
  }

  /// LibTorch's unpickler pops its stack and its marks without checking that
  /// they hold anything: a pickle that takes more than it put there would
  /// make it read out of bounds.
  [[noreturn]] void underflow(size_t at) const {
    const char *hex = "0123456789abcdef";
    unsigned char op = static_cast<unsigned char>(pickle_[at]);
    throw std::runtime_error(
        "the pickle takes more values than it put on its stack (opcode 0x" +
        std::string{hex[op >> 4], hex[op & 15]} + " at byte " +
        std::to_string(at) + ")");
  }

  size_t readLength(size_t bytes) const {
    size_t value = 0;
    for (size_t i = 0; i < bytes; ++i)
      value |= static_cast<size_t>(static_cast<unsigned char>(pickle_[pos_ + i]))
               << (8 * i);
    return value;
  }

  const std::string &pickle_;
  size_t pos_ = 0;
  std::vector<size_t> starts_;                   ///< item start offsets
  std::vector<std::pair<size_t, size_t>> marks_; ///< (stack size, offset)
  std::vector<size_t> insertMarkAt_;
  std::vector<std::pair<size_t, char>> replaceAt_; ///< APPEND/SETITEM -> ...S
};

} // namespace

std::string rewritePickleAppends(const std::string &pickle) {
  AppendRewriter rewriter(pickle);
  if (!rewriter.walk())
    return pickle;
  return rewriter.rewritten();
}

namespace {
/// caffe2's MemoryReadAdapter copies all `n` bytes asked for, past the end of
/// the buffer if need be (the zip reader asks for a 4 KiB block at the end of
/// a short file: a heap overflow AddressSanitizer found). This one stops at
/// the end.
class BoundedReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
  BoundedReadAdapter(const char *data, size_t size) : data_(data), size_(size) {}
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void *buffer, size_t n,
              const char * /*what*/) const override {
    if (pos >= size_)
      return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos));
    std::memcpy(buffer, data_ + pos, n);
    return n;
  }

private:
  const char *data_;
  size_t size_;
};
} // namespace

namespace {
/// The bytes of storage a tensor of these sizes, strides and offset reaches;
/// none if that overflows or a stride is negative (which torch.save never
/// writes).
std::optional<uint64_t> bytesReached(const at::Tensor &tensor) {
  uint64_t last = 0; // the offset of the last element, in elements
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    int64_t size = tensor.sizes()[d], stride = tensor.strides()[d];
    if (size == 0)
      return 0;
    uint64_t step = 0;
    if (size < 0 || stride < 0 ||
        __builtin_mul_overflow(static_cast<uint64_t>(stride),
                               static_cast<uint64_t>(size - 1), &step) ||
        __builtin_add_overflow(last, step, &last))
      return std::nullopt;
  }
  uint64_t elements = 0, bytes = 0;
  if (tensor.storage_offset() < 0 ||
      __builtin_add_overflow(last,
                             static_cast<uint64_t>(tensor.storage_offset()) + 1,
                             &elements) ||
      __builtin_mul_overflow(elements, tensor.dtype().itemsize(), &bytes))
    return std::nullopt;
  return bytes;
}
} // namespace

void checkTensorStorage(const at::Tensor &tensor, const std::string &name,
                        const RecordSizes &records) {
  if (!tensor.defined() || !tensor.has_storage())
    return;
  const c10::Storage &storage = tensor.storage();
  uint64_t claimed = storage.nbytes();
  uint64_t holds = storage.data() ? claimed : 0;
  auto record = records.find(storage.data());
  if (record != records.end())
    holds = std::min<uint64_t>(holds, record->second);
  std::optional<uint64_t> reached = bytesReached(tensor);
  if (!reached || *reached > holds) {
    std::ostringstream shape;
    shape << "sizes " << tensor.sizes() << ", strides " << tensor.strides()
          << ", offset " << tensor.storage_offset();
    throw StorageError(name + " has " + std::to_string(tensor.numel()) +
                       " elements of " + std::string(tensor.dtype().name()) +
                       " (" + shape.str() + ") but its storage holds " +
                       std::to_string(holds) + " bytes");
  }
  if (holds < claimed)
    throw StorageError(name + ": its storage claims " +
                       std::to_string(claimed) +
                       " bytes but its record holds " + std::to_string(holds));
}

void forEachTensor(
    const c10::IValue &value, const std::string &name,
    const std::function<void(const at::Tensor &, const std::string &)> &visit) {
  std::unordered_set<const void *> objects;
  std::function<void(const c10::IValue &, const std::string &)> walk =
      [&](const c10::IValue &v, const std::string &where) {
        if (v.isTensor()) {
          visit(v.toTensor(), where);
        } else if (v.isList()) {
          c10::List<c10::IValue> list = v.toList();
          for (size_t i = 0; i < list.size(); ++i)
            walk(list.get(i), where + "[" + std::to_string(i) + "]");
        } else if (v.isTuple()) {
          const auto &elements = v.toTupleRef().elements();
          for (size_t i = 0; i < elements.size(); ++i)
            walk(elements[i], where + "[" + std::to_string(i) + "]");
        } else if (v.isGenericDict()) {
          for (const auto &entry : v.toGenericDict()) {
            walk(entry.key(), where + ".keys()");
            walk(entry.value(),
                 where + "[" +
                     (entry.key().isString() ? entry.key().toStringRef()
                                             : std::string("...")) +
                     "]");
          }
        } else if (v.isObject()) {
          const c10::ivalue::Object &object = v.toObjectRef();
          if (!objects.insert(&object).second)
            return;
          for (size_t i = 0; i < object.slots().size(); ++i)
            walk(object.getSlot(i),
                 where + "." + object.type()->getAttributeName(i));
        }
      };
  walk(value, name);
}

c10::IValue loadTorchSave(const std::string &bytes) {
  auto adapter = std::make_shared<BoundedReadAdapter>(bytes.data(), bytes.size());
  caffe2::serialize::PyTorchStreamReader reader(adapter);
  // A model where a sample belongs: its data.pkl names classes of its own
  // code, which would be reported as an unknown type.
  for (const std::string &name : reader.getAllRecords())
    if (name.rfind("code/", 0) == 0)
      throw std::runtime_error(
          "it is a TorchScript archive (a model written by torch.jit.save)");
  at::DataPtr data;
  size_t size = 0;
  std::tie(data, size) = reader.getRecord("data.pkl");
  std::string pickle =
      rewritePickleAppends(std::string(static_cast<const char *>(data.get()), size));
  size_t offset = 0;
  auto read = [&](char *buffer, size_t length) -> size_t {
    size_t n = std::min(length, pickle.size() - offset);
    std::memcpy(buffer, pickle.data() + offset, n);
    offset += n;
    return n;
  };
  RecordSizes records;
  auto readRecord = [&](const std::string &name) {
    auto [data, size] = reader.getRecord("data/" + name);
    records[data.get()] = size;
    return std::move(data);
  };
  // With a storage context, tensors that share a storage in the file (views
  // of one tensor) share it once loaded, as with Python's torch.load.
  torch::jit::Unpickler unpickler(
      read, nullptr, nullptr, readRecord, c10::nullopt,
      /*use_storage_device=*/false, torch::jit::Unpickler::defaultTypeParser,
      std::make_shared<torch::jit::DeserializationStorageContext>());
  unpickler.set_version(reader.version());
  c10::IValue value = unpickler.parse_ivalue();
  size_t index = 0;
  forEachTensor(value, "", [&](const at::Tensor &tensor, const std::string &) {
    checkTensorStorage(tensor, "tensor " + std::to_string(index++), records);
  });
  return value;
}

} // namespace s2t
