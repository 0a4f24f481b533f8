//===- test/fuzz/ArchiveFuzzer.cpp - Fuzzes the archive loading path ------===//
//
// libFuzzer target for `s2t-opt model.pt`. Bytes that start with "PK" are an
// archive as they are; any other bytes are the records of one, separated by
// lines "%%%%" and each "NAME\nCONTENT" (code/__torch__.py, data.pkl, ...),
// which are written into a well-formed zip first, so that mutations reach
// the TorchScript source and the pickles instead of failing the zip's CRCs.
// The file is loaded with loadProgram (torch::jit::load), then `forward` is
// specialized with samples made up from its schema under small
// --max-unroll / --max-nodes, and printed. Every failure must be an
// s2t::Error of one line (FuzzSupport.h).
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

#include <caffe2/serialize/inline_container.h>

namespace {

/// The zip that holds `records`, or "" when LibTorch's writer refuses them
/// (a name twice, ...): such inputs say nothing about s2t.
std::string zipRecords(const std::string &records) {
  std::string zip;
  try {
    caffe2::serialize::PyTorchStreamWriter writer(
        [&](const void *data, size_t size) {
          zip.append(static_cast<const char *>(data), size);
          return size;
        });
    const std::string separator = "\n%%%%\n";
    size_t start = 0;
    while (start <= records.size()) {
      size_t end = records.find(separator, start);
      if (end == std::string::npos)
        end = records.size();
      std::string record = records.substr(start, end - start);
      size_t newline = record.find('\n');
      std::string name = record.substr(0, newline);
      std::string content =
          newline == std::string::npos ? "" : record.substr(newline + 1);
      // The writer adds the version record itself.
      if (!name.empty() && name != "version" && name != ".data/version")
        writer.writeRecord(name, content.data(), content.size());
      start = end + separator.size();
    }
    writer.writeEndOfFile();
  } catch (const std::exception &) {
    return "";
  }
  return zip;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  if (bytes.compare(0, 2, "PK") != 0) {
    bytes = zipRecords(bytes);
    if (bytes.empty())
      return 0;
  }
  s2t::fuzz::TemporaryFile archive(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), ".pt");
  s2t::fuzz::expectCleanErrors([&] {
    s2t::Program program = s2t::loadProgram(archive.path(), "forward");
    s2t::fuzz::specializeWithMadeUpSamples(program);
  });
  return 0;
}
