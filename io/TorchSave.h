//===- io/TorchSave.h - Reading values written by torch.save ----*- C++ -*-===//
//
// torch::pickle_load reads torch.save's zip format, but LibTorch 1.13's
// unpickler does not know the APPEND and SETITEM opcodes that Python's pickle
// writes for a list or dict of one element, so `torch.save(([img],), f)`
// cannot be read. This reader rewrites them into MARK ... APPENDS / SETITEMS,
// which it does know, and unpickles the result with the archive's tensors.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace s2t {

/// The value in a file written by Python's torch.save (zip format), its
/// tensors checked by checkTensorStorage. Throws c10::Error or
/// std::runtime_error on malformed data.
c10::IValue loadTorchSave(const std::string &bytes);

/// The size of each record of a zip archive read into memory, by the address
/// it was read to. LibTorch sizes a tensor's storage by the element count its
/// pickle claims and never compares that with the record it reads, so a
/// short record would be read past its end.
using RecordSizes = std::unordered_map<const void *, size_t>;

/// A tensor that does not fit in its storage (checkTensorStorage).
class StorageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Throws StorageError ("tensor 0 has 1000 elements of float (sizes [1000],
/// strides [1], offset 0) but its storage holds 16 bytes", `name` being
/// "tensor 0") if `tensor` reaches past its storage, or if its storage claims
/// more bytes than the record it was read from holds. Reads none of its data.
void checkTensorStorage(const at::Tensor &tensor, const std::string &name,
                        const RecordSizes &records);

/// Calls `visit(tensor, where)` on every tensor held by `value`, in lists,
/// tuples, dicts and the attributes of objects (modules), each object once;
/// `where` is `name` followed by the attribute names and indices that lead
/// there (`self.fc.weight`, `self.scales[1]`).
void forEachTensor(
    const c10::IValue &value, const std::string &name,
    const std::function<void(const at::Tensor &, const std::string &)> &visit);

/// Rewrites every APPEND / SETITEM opcode of a pickle (protocol 2, as
/// torch.save writes) into MARK ... APPENDS / SETITEMS. Returns the pickle
/// unchanged if it meets an opcode it does not know. Throws
/// std::runtime_error where LibTorch's unpickler would not check: a string
/// whose length runs past the end or a memo index past the pickle's size (it
/// would allocate that much), and an opcode that takes more values or marks
/// than the stack holds (it would read out of bounds). Exposed for tests.
std::string rewritePickleAppends(const std::string &pickle);

} // namespace s2t
