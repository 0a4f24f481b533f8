//===- test/unit/TorchSaveTest.cpp - Reading torch.save's pickles ---------===//

#include "ir/TorchSave.h"

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
