//===- passes/Registration.h - The pass in torch::jit's registry -*- C++ -*-===//
//
// torch::jit runs registered post-passes (passes/pass_manager.h) on the graphs
// its executor optimizes. Those passes get only a graph, so the sample is
// bound when the pass is registered. See docs/libtorch.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/ivalue.h>

#include <vector>

namespace s2t {

/// While alive, SpecializeControlFlow (followed by the clean-up) is a
/// registered torch::jit post-pass for `inputs` (self first for a method):
/// each graph it is given whose input count matches is replaced by its flat
/// specialization. Unregisters itself on destruction.
class RegisteredSpecializePass {
public:
  explicit RegisteredSpecializePass(std::vector<c10::IValue> inputs);
  ~RegisteredSpecializePass();
  RegisteredSpecializePass(const RegisteredSpecializePass &) = delete;
  RegisteredSpecializePass &operator=(const RegisteredSpecializePass &) = delete;

private:
  unsigned int name_;
};

} // namespace s2t
