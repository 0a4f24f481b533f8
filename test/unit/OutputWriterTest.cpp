//===- test/unit/OutputWriterTest.cpp - Tests of writeAtomically ----------===//
//
// The atomic writer and the signals that arrive while it writes: a signal
// that has a handler of the program's own is left to that handler; a
// PendingFile, which holds its bytes in a temporary file until keep().
//
//===----------------------------------------------------------------------===//
#include "emit/OutputWriter.h"
#include "ir/Error.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t gHangups = 0;

extern "C" void countHangup(int) { gHangups = gHangups + 1; }

/// The whole contents of the file `path`.
std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The names in `folder`, but "." and "..".
std::vector<std::string> listFolder(const std::string &folder) {
  std::vector<std::string> names;
  if (DIR *dir = ::opendir(folder.c_str())) {
    while (dirent *entry = ::readdir(dir))
      if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
        names.push_back(entry->d_name);
    ::closedir(dir);
  }
  return names;
}

// Found on LibTorch 2.6, which loads UCX, whose SIGHUP handler only raises
// its log level: on a SIGHUP the writer removed its temporary file, re-raised
// the signal into that handler, went on, and failed its rename ("cannot
// write ...: No such file or directory"). A signal with a handler of its own
// (Python's SIGINT, too) is now left to it, and the write completes.
TEST(OutputWriterTest, SignalWithAHandlerOfItsOwnLetsTheWriteFinish) {
  struct sigaction action {}, previous{};
  action.sa_handler = countHangup;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGHUP, &action, &previous), 0);
  char folder[] = "/tmp/s2t-module-io-XXXXXX";
  ASSERT_NE(::mkdtemp(folder), nullptr);
  std::string path = std::string(folder) + "/out.txt";
  gHangups = 0;
  EXPECT_NO_THROW(s2t::writeAtomically(path, [](std::ostream &stream) {
    stream << "first ";
    std::raise(SIGHUP);
    stream << "second\n";
  }));
  ::sigaction(SIGHUP, &previous, nullptr);
  EXPECT_EQ(gHangups, 1);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "first second\n");
  EXPECT_EQ(listFolder(folder), std::vector<std::string>{"out.txt"});
  std::remove(path.c_str());
  ::rmdir(folder);
}

/// A new folder under /tmp, removed with what it holds.
class TemporaryFolder {
public:
  TemporaryFolder() {
    char name[] = "/tmp/s2t-output-writer-XXXXXX";
    if (::mkdtemp(name))
      path_ = name;
  }
  ~TemporaryFolder() {
    for (const std::string &name : listFolder(path_))
      std::remove((path_ + "/" + name).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

// The archive is streamed into a temporary file beside the target: the
// target keeps its old bytes until keep(), and a file never kept leaves
// nothing behind (s2t-opt renders its output first, then writes the side
// files, then keeps the output).
TEST(OutputWriterTest, PendingFileReplacesTheTargetOnlyOnKeep) {
  TemporaryFolder folder;
  ASSERT_FALSE(folder.path().empty());
  std::string path = folder.path() + "/out.pt";
  s2t::writeAtomically(path, [](std::ostream &stream) { stream << "old"; });
  {
    s2t::PendingFile file(path);
    file.stream() << "new bytes";
    file.stream().flush();
    EXPECT_EQ(readFile(path), "old");
    EXPECT_EQ(listFolder(folder.path()).size(), 2u); // out.pt and its temporary
    file.keep();
    EXPECT_EQ(readFile(path), "new bytes");
    file.keep(); // again: nothing
  }
  EXPECT_EQ(listFolder(folder.path()), std::vector<std::string>{"out.pt"});
  {
    s2t::PendingFile dropped(path);
    dropped.stream() << "never kept";
  }
  EXPECT_EQ(readFile(path), "new bytes");
  EXPECT_EQ(listFolder(folder.path()), std::vector<std::string>{"out.pt"});
}

// A target that is not a regular file is written in place, by keep() only.
TEST(OutputWriterTest, PendingFileWritesADeviceInPlaceOnKeep) {
  s2t::PendingFile file("/dev/null");
  file.stream() << "discarded";
  EXPECT_NO_THROW(file.keep());
}

// A folder that does not exist is an error at once, naming the path.
TEST(OutputWriterTest, PendingFileInAMissingFolderIsAnError) {
  try {
    s2t::PendingFile file("/nonexistent-s2t-folder/out.pt");
    FAIL() << "no error";
  } catch (const s2t::Error &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "cannot write '/nonexistent-s2t-folder/out.pt'"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
