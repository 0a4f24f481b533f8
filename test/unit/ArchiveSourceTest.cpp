//===- test/unit/ArchiveSourceTest.cpp - Class bodies checked before loading ===//
//
// checkArchiveSource refuses the class bodies LibTorch's importer reads out
// of bounds, whether it scans the record (method bodies skipped by the
// lexer) or, where the class level is not what torch.jit.save writes, parses
// it in full; the error names the record, line and column.
//
//===----------------------------------------------------------------------===//

#include "io/ArchiveSource.h"
#include "ir/Error.h"

#include <gtest/gtest.h>

#include <string>

namespace {

/// The message checkArchiveSource throws for `text`, or "" when it accepts it.
std::string errorOf(const std::string &text) {
  try {
    s2t::checkArchiveSource("code/__torch__.py", text);
  } catch (const s2t::Error &e) {
    return e.what();
  }
  return "";
}

const char *const kModule = R"(op_version_set = 8
import __torch__.m
class Threshold(Module):
  __parameters__ = ["weight", ]
  __buffers__ = []
  weight : Tensor
  training : bool
  __annotations__["sub"] = __torch__.m.Sub
  LIMIT : Final[int] = 3
  __forward_hooks__ = ["hook", ]
  def forward(self: __torch__.Threshold,
    x: Tensor) -> Tuple[Tensor, Tensor]:
    if bool(torch.gt(x, 0)):
      y = torch.relu(x)
    else:
      y = x
    return (y, x)
  def hook(self: __torch__.Threshold, input: Tuple[Tensor], output: Tensor) -> None:
    return None
def helper(x: Tensor) -> Tensor:
  return x
)";

TEST(ArchiveSourceTest, AcceptsWhatTorchJitSaveWrites) {
  EXPECT_EQ(errorOf(kModule), "");
}

TEST(ArchiveSourceTest, RefusesAConstantWithoutType) {
  std::string text = kModule;
  text.replace(text.find("LIMIT : Final[int] = 3"), 22, "LIMIT = 3");
  EXPECT_EQ(errorOf(text),
            "code/__torch__.py:9:2: class 'Threshold' assigns 'LIMIT' without "
            "a type; a class constant is saved as 'LIMIT : Final[T] = VALUE'");
}

TEST(ArchiveSourceTest, RefusesAHookWithoutItsMethod) {
  std::string text = kModule;
  text.replace(text.find("[\"hook\", ]"), 10, "[\"hook\", \"gone\", ]");
  EXPECT_EQ(errorOf(text), "code/__torch__.py:10:2: class 'Threshold' lists "
                           "hook 'gone' in __forward_hooks__ but defines no "
                           "method of that name");
}

TEST(ArchiveSourceTest, RefusesNamedTupleFieldsAndEnumMembersMissingTheirPart) {
  EXPECT_EQ(errorOf("class Pair(NamedTuple):\n  a : Tensor\n  b = 1\n"),
            "code/__torch__.py:3:2: NamedTuple 'Pair' has a field without a type");
  EXPECT_EQ(errorOf("class Color(Enum):\n  RED = 1\n  GREEN : int\n"),
            "code/__torch__.py:3:2: Enum 'Color' has a member without a value");
  EXPECT_EQ(errorOf("class Pair(NamedTuple):\n  a : Tensor\n  b : int = 1\n"), "");
}

// Method bodies are skipped, not parsed: a class after a body the parser
// would stop at is still checked.
TEST(ArchiveSourceTest, SkipsMethodBodies) {
  EXPECT_EQ(errorOf("class A(Module):\n"
                    "  def forward(self):\n"
                    "    return ) + (\n"
                    "class B(Module):\n"
                    "  K = 1\n"),
            "code/__torch__.py:5:2: class 'B' assigns 'K' without a type; a "
            "class constant is saved as 'K : Final[T] = VALUE'");
}

// Shapes torch.jit.save does not write at class level (a one-line method,
// a chained or tuple assignment, `pass`) are parsed in full, with the same
// checks.
TEST(ArchiveSourceTest, ParsesOtherShapesInFull) {
  const std::string constant =
      "code/__torch__.py:4:2: class 'A' assigns 'K' without a type; a class "
      "constant is saved as 'K : Final[T] = VALUE'";
  EXPECT_EQ(errorOf("class A(Module):\n"
                    "  def forward(self): return 1\n"
                    "  pass\n"
                    "  K = 1\n"),
            constant);
  EXPECT_EQ(errorOf("class A(Module):\n"
                    "  a, b = 1, 2\n"
                    "  c = d = 3\n"
                    "  K = 1\n"),
            constant);
  EXPECT_EQ(errorOf("class Color(Enum):\n  RED = 1\n  pass\n  GREEN : int\n"),
            "code/__torch__.py:4:2: Enum 'Color' has a member without a value");
  // Source that does not parse is left to torch::jit::load.
  EXPECT_EQ(errorOf("class A(Module):\n  K = = 1\n"), "");
}

} // namespace
