//===- ir/Options.h - The options of one conversion -------------*- C++ -*-===//
//
// s2t::Options, the one options struct of s2t: the public API
// (include/s2t/s2t.h, which includes this header), s2t-opt's flags and the
// Python keywords all fill it, and the pipeline and the pass read it as it is.
// Its defaults are written here and nowhere else. It lives in ir/, the lowest
// layer, so that the passes can take it without including the API.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Decision.h"
#include "ir/JitForward.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace s2t {

/// Called before and after each stage of the pipeline (s2t::stages()) that
/// runs, with `before` saying which, the stage's name and the graph then.
using StageObserver = std::function<void(
    bool before, const std::string &stage, const torch::jit::Graph &graph)>;

/// The options of one conversion. An error that names one of them uses the
/// field's name in snake case as its key (max_unroll, allow_residual), which
/// is the Python keyword; s2t-opt's flag is that key with dashes.
struct Options {
  /// Loop iterations to unroll in all before giving up.
  int64_t maxUnroll = 100000;
  /// Operations the flat graph may hold before giving up: bounds the memory
  /// an unroll can take (about 5 KiB per operation).
  int64_t maxNodes = 1000000;
  /// Seed of the random generator random operators share; unset leaves the
  /// generator as it is.
  std::optional<uint64_t> seed;
  /// Threads of the kernels that data decisions run (at::set_num_threads,
  /// process-wide); 0 leaves LibTorch's setting. Applied just before the
  /// first such kernel: a conversion decided on constants and shapes alone
  /// starts no thread pool (creating one for two threads takes ~8 ms).
  int64_t threads = 0;
  /// Fold parameters and attributes into constants (archive output).
  bool freeze = false;
  /// Checks that an input takes the sample's path (Fallback emits the same
  /// checks as Assert; the pipeline turns them into calls of the scripted
  /// method).
  Guards guards = Guards::None;
  /// Keep a prim::If / prim::Loop that needs values the sample does not give
  /// (shape-only or unknown inputs) instead of failing.
  bool allowResidual = false;
  /// Run the pipeline up to this stage only ("specialize", "cleanup",
  /// "insert-fallback"; s2t::stages()); empty runs every stage.
  std::string stopAfter;
  /// Sees the graph around each stage (s2t-opt --print-before/--print-after).
  StageObserver observer;
};

} // namespace s2t
