//===- io/TorchSave.cpp - Reading values written by torch.save ------------===//

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

std::string rewritePickleAppends(const std::string &pickle) {
  // Walk the opcodes, keeping for each stack item the offset of the opcode
  // that began it, so that a MARK can be put in front of an appended item.
  std::vector<size_t> starts; // item start offsets
  std::vector<std::pair<size_t, size_t>> marks; // (stack size, offset)
  std::vector<size_t> insertMarkAt;
  std::vector<std::pair<size_t, char>> replaceAt; // APPEND/SETITEM -> ...S
  size_t pos = 0;
  auto fail = [&]() { return pickle; };
  // LibTorch's unpickler pops its stack and its marks without checking that
  // they hold anything: a pickle that takes more than it put there would
  // make it read out of bounds.
  auto underflow = [&](size_t at) {
    throw std::runtime_error(
        "the pickle takes more values than it put on its stack (opcode 0x" +
        [](unsigned char op) {
          const char *hex = "0123456789abcdef";
          return std::string{hex[op >> 4], hex[op & 15]};
        }(static_cast<unsigned char>(pickle[at])) +
        " at byte " + std::to_string(at) + ")");
  };
  // LibTorch's unpickler allocates and fills what a length field claims
  // before it reads: a corrupt length would take gigabytes.
  auto tooLong = [&](size_t length) {
    throw std::runtime_error("a string of the pickle claims " +
                             std::to_string(length) + " bytes; " +
                             std::to_string(pickle.size() - pos) + " are left");
  };
  auto need = [&](size_t n) { return pos + n <= pickle.size(); };
  auto readLength = [&](size_t bytes) -> size_t {
    size_t value = 0;
    for (size_t i = 0; i < bytes; ++i)
      value |= static_cast<size_t>(static_cast<unsigned char>(pickle[pos + i]))
               << (8 * i);
    return value;
  };
  auto popToMark = [&]() -> bool {
    if (marks.empty() || marks.back().first > starts.size())
      return false;
    starts.resize(marks.back().first);
    return true;
  };
  while (pos < pickle.size()) {
    size_t at = pos;
    unsigned char op = pickle[pos++];
    switch (op) {
    case 0x80: // PROTO
      if (!need(1))
        return fail();
      pos += 1;
      break;
    case '(': // MARK
      marks.emplace_back(starts.size(), at);
      break;
    case '}': case ']': case ')': case 'N': case 0x88: case 0x89:
      starts.push_back(at);
      break;
    case 'K': case 'h': // BININT1, BINGET
      if (!need(1))
        return fail();
      pos += 1;
      starts.push_back(at);
      break;
    case 'M': // BININT2
      if (!need(2))
        return fail();
      pos += 2;
      starts.push_back(at);
      break;
    case 'J': case 'j': // BININT, LONG_BINGET
      if (!need(4))
        return fail();
      pos += 4;
      starts.push_back(at);
      break;
    case 'G': // BINFLOAT
      if (!need(8))
        return fail();
      pos += 8;
      starts.push_back(at);
      break;
    case 0x8a: case 'U': case 0x8c: { // LONG1, SHORT_BINSTRING, SHORT_BINUNICODE
      if (!need(1))
        return fail();
      size_t length = readLength(1);
      pos += 1;
      if (!need(length))
        tooLong(length);
      pos += length;
      starts.push_back(at);
      break;
    }
    case 'X': case 'T': case 'B': { // BINUNICODE, BINSTRING, BINBYTES
      if (!need(4))
        return fail();
      size_t length = readLength(4);
      pos += 4;
      if (!need(length))
        tooLong(length);
      pos += length;
      starts.push_back(at);
      break;
    }
    case 'c': { // GLOBAL module\nname\n
      for (int lines = 0; lines < 2; ++lines) {
        size_t end = pickle.find('\n', pos);
        if (end == std::string::npos)
          return fail();
        pos = end + 1;
      }
      starts.push_back(at);
      break;
    }
    case 'q': // BINPUT
      if (!need(1))
        return fail();
      pos += 1;
      break;
    case 'r': // LONG_BINPUT
      if (!need(4))
        return fail();
      // LibTorch sizes its memo table by the index: a pickle of N bytes has
      // fewer than N memo entries.
      if (readLength(4) > pickle.size())
        throw std::runtime_error("a memo index of the pickle is " +
                                 std::to_string(readLength(4)) + "; it has " +
                                 std::to_string(pickle.size()) + " bytes");
      pos += 4;
      break;
    case 0x85: case 0x86: case 0x87: { // TUPLE1..3
      size_t n = op - 0x84;
      if (starts.size() < n)
        underflow(at);
      size_t start = starts[starts.size() - n];
      starts.resize(starts.size() - n);
      starts.push_back(start);
      break;
    }
    case 't': case 'l': case 'd': { // TUPLE, LIST, DICT
      size_t start = marks.empty() ? 0 : marks.back().second;
      if (!popToMark())
        underflow(at);
      marks.pop_back();
      starts.push_back(start);
      break;
    }
    case 'a': // APPEND: the item on top goes into the list below it
      if (starts.size() < 2)
        underflow(at);
      insertMarkAt.push_back(starts.back());
      replaceAt.emplace_back(at, 'e');
      starts.pop_back();
      break;
    case 'e': case 'u': // APPENDS, SETITEMS
      if (!popToMark() || starts.empty())
        underflow(at);
      marks.pop_back();
      break;
    case 's': // SETITEM: key and value on top go into the dict below them
      if (starts.size() < 3)
        underflow(at);
      insertMarkAt.push_back(starts[starts.size() - 2]);
      replaceAt.emplace_back(at, 'u');
      starts.resize(starts.size() - 2);
      break;
    case 'R': case 0x81: { // REDUCE, NEWOBJ
      if (starts.size() < 2)
        underflow(at);
      size_t start = starts[starts.size() - 2];
      starts.resize(starts.size() - 2);
      starts.push_back(start);
      break;
    }
    case 'b': // BUILD
      if (starts.size() < 2)
        underflow(at);
      starts.pop_back();
      break;
    case 'Q': // BINPERSID
      if (starts.empty())
        underflow(at);
      break;
    case '.': // STOP
      pos = pickle.size();
      break;
    default:
      return fail();
    }
  }
  if (replaceAt.empty())
    return pickle;
  // Apply the edits in offset order: a MARK before each added item, and each
  // APPEND / SETITEM becomes APPENDS / SETITEMS.
  std::vector<std::pair<size_t, char>> edits; // (offset, 0 = insert MARK)
  for (size_t offset : insertMarkAt)
    edits.emplace_back(offset, 0);
  for (const auto &replacement : replaceAt)
    edits.push_back(replacement);
  std::sort(edits.begin(), edits.end());
  std::string result;
  result.reserve(pickle.size() + edits.size());
  size_t copied = 0;
  for (const auto &[offset, kind] : edits) {
    result.append(pickle, copied, offset - copied);
    copied = offset;
    if (kind == 0) {
      result.push_back('(');
    } else {
      result.push_back(kind);
      copied = offset + 1;
    }
  }
  result.append(pickle, copied, std::string::npos);
  return result;
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
