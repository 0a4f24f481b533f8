//===- io/ModuleIO.h - Reading models, making the flat module --*- C++ -*-===//
//
// Inputs are TorchScript archives (torch.jit.save / Module::save) or textual
// graphs (torch::jit::parseIR), read only if they are regular files and never
// past the size they had when opened. The result is a module made on a copy of
// the input's; files are written by emit/OutputWriter.h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/JitForward.h"

#include <ATen/core/function_schema.h>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

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

/// A copy of `module` that shares its tensors and whose methods and types
/// are its own, with the names of the original's (Module::clone mangles them,
/// `__torch__.___torch_mangle_0.M`, when the compilation unit has them).
torch::jit::Module copyKeepingNames(const torch::jit::Module &module);

/// A module whose `program.method` computes `flat`: a copy of the program's
/// module (sharing its tensors) with that method replaced, or for a textual
/// graph a new module whose forward is `flat`. A non-empty `fallbackMethod`
/// keeps the scripted method under that name (--guards=fallback); with
/// `freeze`, parameters and attributes are folded into constants. `program`
/// and `flat` are left as they were (the method gets a copy of `flat`), so
/// this can be called again. Throws s2t::Error.
torch::jit::Module
makeFlatModule(const Program &program,
               const std::shared_ptr<torch::jit::Graph> &flat, bool freeze,
               const std::string &fallbackMethod = "");

/// makeFlatModule, but for an archive and without `freeze`, `flat` itself
/// becomes the method's graph, not a copy of it (it may hold a million
/// nodes): its `self` and other module values take the types of the module's
/// copy, and changing it later changes the method. For a caller that gives
/// `flat` to one module only, as s2t::Conversion does. Throws s2t::Error.
torch::jit::Module
makeFlatModuleTaking(const Program &program,
                     const std::shared_ptr<torch::jit::Graph> &flat,
                     bool freeze, const std::string &fallbackMethod = "");

/// Writes the TorchScript archive of makeFlatModule to `out` (s2t-opt's
/// `-o -`). Files are written by the other saveFlatArchive, in
/// emit/OutputWriter.h. Throws s2t::Error.
void saveFlatArchive(const Program &program,
                     const std::shared_ptr<torch::jit::Graph> &flat,
                     std::ostream &out, bool freeze,
                     const std::string &fallbackMethod = "");

} // namespace s2t
