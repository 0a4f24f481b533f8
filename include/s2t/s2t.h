//===- include/s2t/s2t.h - s2t's public C++ API ----------------*- C++ -*-===//
//
// The installed interface of libs2t: load a scripted method, specialize it
// for sample arguments, read the decisions, emit the flat result. It is what
// s2t-opt does, as calls; the Python module `s2t` is built on it too.
//
//   s2t::Model model = s2t::Model::load("model.pt");
//   s2t::Conversion flat = s2t::convert(model, model.parseSamples({"3.0"}));
//   for (const s2t::DecisionReport &d : flat.report().decisions) ...
//   flat.save("flat.pt");
//
// Everything a model, sample or option can cause is thrown as s2t::Error, whose
// what() is the one-line message s2t-opt prints after "error: "; a failed
// allocation, wherever it happens, as std::bad_alloc.
//
// The header includes only ATen's IValue; the graph and module types are
// declared, not defined (include <torch/script.h> to use them).
//
//===----------------------------------------------------------------------===//
#pragma once

// Found beside this header once installed, from the source tree otherwise.
#include "ir/Error.h"

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace torch {
namespace jit {
struct Graph;
struct Module;
} // namespace jit
} // namespace torch

namespace s2t {

/// The version of s2t, as `s2t-opt --version` prints it ("0.1.0").
const char *version();

/// Checks the flat result carries to test that a new input takes the
/// sample's path (s2t-opt --guards): none, raise, or call the scripted method.
enum class Guards { None, Assert, Fallback };

/// "none", "assert", "fallback" -> Guards; throws s2t::Error otherwise.
Guards parseGuards(const std::string &text);
const char *toString(Guards guards);

/// The options of one conversion, as s2t-opt's flags.
struct Options {
  int64_t maxUnroll = 100000; ///< --max-unroll: loop iterations in all
  int64_t maxNodes = 1000000; ///< --max-nodes: operations of the flat graph
  /// --seed for random operators; unset leaves the generator as it is.
  std::optional<uint64_t> seed;
  bool freeze = false;         ///< --freeze: fold parameters into constants
  Guards guards = Guards::None;
  /// --allow-residual: keep a prim::If / prim::Loop that needs values the
  /// sample does not give (shape-only or unknown inputs).
  bool allowResidual = false;
};

/// One decided prim::If, unrolled prim::Loop, or baked-in value (a list
/// index, a dict key) that depends on the inputs (docs/report.md).
struct DecisionReport {
  std::string kind;     ///< "if", "loop" or "value"
  std::string category; ///< "constant", "shape" or "data" (docs/semantics.md)
  std::string location; ///< file:line:col of the model's code
  int64_t outcome = 0;  ///< branch taken (0 then, 1 else), or iterations run
  std::string outcomeText; ///< "then", "else", "3 iterations", "residual", ...
  /// What it read: "x.size(0)", "x.dim()", "x" (values), "y is None", ...
  std::vector<std::string> dependsOn;
  bool checked = false;  ///< a guard checks it (Options::guards)
  bool residual = false; ///< kept in the graph (Options::allowResidual)
  std::string reason;    ///< why it is residual
};

/// What a conversion did.
struct Report {
  std::vector<DecisionReport> decisions;
  /// What s2t-opt prints on stderr about the decisions (docs/report.md): one
  /// `file:line:col: warning: ...` line per source location of a shape or
  /// data decision, in program order, then a `note:` counting the constant
  /// ones. Empty when there is nothing to say.
  std::vector<std::string> warnings;
  int64_t iterationsUnrolled = 0;
  int64_t callsInlined = 0;
  int64_t kernelsRun = 0; ///< kernels run on the sample to decide
};

/// One sample argument: by position (empty name) or by name. `text` names the
/// sample in error messages (s2t-opt passes the spec as written).
struct Sample {
  std::string name;
  c10::IValue value;
  std::string text;
};

struct Program; // ir/ModuleIO.h
class Model;
class Conversion;

/// Specializes the model's method for `arguments` (one per argument after
/// self, as Model::bindSamples returns them) and cleans the result up.
Conversion convert(const Model &model, const std::vector<c10::IValue> &arguments,
                   const Options &options = {});

/// A method to convert: a module's method, or a textual graph.
class Model {
public:
  /// Reads a TorchScript archive or a textual graph (.ir).
  static Model load(const std::string &path,
                    const std::string &method = "forward");
  /// A module this program holds. Conversions do not change it, but share
  /// its parameters and buffers (kernels run to decide see and update them).
  static Model fromModule(const torch::jit::Module &module,
                          const std::string &method = "forward");

  /// The method's argument names, after `self`.
  std::vector<std::string> argumentNames() const;
  /// Parses --specialize-input specs (docs/spec-grammar.md) and binds them.
  std::vector<c10::IValue> parseSamples(const std::vector<std::string> &specs) const;
  /// Binds samples to the arguments as s2t-opt binds specs: positional, then
  /// named; numbers coerced to 0-dim tensors and ints to floats where the
  /// schema asks; defaults filled. Returns one value per argument after self.
  std::vector<c10::IValue> bindSamples(const std::vector<Sample> &samples) const;

private:
  friend Conversion convert(const Model &, const std::vector<c10::IValue> &,
                            const Options &);
  explicit Model(std::shared_ptr<Program> program);
  std::shared_ptr<Program> program_;
};

/// A converted method: the flat graph, its report, and a module running it.
class Conversion {
public:
  /// The flat graph; its first input is `self` for a module's method.
  std::shared_ptr<torch::jit::Graph> graph() const;
  const Report &report() const;
  /// A module whose method runs the flat graph. It shares the converted
  /// module's parameters and buffers (copies them with Options::freeze).
  /// A textual graph becomes the forward of a module of its own.
  torch::jit::Module module() const;
  /// Writes IR text when `path` ends in .ir or .txt, a TorchScript archive
  /// of module() otherwise. Written atomically.
  void save(const std::string &path) const;

  struct State;

private:
  friend Conversion convert(const Model &, const std::vector<c10::IValue> &,
                            const Options &);
  explicit Conversion(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

} // namespace s2t
