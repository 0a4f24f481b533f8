//===- io/ArchiveSource.h - Checks an archive's code before LibTorch does -*- C++ -*-===//
//
// LibTorch's source importer trusts the class bodies of an archive's code/
// records to be what torch.jit.save writes: a class constant always has its
// `Final[...]` type, a NamedTuple field its type, an Enum member its value,
// a listed hook its `def`. Where one is missing, torch::jit::load reads past
// the end of a tree (an unchecked SmallVector index) or dereferences a map's
// end(): undefined behaviour, a segfault under AddressSanitizer. These checks
// run on the parsed source first and turn such a class into an error. The
// source ranges of the code's debug information get the same treatment.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>

namespace s2t {

/// Checks the TorchScript source `text` of the archive record `recordName`
/// (`code/__torch__/m.py`) for class bodies LibTorch's importer cannot take;
/// throws an s2t::Error naming the first one as `RECORD:LINE:COL: ...`.
/// Source that does not parse is left to torch::jit::load, which reports it.
void checkArchiveSource(const std::string &recordName, const std::string &text);

/// Whether the archive record `recordName` is TorchScript source.
bool isArchiveSource(const std::string &recordName);

/// Checks the source ranges of the `.debug_pkl` record `recordName` (the
/// debug information of a code/ record), which LibTorch reads without
/// bounds checks when it first needs a node's original location: their
/// structure and their indices into the string table. Throws an s2t::Error
/// `RECORD: corrupt debug information (...)` otherwise.
void checkArchiveDebugInfo(const std::string &recordName,
                           const std::string &bytes);

} // namespace s2t
