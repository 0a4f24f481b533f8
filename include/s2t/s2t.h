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
// Everything a model, sample or option can cause is thrown as s2t::Error, a
// one-line message (what() spells the options it names as `max_unroll=2`;
// Error::message(flagSpelling) as s2t-opt prints it after "error: "); a failed
// allocation, wherever it happens, as std::bad_alloc.
//
// This is the one front door: s2t-opt and the Python package are built on it.
// The options are s2t::Options (ir/Options.h, which holds their defaults); a
// decision is an s2t::DecisionReport.
//
// The header includes only ATen's IValue; the graph and module types are
// declared, not defined (include <torch/script.h> to use them).
//
//===----------------------------------------------------------------------===//
#pragma once

// Found beside this header once installed, from the source tree otherwise.
#include "ir/Error.h"
#include "ir/JitForward.h"
#include "ir/Options.h"

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace s2t {

/// The version of s2t, as `s2t-opt --version` prints it ("0.1.0").
const char *version();

/// "none", "assert", "fallback" -> Guards (ir/Decision.h); throws s2t::Error
/// otherwise.
Guards parseGuards(const std::string &text);
const char *toString(Guards guards);

/// Loads a shared library of operators: a path, or "torchvision" /
/// "torchaudio" for those packages' operator libraries. Throws s2t::Error.
void loadOperatorLibrary(const std::string &library);

/// A stage of the pipeline, as Options::stopAfter and s2t-opt's
/// --print-before / --print-after / --stop-after name it.
struct StageSummary {
  std::string name;    ///< "specialize", "cleanup", "insert-fallback"
  std::string summary; ///< what it does, in one line
};
/// The stages of a conversion, in the order they run.
std::vector<StageSummary> stages();

/// Writes `bytes` to the file `path` atomically: a regular file is replaced
/// only once it is complete; a device or FIFO is written in place. Throws
/// s2t::Error.
void writeFile(const std::string &path, const std::string &bytes);

class PendingFile; // emit/OutputWriter.h

/// A file written in two steps, as LLVM's ToolOutputFile: stream() fills a
/// temporary file beside `path`, keep() renames it over `path`; destroyed
/// without keep() (an error on the way), it leaves `path` as it was. A device
/// or FIFO is written in place by keep(), from memory. s2t-opt renders its
/// output into one, writes the side files, then keeps it. Throws s2t::Error.
class OutputFile {
public:
  explicit OutputFile(const std::string &path);
  ~OutputFile();
  OutputFile(OutputFile &&) noexcept;
  OutputFile &operator=(OutputFile &&) noexcept;

  std::ostream &stream();
  void keep();

private:
  std::unique_ptr<PendingFile> file_;
};

/// One decided prim::If, unrolled prim::Loop, or baked-in value (a list
/// index, a dict key) that depends on the inputs (docs/report.md): the one
/// public shape of a decision (Python's s2t.Decision has its fields).
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
  /// ones (it names an option: str(spelling) words it). Empty when there is
  /// nothing to say.
  std::vector<Message> warnings;
  int64_t iterationsUnrolled = 0;
  int64_t callsInlined = 0;
  int64_t kernelsRun = 0; ///< kernels run on the sample to decide
  /// Tensor metadata (sizes, strides, dtype) computed by formula, by
  /// dispatching a meta kernel or a shape function, and as a meta kernel
  /// gave it before for the same operator on the same metadata
  /// (docs/performance.md).
  int64_t metadataFormula = 0;
  int64_t metadataDispatch = 0;
  int64_t metadataReused = 0;
  /// Checks the flat graph carries (Options::guards), after every stage.
  int64_t checks = 0;
  /// Operations of the scripted method, each callee counted once, and of
  /// the flat graph.
  int64_t nodesIn = 0;
  int64_t nodesOut = 0;
  /// Each stage that ran, in order, and its wall time in seconds.
  std::vector<std::pair<std::string, double>> stageSeconds;
};

/// One sample argument: by position (empty name) or by name. `text` names the
/// sample in error messages (s2t-opt passes the spec as written).
struct Sample {
  std::string name;
  c10::IValue value;
  std::string text;
};

struct Program; // io/ModuleIO.h
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

  /// The method's graph as loaded (its first input is `self` for a module's
  /// method).
  std::shared_ptr<torch::jit::Graph> graph() const;
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

/// What Conversion::emit writes.
enum class Format {
  Ir,      ///< the flat graph as text
  Archive, ///< a TorchScript archive of module()
  Dot,     ///< a Graphviz picture of the decisions beside the flat graph
};

/// A converted method: the flat graph, its report, and a module running it.
class Conversion {
public:
  /// The flat graph; its first input is `self` for a module's method.
  std::shared_ptr<torch::jit::Graph> graph() const;
  const Report &report() const;
  /// A module whose method runs the flat graph. It shares the converted
  /// module's parameters and buffers (copies them with Options::freeze).
  /// A textual graph becomes the forward of a module of its own. Built once;
  /// for an archive its method's graph is graph() itself, not a copy
  /// (except with Options::freeze: a frozen module has graphs of its own).
  torch::jit::Module module() const;
  /// Writes the output in `format` to `out`; an archive is streamed, never
  /// held whole in memory. Throws s2t::Error.
  void emit(Format format, std::ostream &out) const;
  /// The output in `format`, in memory. Throws s2t::Error.
  std::string emit(Format format) const;
  /// Every decision as JSON (docs/report.md), naming the model's path and
  /// method.
  std::string reportJson() const;
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
