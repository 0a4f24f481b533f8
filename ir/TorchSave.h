//===- ir/TorchSave.h - Reading values written by torch.save ----*- C++ -*-===//
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

#include <string>
#include <vector>

namespace s2t {

/// The value in a file written by Python's torch.save (zip format). Throws
/// c10::Error or std::runtime_error on malformed data.
c10::IValue loadTorchSave(const std::string &bytes);

/// Rewrites every APPEND / SETITEM opcode of a pickle (protocol 2, as
/// torch.save writes) into MARK ... APPENDS / SETITEMS. Returns the pickle
/// unchanged if it meets an opcode it does not know. Throws
/// std::runtime_error where LibTorch's unpickler would not check: a string
/// whose length runs past the end or a memo index past the pickle's size (it
/// would allocate that much), and an opcode that takes more values or marks
/// than the stack holds (it would read out of bounds). Exposed for tests.
std::string rewritePickleAppends(const std::string &pickle);

} // namespace s2t
