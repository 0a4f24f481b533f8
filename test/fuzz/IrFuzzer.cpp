//===- test/fuzz/IrFuzzer.cpp - Fuzzes the textual graph path -------------===//
//
// libFuzzer target for `s2t-opt graph.ir`: the bytes are written to a file and
// loaded with loadProgram (torch::jit::parseIR), then the graph is
// specialized with samples made up from its input types (a 2x2 float tensor,
// 2, 0.5, ...) under small --max-unroll / --max-nodes, and printed. Every
// failure must be an s2t::Error of one line (FuzzSupport.h).
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  s2t::fuzz::TemporaryFile graph(data, size, ".ir");
  s2t::fuzz::expectCleanErrors([&] {
    s2t::Program program = s2t::loadProgram(graph.path(), "forward");
    s2t::fuzz::specializeWithMadeUpSamples(program);
  });
  return 0;
}
