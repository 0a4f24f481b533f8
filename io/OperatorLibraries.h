//===- io/OperatorLibraries.h - Loading operator libraries ------*- C++ -*-===//
//
// Archives may call operators that LibTorch itself does not register, such as
// torchvision::nms. Like LLVM opt's -load, s2t-opt loads shared libraries that
// register them before it reads the archive.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <string>

namespace s2t {

/// Loads a shared library of operators. `library` is a path, or one of the
/// names "torchvision" and "torchaudio", which are looked up in the installed
/// Python packages. Throws s2t::Error (usage) if it cannot be found or loaded.
void loadOperatorLibrary(const std::string &library);

/// For an error message that names an unregistered operator of a known
/// library ("torchvision::nms"), " (try load=torchvision)" with the option
/// that provides it as an option mention; empty otherwise.
Message loadHintFor(const std::string &message);

} // namespace s2t
