//===- test/unit/OutputWriterTest.cpp - Tests of writeAtomically ----------===//
//
// The atomic writer and the signals that arrive while it writes: a signal
// that has a handler of the program's own is left to that handler.
//
//===----------------------------------------------------------------------===//
#include "emit/OutputWriter.h"

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

} // namespace
