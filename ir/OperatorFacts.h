//===- ir/OperatorFacts.h - What operators do, in one table -----*- C++ -*-===//
//
// Facts about operators that passes rely on, kept in one place instead of
// as private predicates of each pass: which operators read only a tensor's
// metadata (so a trace bakes their result in), which read its sizes, which
// write to an argument, and which keep the sizes or the rank of their first
// input (so that the evaluator computes output sizes without a kernel, and
// the guard checks treat a size read through them as a read of the input's).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/JitForward.h"

#include <ATen/core/symbol.h>

#include <cstddef>

namespace s2t {

/// Whether `kind` returns a tensor of its first input's sizes whenever its
/// kernel accepts the arguments: norms (batch, instance, group, layer),
/// activations, dropout, softmax, contiguous, a transformer encoder layer.
/// Only operators LibTorch 1.13 has no meta kernel for need to be here.
bool keepsInputSizes(c10::Symbol kind);

/// Operations that read a tensor's metadata (dtype, device, rank, layout,
/// `is_*` flags) and never its values or sizes: a trace bakes their result
/// in.
bool isMetadataQuery(c10::Symbol kind);

/// prim::device, prim::is_cuda, prim::is_meta: answered from the device.
bool isDeviceQuery(c10::Symbol kind);

/// prim::dtype, aten::is_floating_point, aten::is_complex: answered from the
/// dtype.
bool isDtypeQuery(c10::Symbol kind);

/// Operations that read sizes (aten::size, aten::numel, aten::sym_size,
/// `len` of a tensor): they stay in a flat graph so that sizes stay dynamic,
/// and what they return depends on the shape only.
bool isShapeRead(const torch::jit::Node *node);

/// aten::add, aten::sub, aten::mul, aten::div.
bool isBasicArithmetic(c10::Symbol kind);

/// Whether `node` is a dropout (aten::dropout, feature_dropout,
/// alpha_dropout, feature_alpha_dropout, or their in-place forms) whose
/// `train` argument is the constant false, or whose `p` is the constant 0
/// (swin_v2's F.dropout(attn, p=0.0), in training by default): it draws
/// nothing, and returns its input (the kernels return before drawing; the
/// fused CUDA kernel takes 0 < p < 1 only). torch's Node::isNondeterministic
/// says so of aten::dropout outside training alone.
bool isDropoutDrawingNothing(const torch::jit::Node *node);

/// Whether the schema of `node` says it writes to its argument `index`.
bool writesArgument(const torch::jit::Node *node, size_t index);

/// Whether `node`'s single tensor output has the sizes of its first input:
/// keepsInputSizes, element-wise operations of one tensor, arithmetic with a
/// scalar and in-place arithmetic (which cannot resize).
bool keepsSizes(const torch::jit::Node *node);

/// Whether `node`'s output has the rank of its first input: keepsSizes,
/// convolutions, pooling, upsampling and padding.
bool keepsRank(const torch::jit::Node *node);

} // namespace s2t
