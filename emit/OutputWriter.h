//===- emit/OutputWriter.h - The one way output files are written -*- C++ -*-===//
//
// Every file s2t writes (an archive, a textual graph, a Graphviz picture, the
// decision report, the statistics) goes through a PendingFile: a new or
// regular file is written to a temporary file beside it and renamed into
// place only once complete, so a failed or interrupted run leaves the target
// as it was; a target that exists and is not a regular file (a device, a
// FIFO) is written in place, once the whole output is made. An archive is
// streamed into its temporary file, never held in memory whole.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "io/ModuleIO.h"

#include <functional>
#include <iosfwd>
#include <memory>

namespace s2t {

/// A file written in two steps, as LLVM's ToolOutputFile: stream() fills a
/// temporary file beside `path` (`PATH.s2t-tmp-PID`), and keep() renames it
/// over `path`; destroyed without keep(), it removes the temporary file and
/// `path` is left as it was. The temporary file is also removed on SIGINT,
/// SIGTERM or SIGHUP (a signal that has a handler of the program's own, or
/// is ignored, is left to it). A target that exists and is not a regular file
/// (a device such as /dev/null, a FIFO, /dev/stdout) is never replaced:
/// stream() is memory, written into it by keep(). Throws s2t::Error
/// ("cannot write 'PATH': WHY").
class PendingFile {
public:
  explicit PendingFile(const std::string &path);
  ~PendingFile();
  PendingFile(const PendingFile &) = delete;
  PendingFile &operator=(const PendingFile &) = delete;

  std::ostream &stream();
  /// Puts the file in place; a second call does nothing.
  void keep();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes the file `path` with `write(stream)` through a PendingFile, kept
/// once `write` returns; an exception of `write` other than s2t::Error
/// becomes "cannot write 'PATH': WHY".
void writeAtomically(const std::string &path,
                     const std::function<void(std::ostream &)> &write);

/// writeAtomically of `text`.
void writeTextFile(const std::string &path, const std::string &text);

/// Writes `module` as a TorchScript archive, atomically. Throws s2t::Error.
void saveModule(const torch::jit::Module &module, const std::string &path);

/// Writes, atomically, the TorchScript archive of makeFlatModule(program,
/// flat, freeze, fallbackMethod) (io/ModuleIO.h); `program` is left as it
/// was. Throws s2t::Error.
void saveFlatArchive(const Program &program,
                     const std::shared_ptr<torch::jit::Graph> &flat,
                     const std::string &path, bool freeze,
                     const std::string &fallbackMethod = "");

} // namespace s2t
