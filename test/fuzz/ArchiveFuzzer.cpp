//===- test/fuzz/ArchiveFuzzer.cpp - Fuzzes the archive loading path ------===//
//
// libFuzzer target for `s2t-opt model.pt`: the bytes are written to a file
// and loaded with loadProgram (torch::jit::load for a zip), then `forward` is
// specialized with samples made up from its schema under small --max-unroll /
// --max-nodes, and printed. Every failure must be an s2t::Error of one line
// (FuzzSupport.h).
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  s2t::fuzz::TemporaryFile archive(data, size, ".pt");
  s2t::fuzz::expectCleanErrors([&] {
    s2t::Program program = s2t::loadProgram(archive.path(), "forward");
    s2t::fuzz::specializeWithMadeUpSamples(program);
  });
  return 0;
}
