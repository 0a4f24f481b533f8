//===- ir/ModuleIO.h - Reading models, writing results ---------*- C++ -*-===//
//
// Inputs are TorchScript archives (torch.jit.save / Module::save) or textual
// graphs (torch::jit::parseIR). Outputs are written atomically: to a temporary
// file beside the target, renamed into place only once complete.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/function_schema.h>

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

/// Calls `write(temporaryPath)`, then renames the temporary file to `path`.
/// On any failure the temporary file is removed and s2t::Error is thrown.
void writeAtomically(const std::string &path,
                     const std::function<void(const std::string &)> &write);

} // namespace s2t
