//===- test/fuzz/SampleSpecFuzzer.cpp - Fuzzes the sample spec parser -----===//
//
// libFuzzer target for --specialize-input. The first byte picks the path:
//   even: the rest is spec text, given to parseSampleLiteral and
//         parseSampleSpec (text holding '@' only to the former, so that the
//         fuzzer does not read files of the machine), then bound to a few
//         schemas;
//   odd:  the rest is the content of a torch.save file, read through
//         parseSampleSpec("@FILE") and ("x=@FILE") (io/TorchSave), then bound.
// Every failure must be an s2t::Error of one line (FuzzSupport.h).
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

#include "io/SampleSpec.h"

#include <torch/csrc/jit/frontend/function_schema_parser.h>

namespace {

const std::vector<c10::FunctionSchema> &schemas() {
  static const std::vector<c10::FunctionSchema> parsed = [] {
    std::vector<c10::FunctionSchema> out;
    for (const char *text : {
             "f(Tensor x) -> Tensor",
             "f(int[] x, float y=1.5) -> Tensor",
             "f(Tensor? x, (Tensor, int) t) -> Tensor",
             "f(Dict(str, Tensor) x, str s='a') -> Tensor",
             "f(Tensor[] x, bool b, Scalar s) -> Tensor",
         })
      out.push_back(torch::jit::parseSchema(text));
    return out;
  }();
  return parsed;
}

void bindEverywhere(const std::vector<s2t::SampleSpec> &specs) {
  for (const c10::FunctionSchema &schema : schemas())
    s2t::fuzz::expectCleanErrors(
        [&] { s2t::bindSampleSpecs(specs, schema); });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  bool file = data[0] & 1;
  ++data, --size;
  if (!file) {
    std::string text(reinterpret_cast<const char *>(data), size);
    s2t::fuzz::expectCleanErrors([&] {
      s2t::SampleSpec spec;
      spec.value = s2t::parseSampleLiteral(text);
      spec.text = text;
      bindEverywhere({spec});
    });
    if (text.find('@') == std::string::npos)
      s2t::fuzz::expectCleanErrors([&] {
        bindEverywhere({s2t::parseSampleSpec(text)});
        bindEverywhere(
            s2t::parseSampleSpecs({text, text}, schemas().front()));
      });
    return 0;
  }
  s2t::fuzz::TemporaryFile sample(data, size, ".pt");
  s2t::fuzz::expectCleanErrors(
      [&] { bindEverywhere({s2t::parseSampleSpec("@" + sample.path())}); });
  s2t::fuzz::expectCleanErrors(
      [&] { bindEverywhere({s2t::parseSampleSpec("x=@" + sample.path())}); });
  return 0;
}
