//===- test/unit/TorchSaveTest.cpp - Reading torch.save's pickles ---------===//

#include "io/TorchSave.h"

#include <gtest/gtest.h>

namespace {

using namespace std::string_literals;

TEST(TorchSaveTest, OneElementListBecomesAppends) {
  // pickle.dumps([1], protocol=2)
  std::string pickle = "\x80\x02]q\x00K\x01""a."s;
  EXPECT_EQ(s2t::rewritePickleAppends(pickle), "\x80\x02]q\x00(K\x01""e."s);
}

TEST(TorchSaveTest, OneEntryDictBecomesSetitems) {
  // pickle.dumps({'a': 1}, protocol=2)
  std::string pickle = "\x80\x02}q\x00X\x01\x00\x00\x00""aq\x01K\x01s."s;
  EXPECT_EQ(s2t::rewritePickleAppends(pickle),
            "\x80\x02}q\x00(X\x01\x00\x00\x00""aq\x01K\x01u."s);
}

TEST(TorchSaveTest, NestedOneElementListsAndTuples) {
  // pickle.dumps(([[2]],), protocol=2): the inner append goes first.
  std::string pickle = "\x80\x02]q\x00]q\x01K\x02""aa\x85q\x02."s;
  EXPECT_EQ(s2t::rewritePickleAppends(pickle),
            "\x80\x02]q\x00(]q\x01(K\x02""ee\x85q\x02."s);
}

TEST(TorchSaveTest, UnknownOpcodesLeaveThePickleAlone) {
  std::string pickle = "\x80\x02\xff""a."s;
  EXPECT_EQ(s2t::rewritePickleAppends(pickle), pickle);
}

} // namespace

// Found by SampleSpecFuzzer: a torch.save file whose pickle holds a string
// length of gigabytes made LibTorch's unpickler allocate and fill that much
// (a timeout under the fuzzer). The length is now checked first.
TEST(TorchSaveTest, StringLengthPastTheEndIsAnError) {
  std::string pickle = "\x80\x02X\xff\xff\xff\x7f" "abc."s;
  EXPECT_THROW(s2t::rewritePickleAppends(pickle), std::runtime_error);
  std::string shortString = "\x80\x02\x8c\x09" "abc."s;
  EXPECT_THROW(s2t::rewritePickleAppends(shortString), std::runtime_error);
}

// Found by ArchiveFuzzer: a LONG_BINPUT memo index of 544 million in a
// .debug_pkl made LibTorch's unpickler size its memo table to 8.7 GB.
TEST(TorchSaveTest, MemoIndexPastThePickleIsAnError) {
  std::string pickle = "\x80\x02K\x01r\x00\x00\x00\x20" "."s;
  EXPECT_THROW(s2t::rewritePickleAppends(pickle), std::runtime_error);
  std::string fine = "\x80\x02K\x01r\x00\x00\x00\x00" "."s;
  EXPECT_EQ(s2t::rewritePickleAppends(fine), fine);
}

// Found by ArchiveFuzzer: a .debug_pkl whose first opcode after PROTO is
// BUILD, with nothing on the stack; LibTorch's unpickler popped an empty
// vector (SEGV under AddressSanitizer). Every opcode that takes values or a
// mark is checked against what the pickle put there.
TEST(TorchSaveTest, TakingMoreThanTheStackHoldsIsAnError) {
  auto message = [](const std::string &pickle) {
    try {
      s2t::rewritePickleAppends(pickle);
    } catch (const std::runtime_error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("\x80\x02" "b."s),
            "the pickle takes more values than it put on its stack (opcode "
            "0x62 at byte 2)");
  EXPECT_NE(message("\x80\x02" "t."s), "no error");        // TUPLE, no MARK
  EXPECT_NE(message("\x80\x02" "K\x01\x86."s), "no error"); // TUPLE2 of one
  EXPECT_NE(message("\x80\x02" "(K\x01" "e."s), "no error"); // APPENDS, no list
  EXPECT_NE(message("\x80\x02" "K\x01R."s), "no error");    // REDUCE of one
  EXPECT_NE(message("\x80\x02" "Q."s), "no error");         // BINPERSID
  // The same opcodes with what they take are fine.
  EXPECT_EQ(message("\x80\x02" "(K\x01K\x02t."s), "no error");
  EXPECT_EQ(message("\x80\x02" "K\x01K\x02\x86."s), "no error");
  EXPECT_EQ(message("\x80\x02" "](K\x01" "e."s), "no error");
}
