//===- ir/SourceLocation.h - Where a node came from --------------*- C++ -*-===//
#pragma once

#include "ir/JitForward.h"

#include <string>

namespace s2t {

/// "file:line:col" of the model's code that produced `node`, as the scripted
/// graph records it; for nodes without a source (textual graphs) the node's
/// own text, so that a message still says which node it is about.
std::string sourceLocation(const torch::jit::Node *node);

/// "file:line:col" of `range` itself (not of the code that generated it), or
/// "<unknown>" when its source has no file name.
std::string sourceLocation(const torch::jit::SourceRange &range);

} // namespace s2t
