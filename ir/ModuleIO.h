//===- ir/ModuleIO.h - Reading models, writing results ---------*- C++ -*-===//
//
// Inputs are TorchScript archives (torch.jit.save / Module::save) or textual
// graphs (torch::jit::parseIR), read only if they are regular files and never
// past the size they had when opened. Outputs are written atomically: to a
// temporary file beside the target, renamed into place only once complete; a
// target that exists and is not a regular file (a device, a FIFO) is written
// in place.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <ATen/core/function_schema.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

namespace torch {
namespace jit {
struct Graph;
struct Module;
} // namespace jit
} // namespace torch

namespace s2t {

/// A file opened for reading that is a regular file (after following links),
/// and its size when it was opened: reads stop there, so that nothing reads
/// an unbounded stream to its end. Opening anything else (a FIFO, a device, a
/// directory) throws s2t::Error of `kind`: "CONTEXT: it is a FIFO, not a
/// regular file", with "no such file", "it is a directory", ... as the
/// reason.
class InputFile {
public:
  InputFile(const std::string &path, ErrorKind kind,
            const std::string &context);
  ~InputFile();
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  uint64_t size() const { return size_; }
  /// Reads up to `n` bytes at `offset`, not past size(); returns how many.
  size_t readAt(uint64_t offset, void *buffer, size_t n) const;
  /// The first `limit` bytes (all of them by default).
  std::string read(uint64_t limit = UINT64_MAX) const;

private:
  std::string path_;
  ErrorKind kind_;
  std::string context_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

/// A method to specialize: a module's method, or a free textual graph.
struct Program {
  std::string path;
  std::string method;
  /// The module, for archives; null for textual graphs.
  std::shared_ptr<torch::jit::Module> module;
  /// The method's graph (its first input is `self` for modules).
  std::shared_ptr<torch::jit::Graph> graph;
  /// The method's schema, `self` first for modules.
  c10::FunctionSchema schema{"", "", {}, {}};
};

/// Loads `path` (archive or .ir text) and picks `method`. Throws s2t::Error.
Program loadProgram(const std::string &path, const std::string &method);

/// Makes the program's method compute `flat` and returns the module: the
/// program's module, changed in place, or for a textual graph a new module
/// whose forward is `flat`. With `freeze`, a frozen copy. Throws s2t::Error.
torch::jit::Module installFlatGraph(Program &program,
                                    const std::shared_ptr<torch::jit::Graph> &flat,
                                    bool freeze,
                                    const std::string &fallbackMethod = "");

/// Writes `module` as a TorchScript archive, atomically. Throws s2t::Error.
void saveModule(const torch::jit::Module &module, const std::string &path);

/// Writes a TorchScript archive whose `program.method` computes `flat`; the
/// program's module is changed in place. With `freeze`, parameters and
/// attributes are folded into constants. A non-empty `fallbackMethod` keeps
/// the original method under that name (--guards=fallback). Throws
/// s2t::Error.
void saveFlatArchive(Program &program,
                     const std::shared_ptr<torch::jit::Graph> &flat,
                     const std::string &path, bool freeze,
                     const std::string &fallbackMethod = "");
/// The same archive, written to `out` (s2t-opt's `-o -`).
void saveFlatArchive(Program &program,
                     const std::shared_ptr<torch::jit::Graph> &flat,
                     std::ostream &out, bool freeze,
                     const std::string &fallbackMethod = "");

/// Writes the file `path` with `write(stream)`. A new or regular file is
/// written to a temporary file beside it (`PATH.s2t-tmp-PID`) that is renamed
/// over it once complete; on an error, SIGINT, SIGTERM or SIGHUP the
/// temporary file is removed and `path` is left as it was (a signal that has
/// a handler of the program's own, or is ignored, is left to it, and the
/// write goes on). A target that
/// exists and is not a regular file (a device such as /dev/null, a FIFO,
/// /dev/stdout) is never replaced: the whole output is made first, then
/// written into it. Throws s2t::Error.
void writeAtomically(const std::string &path,
                     const std::function<void(std::ostream &)> &write);

/// writeAtomically of `text`.
void writeTextFile(const std::string &path, const std::string &text);

} // namespace s2t
