//===- ir/JitForward.h - Declarations of torch::jit's IR types -*- C++ -*-===//
//
// The torch::jit types that s2t's headers name by pointer or reference only,
// declared, so that a header need not include torch's (a translation unit
// that includes <torch/csrc/jit/ir/ir.h> takes seconds to compile).
//
//===----------------------------------------------------------------------===//
#pragma once

namespace c10 {
struct FunctionSchema;
} // namespace c10

namespace torch {
namespace jit {
struct Block;
struct Code;
struct Graph;
struct Module;
struct Node;
struct SourceRange;
struct Value;
} // namespace jit
} // namespace torch
