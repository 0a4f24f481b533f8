//===- test/unit/SampleSpecParserTest.cpp - The spec grammar -------------===//
//
// The --specialize-input grammar (io/sample/SpecParser.cpp) and the values it
// builds (io/sample/SpecValues.cpp): scalars, strings, lists, tuples,
// tensors, shape-only tensors' syntax, NAME=, and @file samples.
//
//===----------------------------------------------------------------------===//
#include "SampleSpecTestSupport.h"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace sample_spec_test;

//===----------------------------------------------------------------------===//
// Scalars
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, Ints) {
  struct {
    const char *text;
    int64_t value;
  } cases[] = {
      {"3", 3},
      {"-3", -3},
      {"+7", 7},
      {"  42  ", 42},
      {"0", 0},
      {"007", 7},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
  };
  for (const auto &c : cases) {
    IValue v = parseSampleLiteral(c.text);
    ASSERT_TRUE(v.isInt()) << c.text << " gave " << v.tagKind();
    EXPECT_EQ(v.toInt(), c.value) << c.text;
  }
}

TEST(SampleSpecTest, IntOverflowIsAnError) {
  std::string msg = literalError("9223372036854775808");
  EXPECT_CONTAINS(msg, "malformed spec '9223372036854775808'");
  EXPECT_CONTAINS(msg, "does not fit in 64 bits");
  EXPECT_CONTAINS(msg, "at column 1");
  msg = literalError("-9223372036854775809");
  EXPECT_CONTAINS(msg, "does not fit in 64 bits");
  msg = specError("x=[1, 99999999999999999999]");
  EXPECT_CONTAINS(msg, "malformed spec 'x=[1, 99999999999999999999]'");
  EXPECT_CONTAINS(msg, "at column 7");
}

TEST(SampleSpecTest, Floats) {
  struct {
    const char *text;
    double value;
  } cases[] = {
      {"3.5", 3.5},
      {"-2.", -2.0},
      {"+0.25", 0.25},
      {"1e3", 1000.0},
      {"1.5e-3", 1.5e-3},
      {"2E+2", 200.0},
      {"-3e2", -300.0},
      {"0.1", 0.1},
      {"1.e2", 100.0},
      {"1e999", std::numeric_limits<double>::infinity()},
      {"inf", std::numeric_limits<double>::infinity()},
      {"+inf", std::numeric_limits<double>::infinity()},
      {"-inf", -std::numeric_limits<double>::infinity()},
  };
  for (const auto &c : cases) {
    IValue v = parseSampleLiteral(c.text);
    ASSERT_TRUE(v.isDouble()) << c.text << " gave " << v.tagKind();
    EXPECT_EQ(v.toDouble(), c.value) << c.text;
  }
  for (const char *text : {"nan", "-nan", "+nan"}) {
    IValue v = parseSampleLiteral(text);
    ASSERT_TRUE(v.isDouble()) << text;
    EXPECT_TRUE(std::isnan(v.toDouble())) << text;
  }
}

TEST(SampleSpecTest, MalformedNumbers) {
  EXPECT_CONTAINS(literalError("1e"), "malformed exponent at column 2");
  EXPECT_CONTAINS(literalError("1e+"), "malformed exponent at column 2");
  EXPECT_CONTAINS(literalError("1.2.3"), "malformed number at column 1");
  EXPECT_CONTAINS(literalError("12abc"), "malformed number at column 1");
  EXPECT_CONTAINS(literalError("-"), "expected a number at column 2");
  EXPECT_CONTAINS(literalError("-foo"), "expected a number, got 'foo'");
  EXPECT_CONTAINS(literalError(".5"), "unexpected '.' at column 1");
}

TEST(SampleSpecTest, BoolsAndNone) {
  for (const char *t : {"true", "True", " true "}) {
    IValue v = parseSampleLiteral(t);
    ASSERT_TRUE(v.isBool()) << t;
    EXPECT_TRUE(v.toBool());
  }
  for (const char *t : {"false", "False"}) {
    IValue v = parseSampleLiteral(t);
    ASSERT_TRUE(v.isBool()) << t;
    EXPECT_FALSE(v.toBool());
  }
  EXPECT_TRUE(parseSampleLiteral("None").isNone());
  EXPECT_CONTAINS(literalError("none"), "unknown name 'none'");
  EXPECT_CONTAINS(literalError("TRUE"), "unknown name 'TRUE'");
}

TEST(SampleSpecTest, Strings) {
  struct {
    const char *text;
    const char *value;
  } cases[] = {
      {R"("hello")", "hello"},
      {R"('hello world')", "hello world"},
      {R"("")", ""},
      {R"('it\'s')", "it's"},
      {R"("say \"hi\"")", "say \"hi\""},
      {R"("a'b")", "a'b"},
      {R"('a"b')", "a\"b"},
      {R"("back\\slash")", "back\\slash"},
      {R"("line\nnext\ttab")", "line\nnext\ttab"},
      {R"(  "x"  )", "x"},
  };
  for (const auto &c : cases) {
    IValue v = parseSampleLiteral(c.text);
    ASSERT_TRUE(v.isString()) << c.text;
    EXPECT_EQ(v.toStringRef(), c.value) << c.text;
  }
}

TEST(SampleSpecTest, StringErrors) {
  std::string msg = literalError(R"("abc)");
  EXPECT_CONTAINS(msg, "unterminated string at column 1");
  msg = literalError(R"('abc\')");
  EXPECT_CONTAINS(msg, "unterminated string at column 1");
  msg = literalError(R"("abc\)");
  EXPECT_CONTAINS(msg, "unterminated string");
  msg = literalError(R"("a\qb")");
  EXPECT_CONTAINS(msg, "unknown escape '\\q' at column 3");
  msg = literalError("hello");
  EXPECT_CONTAINS(msg, "unknown name 'hello' (strings must be quoted)");
}

//===----------------------------------------------------------------------===//
// Lists and tuples
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, TypedLists) {
  IValue ints = parseSampleLiteral("[1, -2, 3]");
  ASSERT_TRUE(ints.isIntList());
  EXPECT_EQ(ints.toIntVector(), (std::vector<int64_t>{1, -2, 3}));

  IValue floats = parseSampleLiteral("[1.5, 2.5]");
  ASSERT_TRUE(floats.isDoubleList());
  EXPECT_EQ(floats.toDoubleVector(), (std::vector<double>{1.5, 2.5}));

  IValue mixed = parseSampleLiteral("[1, 2.5, -3]");
  ASSERT_TRUE(mixed.isDoubleList());
  EXPECT_EQ(mixed.toDoubleVector(), (std::vector<double>{1.0, 2.5, -3.0}));

  IValue bools = parseSampleLiteral("[True, false]");
  ASSERT_TRUE(bools.isBoolList());
  EXPECT_EQ(bools.toBoolList().vec(), (std::vector<bool>{true, false}));

  IValue strs = parseSampleLiteral(R"(["a", 'b'])");
  ASSERT_TRUE(strs.isList());
  EXPECT_EQ(strs.toList().elementType()->kind(), c10::TypeKind::StringType);
  auto strList = c10::impl::toTypedList<std::string>(strs.toList());
  ASSERT_EQ(strList.size(), 2u);
  EXPECT_EQ(strList.get(0), "a");
  EXPECT_EQ(strList.get(1), "b");

  IValue tensors = parseSampleLiteral("[tensor([1]), tensor(2.0)]");
  ASSERT_TRUE(tensors.isTensorList());
  auto tl = tensors.toTensorVector();
  ASSERT_EQ(tl.size(), 2u);
  expectTensor(tl[0], at::tensor({int64_t(1)}, at::kLong));
  expectTensor(tl[1], at::scalar_tensor(2.0, at::kFloat));
}

TEST(SampleSpecTest, GenericLists) {
  // ints and bools do not mix: bool is not an int here.
  for (const char *text : {"[1, True]", "[1, 'a']", "[None, 1]",
                           "[[1, 2], [3]]", "[1, tensor([1])]"}) {
    IValue v = parseSampleLiteral(text);
    ASSERT_TRUE(v.isList()) << text;
    EXPECT_EQ(v.toList().elementType()->kind(), c10::TypeKind::AnyType) << text;
    EXPECT_EQ(v.toListRef().size(), 2u) << text;
  }
  IValue nested = parseSampleLiteral("[[1, 2], [3]]");
  auto elems = nested.toListRef();
  ASSERT_TRUE(elems[0].isIntList());
  EXPECT_EQ(elems[0].toIntVector(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(elems[1].toIntVector(), (std::vector<int64_t>{3}));

  IValue mixed = parseSampleLiteral("[1, 'a', None, 2.5]");
  auto m = mixed.toListRef();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].toInt(), 1);
  EXPECT_EQ(m[1].toStringRef(), "a");
  EXPECT_TRUE(m[2].isNone());
  EXPECT_EQ(m[3].toDouble(), 2.5);

  IValue empty = parseSampleLiteral("[ ]");
  ASSERT_TRUE(empty.isList());
  EXPECT_EQ(empty.toListRef().size(), 0u);
}

TEST(SampleSpecTest, ListSyntax) {
  IValue trailing = parseSampleLiteral(" [ 1 ,2, ] ");
  ASSERT_TRUE(trailing.isIntList());
  EXPECT_EQ(trailing.toIntVector(), (std::vector<int64_t>{1, 2}));

  EXPECT_CONTAINS(literalError("[1, 2"), "expected ']' at column 6");
  EXPECT_CONTAINS(literalError("[1 2]"),
                  "expected ',' or ']', got '2' at column 4");
  EXPECT_CONTAINS(literalError("[1,,2]"), "unexpected ',' at column 4");
  EXPECT_CONTAINS(literalError("[,]"), "unexpected ',' at column 2");
  EXPECT_CONTAINS(literalError("[1,"), "expected a value at column 4");
  EXPECT_CONTAINS(literalError("1]"),
                  "unexpected ']' after the value at column 2");
}

TEST(SampleSpecTest, Tuples) {
  IValue empty = parseSampleLiteral("()");
  ASSERT_TRUE(empty.isTuple());
  EXPECT_EQ(empty.toTupleRef().elements().size(), 0u);

  IValue one = parseSampleLiteral("( 5 , )");
  ASSERT_TRUE(one.isTuple());
  ASSERT_EQ(one.toTupleRef().elements().size(), 1u);
  EXPECT_EQ(one.toTupleRef().elements()[0].toInt(), 5);

  IValue three = parseSampleLiteral("(1, 2.5, 'a')");
  ASSERT_TRUE(three.isTuple());
  const auto &e = three.toTupleRef().elements();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].toInt(), 1);
  EXPECT_EQ(e[1].toDouble(), 2.5);
  EXPECT_EQ(e[2].toStringRef(), "a");

  IValue trailing = parseSampleLiteral("(1, 2,)");
  ASSERT_EQ(trailing.toTupleRef().elements().size(), 2u);

  IValue nested = parseSampleLiteral("((1,), [tensor([1.5]), None])");
  const auto &n = nested.toTupleRef().elements();
  ASSERT_EQ(n.size(), 2u);
  ASSERT_TRUE(n[0].isTuple());
  EXPECT_EQ(n[0].toTupleRef().elements()[0].toInt(), 1);
  ASSERT_TRUE(n[1].isList());
  expectTensor(n[1].toListRef()[0], at::tensor({1.5f}));
  EXPECT_TRUE(n[1].toListRef()[1].isNone());
}

TEST(SampleSpecTest, TupleErrors) {
  EXPECT_CONTAINS(
      literalError("(1)"),
      "expected ',' (write '(x,)' for a one-element tuple) at column 3");
  EXPECT_CONTAINS(literalError("(1, 2"), "expected ')' at column 6");
  EXPECT_CONTAINS(literalError("(1; 2)"),
                  "expected ',' or ')', got ';' at column 3");
  EXPECT_CONTAINS(literalError("(,)"), "unexpected ',' at column 2");
  EXPECT_CONTAINS(literalError("(1, 2))"),
                  "unexpected ')' after the value at column 7");
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, TensorDtypeInference) {
  expectTensor(parseSampleLiteral("tensor([1, 2, 3])"),
               at::tensor({int64_t(1), int64_t(2), int64_t(3)}, at::kLong));
  expectTensor(parseSampleLiteral("tensor([1, 2.5])"),
               at::tensor({1.0f, 2.5f}));
  expectTensor(parseSampleLiteral("tensor([True, False])"),
               boolTensor({true, false}));
  // bool < int64 < float32, like torch.tensor.
  expectTensor(parseSampleLiteral("tensor([True, 2])"),
               at::tensor({int64_t(1), int64_t(2)}, at::kLong));
  expectTensor(parseSampleLiteral("tensor([True, 1.5])"),
               at::tensor({1.0f, 1.5f}));
  expectTensor(parseSampleLiteral("tensor([[1, 2], [3, 4], [5, 6]])"),
               at::arange(1, 7, at::kLong).reshape({3, 2}));
  expectTensor(parseSampleLiteral("tensor([[[0.5]], [[1.5]]])"),
               at::tensor({0.5f, 1.5f}).reshape({2, 1, 1}));
}

TEST(SampleSpecTest, TensorShapes) {
  at::Tensor empty = literalTensor("tensor([])");
  EXPECT_EQ(empty.scalar_type(), at::kFloat);
  EXPECT_EQ(empty.sizes(), (std::vector<int64_t>{0}));

  at::Tensor empty2 = literalTensor("tensor([[], []])");
  EXPECT_EQ(empty2.scalar_type(), at::kFloat);
  EXPECT_EQ(empty2.sizes(), (std::vector<int64_t>{2, 0}));

  at::Tensor emptyInt = literalTensor("tensor([], dtype=int32)");
  EXPECT_EQ(emptyInt.scalar_type(), at::kInt);
  EXPECT_EQ(emptyInt.sizes(), (std::vector<int64_t>{0}));

  expectTensor(parseSampleLiteral("tensor(3.0)"),
               at::scalar_tensor(3.0, at::kFloat));
  expectTensor(parseSampleLiteral("tensor(-7)"),
               at::scalar_tensor(-7, at::kLong));
  expectTensor(parseSampleLiteral("tensor(True)"),
               at::scalar_tensor(true, at::kBool));
  expectTensor(parseSampleLiteral("tensor(2, dtype=float64)"),
               at::scalar_tensor(2.0, at::kDouble));
  EXPECT_EQ(literalTensor("tensor(3.0)").dim(), 0);

  at::Tensor special = literalTensor("tensor([inf, -inf, nan])");
  ASSERT_EQ(special.scalar_type(), at::kFloat);
  auto acc = special.accessor<float, 1>();
  EXPECT_EQ(acc[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(acc[1], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(acc[2]));
}

TEST(SampleSpecTest, TensorSyntax) {
  expectTensor(
      parseSampleLiteral("  tensor ( [ 1 , 2 , ] , dtype = torch.int16 )  "),
      at::tensor({1, 2}, at::kShort));
  expectTensor(parseSampleLiteral("tensor([1],)"),
               at::tensor({int64_t(1)}, at::kLong));
  expectTensor(parseSampleLiteral("torch.tensor([1.5])"), at::tensor({1.5f}));
  expectTensor(parseSampleLiteral("tensor([+1, -2])"),
               at::tensor({int64_t(1), int64_t(-2)}, at::kLong));
}

TEST(SampleSpecTest, TensorDtypeNames) {
  struct {
    const char *name;
    at::ScalarType type;
  } cases[] = {
      {"float32", at::kFloat},     {"float", at::kFloat},
      {"float64", at::kDouble},    {"double", at::kDouble},
      {"float16", at::kHalf},      {"half", at::kHalf},
      {"bfloat16", at::kBFloat16}, {"int64", at::kLong},
      {"long", at::kLong},         {"int32", at::kInt},
      {"int", at::kInt},           {"int16", at::kShort},
      {"short", at::kShort},       {"int8", at::kChar},
      {"uint8", at::kByte},        {"bool", at::kBool},
  };
  for (const auto &c : cases) {
    for (std::string prefix : {"", "torch."}) {
      std::string text = "tensor([1, 0], dtype=" + prefix + c.name + ")";
      at::Tensor t = literalTensor(text);
      ASSERT_TRUE(t.defined()) << text;
      EXPECT_EQ(t.scalar_type(), c.type) << text;
      EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2})) << text;
      EXPECT_TRUE(at::equal(t, at::tensor({1, 0}, at::kLong).to(c.type)))
          << text;
    }
  }
}

// Expected values come from Python: torch.tensor(data, dtype=...).
TEST(SampleSpecTest, TensorExplicitDtypeValuesMatchPython) {
  // 0.1 as float16 / bfloat16 / float32 bits.
  EXPECT_EQ(bitsOf<uint16_t>(literalTensor("tensor([0.1], dtype=float16)")),
            11878);
  EXPECT_EQ(bitsOf<uint16_t>(literalTensor("tensor([0.1], dtype=bfloat16)")),
            15821);
  EXPECT_EQ(bitsOf<uint32_t>(literalTensor("tensor([0.1], dtype=float32)")),
            1036831949u);
  EXPECT_EQ(bitsOf<uint32_t>(literalTensor("tensor([0.1])")), 1036831949u);
  double d01 = 0.1;
  uint64_t d01bits;
  std::memcpy(&d01bits, &d01, sizeof d01);
  EXPECT_EQ(bitsOf<uint64_t>(literalTensor("tensor([0.1], dtype=float64)")),
            d01bits);

  // Ints go through double: 2**53+1 -> 2**53, 2**24+1 -> 2**24.
  expectTensor(parseSampleLiteral("tensor([9007199254740993], dtype=float64)"),
               at::tensor({9007199254740992.0}, at::kDouble));
  expectTensor(parseSampleLiteral("tensor([16777217], dtype=float32)"),
               at::tensor({16777216.0f}));
  // Too large for float32: inf, as (float)double gives.
  expectTensor(parseSampleLiteral("tensor([1e300], dtype=float32)"),
               at::tensor({std::numeric_limits<float>::infinity()}));
  // Floats to ints truncate toward zero; negative ints wrap into uint8.
  expectTensor(parseSampleLiteral("tensor([3.7, -3.7], dtype=int64)"),
               at::tensor({int64_t(3), int64_t(-3)}, at::kLong));
  expectTensor(parseSampleLiteral("tensor([-1, 255], dtype=uint8)"),
               at::tensor({255, 255}, at::kByte));
  expectTensor(parseSampleLiteral("tensor([127, -128], dtype=int8)"),
               at::tensor({127, -128}, at::kChar));
  // bool: non-zero (nan included) is True.
  expectTensor(parseSampleLiteral("tensor([0.0, 0.5, nan, 0, -2], dtype=bool)"),
               boolTensor({false, true, true, false, true}));
  expectTensor(parseSampleLiteral("tensor([True, False], dtype=float16)"),
               at::tensor({1.0f, 0.0f}).to(at::kHalf));
}

TEST(SampleSpecTest, TensorDtypeOverflowIsAnError) {
  std::string msg = literalError("tensor([1, 300], dtype=int8)");
  EXPECT_CONTAINS(msg, "malformed spec 'tensor([1, 300], dtype=int8)'");
  EXPECT_CONTAINS(msg, "value 300 cannot be converted to dtype int8 without "
                       "overflow at column 12");
  msg = literalError("tensor([-1.0], dtype=uint8)");
  EXPECT_CONTAINS(msg, "value -1.0 cannot be converted to dtype uint8");
  msg = literalError("tensor([nan], dtype=int32)");
  EXPECT_CONTAINS(msg, "value nan cannot be converted to dtype int32");
  msg = literalError("tensor([inf], dtype=long)");
  EXPECT_CONTAINS(msg, "value inf cannot be converted to dtype int64");
}

TEST(SampleSpecTest, TensorErrors) {
  EXPECT_EQ(literalError("tensor([1,2"),
            "malformed spec 'tensor([1,2': expected ']' at column 12");
  EXPECT_EQ(specError("tensor([1,2"),
            "malformed spec 'tensor([1,2': expected ']' at column 12");
  EXPECT_CONTAINS(literalError("tensor([1,2]"), "expected ')' at column 13");
  EXPECT_CONTAINS(literalError("tensor([1,2]]"),
                  "expected ',' or ')', got ']' at column 13");
  EXPECT_CONTAINS(literalError("tensor[1]"),
                  "expected '(', got '[' at column 7");
  EXPECT_CONTAINS(literalError("tensor([[1], [2, 3]])"),
                  "ragged nested list: element of shape [2] after one of shape "
                  "[1] at column 14");
  EXPECT_CONTAINS(literalError("tensor([1, [2]])"),
                  "ragged nested list: element of shape [1] after one of shape "
                  "[] at column 12");
  EXPECT_CONTAINS(literalError("tensor([[1], 2])"), "ragged nested list");
  EXPECT_CONTAINS(literalError("tensor([[], [1]])"), "ragged nested list");
  EXPECT_CONTAINS(literalError("tensor(['a'])"),
                  "expected a number, got ''' at column 9");
  EXPECT_CONTAINS(literalError("tensor([None])"),
                  "expected a number, got 'None' at column 9");
  EXPECT_CONTAINS(literalError("tensor([1], dtype=complex64)"),
                  "unknown dtype 'complex64' at column 19");
  EXPECT_CONTAINS(literalError("tensor([1], dtype=torch.foo)"),
                  "unknown dtype 'torch.foo' at column 19");
  EXPECT_CONTAINS(literalError("tensor([1], dtype=)"),
                  "expected a dtype at column 19");
  EXPECT_CONTAINS(literalError("tensor([1], device='cpu')"),
                  "expected 'dtype=' at column 13");
  EXPECT_CONTAINS(literalError("tensor([1], dtype=int32"),
                  "expected ')' at column 24");
  EXPECT_CONTAINS(literalError("tensor()"),
                  "expected a number, got ')' at column 8");
}

//===----------------------------------------------------------------------===//
// Whole specs
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, EmptyAndTrailingGarbage) {
  EXPECT_EQ(specError(""), "malformed spec '': empty spec");
  EXPECT_EQ(specError("   "), "malformed spec '   ': empty spec");
  EXPECT_EQ(literalError(""), "malformed spec '': empty spec");
  EXPECT_EQ(specError("3 4"),
            "malformed spec '3 4': unexpected '4' after the value at column 3");
  EXPECT_CONTAINS(specError("tensor([1]) x"),
                  "unexpected 'x' after the value at column 13");
  EXPECT_CONTAINS(specError("'a' 'b'"), "after the value at column 5");
  EXPECT_CONTAINS(specError("x="), "expected a value after 'x=' at column 3");
  EXPECT_CONTAINS(specError("x=  "), "expected a value after 'x=' at column 5");
  EXPECT_CONTAINS(specError("=3"), "unexpected '=' at column 1");
  EXPECT_CONTAINS(specError("x==3"), "unknown name 'x'");
}

// Found by fuzzing (test/fuzz/SampleSpecFuzzer.cpp): a spec with a line break
// was quoted raw, so the message took two lines. Control characters are now
// written as escapes.
TEST(SampleSpecTest, MessagesAreOneLine) {
  EXPECT_EQ(specError("[1,\n2"),
            "malformed spec '[1,\\n2': expected ']' at column 6");
  EXPECT_EQ(specError("'a\r\x01"),
            "malformed spec ''a\\r\\x01': unterminated string at column 1");
}

TEST(SampleSpecTest, NamedSpecs) {
  SampleSpec s = parseSampleSpec("x=3");
  ASSERT_TRUE(s.name.has_value());
  EXPECT_EQ(*s.name, "x");
  EXPECT_EQ(s.value.toInt(), 3);
  EXPECT_FALSE(s.fromFile);
  EXPECT_EQ(s.text, "x=3");

  s = parseSampleSpec("  _y2 = [1.5, 2] ");
  ASSERT_TRUE(s.name.has_value());
  EXPECT_EQ(*s.name, "_y2");
  EXPECT_EQ(s.value.toDoubleVector(), (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(s.text, "  _y2 = [1.5, 2] ");

  s = parseSampleSpec("t=tensor([1], dtype=int32)");
  EXPECT_EQ(*s.name, "t");
  expectTensor(s.value, at::tensor({1}, at::kInt));

  // An argument may be called like a keyword of the grammar.
  s = parseSampleSpec("tensor=tensor(1)");
  EXPECT_EQ(*s.name, "tensor");
  expectTensor(s.value, at::scalar_tensor(1, at::kLong));

  // Not names: dtype= inside a tensor, values that merely start with a word.
  for (const char *text :
       {"tensor([1], dtype=int32)", "True", "None", "inf", "(1, 2)", "'x=3'"}) {
    SampleSpec unnamed = parseSampleSpec(text);
    EXPECT_FALSE(unnamed.name.has_value()) << text;
    EXPECT_FALSE(unnamed.fromFile) << text;
    EXPECT_EQ(unnamed.text, text);
  }
  expectTensor(parseSampleSpec("tensor([1], dtype=int32)").value,
               at::tensor({1}, at::kInt));
  EXPECT_EQ(parseSampleSpec("'x=3'").value.toStringRef(), "x=3");

  // Columns in messages count from the start of the whole spec.
  EXPECT_EQ(specError("x = [1, 2"),
            "malformed spec 'x = [1, 2': expected ']' at column 10");
}

//===----------------------------------------------------------------------===//
// @file
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, FileSpecs) {
  SampleFiles files;
  at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3});
  std::string tensorPath = files.save("t.pt", t);
  std::string tuplePath = files.save(
      "inputs.pt", c10::ivalue::Tuple::create({IValue(t), IValue(int64_t(4))}));

  SampleSpec s = parseSampleSpec("@" + tensorPath);
  EXPECT_TRUE(s.fromFile);
  EXPECT_FALSE(s.name.has_value());
  EXPECT_EQ(s.text, "@" + tensorPath);
  expectTensor(s.value, t);

  s = parseSampleSpec("x=@" + tensorPath);
  EXPECT_TRUE(s.fromFile);
  ASSERT_TRUE(s.name.has_value());
  EXPECT_EQ(*s.name, "x");
  expectTensor(s.value, t);

  s = parseSampleSpec(" x = @ " + tensorPath + " ");
  EXPECT_TRUE(s.fromFile);
  EXPECT_EQ(*s.name, "x");
  expectTensor(s.value, t);

  s = parseSampleSpec("@" + tuplePath);
  ASSERT_TRUE(s.value.isTuple());
  const auto &e = s.value.toTupleRef().elements();
  ASSERT_EQ(e.size(), 2u);
  expectTensor(e[0], t);
  EXPECT_EQ(e[1].toInt(), 4);
}

TEST(SampleSpecTest, FileErrors) {
  SampleFiles files;
  std::string missing = files.path("missing.pt");
  std::string msg = specError("@" + missing);
  EXPECT_CONTAINS(msg, "cannot read sample file '" + missing + "'");
  msg = specError("x=@" + missing);
  EXPECT_CONTAINS(msg, "cannot read sample file '" + missing + "'");

  std::string dir = files.path("");
  msg = specError("@" + dir);
  EXPECT_CONTAINS(msg, "cannot read sample file '" + dir + "'");
  EXPECT_CONTAINS(msg, "directory");

  std::string garbage =
      files.write("garbage.pt", {'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'});
  msg = specError("@" + garbage);
  EXPECT_CONTAINS(msg, "sample file '" + garbage +
                           "' is not a file written by torch.save");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  std::string empty = files.write("empty.pt", {});
  msg = specError("@" + empty);
  EXPECT_CONTAINS(msg, "sample file '" + empty +
                           "' is not a file written by torch.save");

  // A raw pickle (torch::pickle, not torch.save's zip) is not accepted.
  std::string rawPickle =
      files.write("raw.pkl", torch::jit::pickle(IValue(int64_t(3))));
  msg = specError("@" + rawPickle);
  EXPECT_CONTAINS(msg, "sample file '" + rawPickle +
                           "' is not a file written by torch.save");

  // A file we may not read (meaningless when running as root).
  std::string locked = files.save("locked.pt", IValue(int64_t(1)));
  std::filesystem::permissions(locked, std::filesystem::perms::none);
  if (!std::ifstream(locked, std::ios::binary)) {
    msg = specError("@" + locked);
    EXPECT_CONTAINS(msg, "cannot read sample file '" + locked + "'");
    EXPECT_CONTAINS(msg, "Permission denied");
  }

  EXPECT_CONTAINS(specError("@"), "expected a file name after '@' at column 2");
  EXPECT_CONTAINS(specError("x=@  "),
                  "expected a file name after '@' at column 4");
}
