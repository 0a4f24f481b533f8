//===- emit/OutputWriter.h - The one way output files are written -*- C++ -*-===//
//
// Every file s2t writes (an archive, a textual graph, a Graphviz picture, the
// decision report, the statistics) goes through writeAtomically: a new or
// regular file is written to a temporary file beside it and renamed into
// place only once complete, so a failed or interrupted run leaves the target
// as it was; a target that exists and is not a regular file (a device, a
// FIFO) is written in place, once the whole output is made.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "io/ModuleIO.h"

#include <functional>

namespace s2t {

/// Writes the file `path` with `write(stream)`. A new or regular file is
/// written to a temporary file beside it (`PATH.s2t-tmp-PID`) that is renamed
/// over it once complete; on an error, SIGINT, SIGTERM or SIGHUP the
/// temporary file is removed and `path` is left as it was (a signal that has
/// a handler of the program's own, or is ignored, is left to it, and the
/// write goes on). A target that
/// exists and is not a regular file (a device such as /dev/null, a FIFO,
/// /dev/stdout) is never replaced: the whole output is made first, then
/// written into it. Throws s2t::Error ("cannot write 'PATH': WHY").
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
