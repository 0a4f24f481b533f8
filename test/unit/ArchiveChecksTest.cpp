//===- test/unit/ArchiveChecksTest.cpp - Checks beside LibTorch's load ----===//
//
// ArchiveChecks on archives written by LibTorch's zip writer: a read that
// reaches a checked record waits for its check and is refused when it
// failed; reads of other records go through; the error reported is the one
// of the first failing record in the archive's order, whichever record the
// loader asked for first.
//
//===----------------------------------------------------------------------===//

#include "io/ArchiveChecks.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

/// The bytes of a zip archive of `records`, written by LibTorch's writer
/// (which adds the version record).
std::string archiveOf(const Records &records) {
  std::string bytes;
  {
    caffe2::serialize::PyTorchStreamWriter writer(
        [&](const void *data, size_t n) {
          bytes.append(static_cast<const char *>(data), n);
          return n;
        });
    for (const auto &[name, contents] : records)
      writer.writeRecord(name, contents.data(), contents.size());
    writer.writeEndOfFile();
  }
  return bytes;
}

/// An archive in memory, its checks, and where its records' data start.
struct Checked {
  explicit Checked(const Records &records) : bytes(archiveOf(records)) {
    auto file = std::make_shared<caffe2::serialize::MemoryReadAdapter>(
        bytes.data(), static_cast<off_t>(bytes.size()));
    caffe2::serialize::PyTorchStreamReader reader(file);
    for (const auto &record : records)
      offsets.push_back(reader.getRecordOffset(record.first));
    checks = std::make_unique<s2t::ArchiveChecks>(file);
  }
  /// The message finish() throws, or "" when every check passed.
  std::string finishError() {
    try {
      checks->finish();
    } catch (const std::exception &e) {
      return e.what();
    }
    return "";
  }

  std::string bytes;
  std::vector<size_t> offsets;
  std::unique_ptr<s2t::ArchiveChecks> checks;
};

const char *const kGood = "class A(Module):\n"
                          "  __parameters__ = []\n"
                          "  training : bool\n"
                          "  def forward(self: __torch__.A) -> None:\n"
                          "    return None\n";
const char *const kConstantWithoutType = "class B(Module):\n"
                                         "  training : bool\n"
                                         "  LIMIT = 3\n";

TEST(ArchiveChecksTest, LetsEveryReadOfAGoodArchiveThrough) {
  Checked archive({{"code/__torch__/a.py", kGood}, {"data/0", "1234"}});
  for (size_t offset : archive.offsets)
    EXPECT_TRUE(archive.checks->awaitRead(offset, 4));
  EXPECT_EQ(archive.finishError(), "");
}

TEST(ArchiveChecksTest, RefusesTheReadOfARecordThatFailed) {
  Checked archive({{"code/__torch__/a.py", kGood},
                   {"code/__torch__/b.py", kConstantWithoutType},
                   {"data/0", "1234"}});
  EXPECT_FALSE(archive.checks->awaitRead(archive.offsets[1], 1));
  // A read that reaches no checked record goes through.
  EXPECT_TRUE(archive.checks->awaitRead(archive.offsets[2], 4));
  EXPECT_EQ(archive.finishError(),
            "code/__torch__/b.py:3:2: class 'B' assigns 'LIMIT' without a "
            "type; a class constant is saved as 'LIMIT : Final[T] = VALUE'");
}

TEST(ArchiveChecksTest, ReportsTheFirstFailingRecordInTheArchivesOrder) {
  // Good records ahead of a.py keep the thread busy while the loader asks
  // for b.py: b.py's check runs next and fails first, a.py's later.
  Records records;
  for (int i = 0; i < 20; ++i)
    records.push_back({"code/__torch__/good" + std::to_string(i) + ".py", kGood});
  records.push_back({"code/__torch__/a.py", kConstantWithoutType});
  records.push_back({"code/__torch__/b.py", kConstantWithoutType});
  Checked archive(records);
  EXPECT_FALSE(archive.checks->awaitRead(archive.offsets.back(), 1));
  EXPECT_EQ(archive.finishError().rfind("code/__torch__/a.py:3:2: ", 0), 0u)
      << archive.finishError();
}

TEST(ArchiveChecksTest, RefusesAnArchiveWithoutCode) {
  std::string bytes = archiveOf({{"data.pkl", "\x80\x02N."}});
  auto file = std::make_shared<caffe2::serialize::MemoryReadAdapter>(
      bytes.data(), static_cast<off_t>(bytes.size()));
  s2t::ArchiveChecks checks(file);
  // No read of the archive goes through, not even of its directory.
  EXPECT_FALSE(checks.awaitRead(0, 4));
  EXPECT_FALSE(checks.awaitRead(bytes.size() - 22, 22));
  try {
    checks.finish();
    ADD_FAILURE() << "accepted";
  } catch (const std::exception &e) {
    EXPECT_EQ(std::string(e.what()),
              "it holds no TorchScript code (a file written by torch.save, "
              "not by torch.jit.save?)");
  }
}

TEST(ArchiveChecksTest, RefusesAFileThatIsNoZip) {
  std::string bytes(64, 'x');
  auto file = std::make_shared<caffe2::serialize::MemoryReadAdapter>(
      bytes.data(), static_cast<off_t>(bytes.size()));
  s2t::ArchiveChecks checks(file);
  EXPECT_FALSE(checks.awaitRead(0, bytes.size()));
  try {
    checks.finish();
    ADD_FAILURE() << "accepted";
  } catch (const std::exception &e) {
    EXPECT_NE(std::string(e.what()).find("failed finding central directory"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
