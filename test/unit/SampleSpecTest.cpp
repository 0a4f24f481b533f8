//===- test/unit/SampleSpecTest.cpp - Tests of ir/SampleSpec
//---------------===//
//
// The --specialize-input grammar, @file samples (written at test time with
// torch::jit::pickle_save, which produces torch.save's zip format), and the
// binding of samples to a method schema.
//
//===----------------------------------------------------------------------===//
#include "io/SampleSpec.h"

#include "ir/Error.h"

#include <ATen/ATen.h>
#include <ATen/core/class_type.h>
#include <ATen/core/jit_type.h>
#include <torch/csrc/jit/frontend/function_schema_parser.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using c10::IValue;
using s2t::bindSampleSpecs;
using s2t::parseSampleLiteral;
using s2t::parseSampleSpec;
using s2t::SampleSpec;

namespace {

/// Runs `f`, which must throw a usage s2t::Error, and returns its message.
std::string usageErrorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const s2t::Error &e) {
    EXPECT_EQ(e.kind(), s2t::ErrorKind::Usage) << e.what();
    return e.what();
  } catch (const std::exception &e) {
    ADD_FAILURE() << "expected s2t::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected s2t::Error, nothing was thrown";
  return "";
}

std::string literalError(const std::string &text) {
  return usageErrorOf([&] { parseSampleLiteral(text); });
}
std::string specError(const std::string &text) {
  return usageErrorOf([&] { parseSampleSpec(text); });
}

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

/// A tensor literal must have exactly this dtype, shape and contents.
void expectTensor(const IValue &v, const at::Tensor &expected) {
  ASSERT_TRUE(v.isTensor()) << v.tagKind();
  const at::Tensor &t = v.toTensor();
  EXPECT_EQ(t.scalar_type(), expected.scalar_type());
  EXPECT_EQ(t.sizes(), expected.sizes());
  if (t.scalar_type() == expected.scalar_type() &&
      t.sizes() == expected.sizes()) {
    EXPECT_TRUE(at::equal(t, expected)) << t << "\nvs\n" << expected;
  }
}

at::Tensor literalTensor(const std::string &text) {
  IValue v = parseSampleLiteral(text);
  EXPECT_TRUE(v.isTensor()) << text;
  return v.isTensor() ? v.toTensor() : at::Tensor();
}

/// Bits of a one-element tensor, to compare floating values exactly.
template <typename Bits> Bits bitsOf(const at::Tensor &t) {
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.element_size(), static_cast<int64_t>(sizeof(Bits)));
  Bits b;
  std::memcpy(&b, t.data_ptr(), sizeof(Bits));
  return b;
}

/// at::tensor() has no bool overload in LibTorch 1.13.
at::Tensor boolTensor(std::initializer_list<bool> values) {
  std::vector<int64_t> ints(values.begin(), values.end());
  return at::tensor(ints, at::kLong).to(at::kBool);
}

/// Parses "forward(Tensor x, ...) -> ..." and, if withSelf, prepends a `self`
/// argument of a module class type like TorchScript methods have.
c10::FunctionSchema makeSchema(const std::string &signature,
                               bool withSelf = true) {
  c10::FunctionSchema parsed = torch::jit::parseSchema(signature);
  if (!withSelf)
    return parsed;
  std::vector<c10::Argument> args;
  args.emplace_back("self", c10::ClassType::create(
                                c10::QualifiedName("__torch__.M"),
                                std::weak_ptr<torch::jit::CompilationUnit>(),
                                /*is_module=*/true));
  for (const auto &a : parsed.arguments())
    args.push_back(a);
  return c10::FunctionSchema(parsed.name(), parsed.overload_name(), args,
                             parsed.returns());
}

/// A schema with hand-made argument types (for types the schema parser does
/// not spell, like unions).
c10::FunctionSchema makeSchema(std::vector<c10::Argument> userArgs) {
  std::vector<c10::Argument> args;
  args.emplace_back("self", c10::ClassType::create(
                                c10::QualifiedName("__torch__.M"),
                                std::weak_ptr<torch::jit::CompilationUnit>(),
                                /*is_module=*/true));
  for (auto &a : userArgs)
    args.push_back(std::move(a));
  return c10::FunctionSchema("forward", "", args, {});
}

std::vector<SampleSpec> specs(const std::vector<std::string> &texts) {
  std::vector<SampleSpec> out;
  for (const auto &t : texts)
    out.push_back(parseSampleSpec(t));
  return out;
}

std::vector<IValue> bind(const std::vector<std::string> &texts,
                         const c10::FunctionSchema &schema) {
  return bindSampleSpecs(specs(texts), schema);
}

std::string bindError(const std::vector<std::string> &texts,
                      const c10::FunctionSchema &schema) {
  return usageErrorOf([&] { bind(texts, schema); });
}

/// A fresh directory for @file fixtures, removed afterwards.
class SampleFiles {
public:
  SampleFiles() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "s2t-spec-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char *dir = mkdtemp(buf.data());
    if (!dir)
      throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
  }
  ~SampleFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const std::string &name) const {
    return (dir_ / name).string();
  }
  /// Writes `value` like Python's torch.save would.
  std::string save(const std::string &name, const IValue &value) const {
    return write(name, torch::jit::pickle_save(value));
  }
  std::string write(const std::string &name,
                    const std::vector<char> &bytes) const {
    std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

private:
  std::filesystem::path dir_;
};

} // namespace

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
  EXPECT_EQ(
      specError("3 4"),
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

//===----------------------------------------------------------------------===//
// Binding to a schema
//===----------------------------------------------------------------------===//

TEST(SampleSpecTest, BindPositional) {
  auto schema =
      makeSchema("forward(Tensor x, float y, int z, str s, bool b) -> Tensor");
  auto values = bind({"tensor([1.5])", "2.5", "7", "'hi'", "True"}, schema);
  ASSERT_EQ(values.size(), 5u);
  expectTensor(values[0], at::tensor({1.5f}));
  EXPECT_EQ(values[1].toDouble(), 2.5);
  EXPECT_EQ(values[2].toInt(), 7);
  EXPECT_EQ(values[3].toStringRef(), "hi");
  EXPECT_EQ(values[4].toBool(), true);
}

TEST(SampleSpecTest, BindWithoutSelf) {
  auto schema = makeSchema("f(Tensor x, int y) -> Tensor", /*withSelf=*/false);
  auto values = bind({"1.0", "2"}, schema);
  ASSERT_EQ(values.size(), 2u);
  expectTensor(values[0], at::scalar_tensor(1.0, at::kFloat));
  EXPECT_EQ(values[1].toInt(), 2);
  EXPECT_EQ(bindError({"1"}, schema), "missing sample for argument 'y' (int)");
}

TEST(SampleSpecTest, BindNamed) {
  auto schema = makeSchema("forward(Tensor x, float y, int z=3) -> Tensor");
  auto values = bind({"z=5", "y=1", "x=tensor([2])"}, schema);
  ASSERT_EQ(values.size(), 3u);
  expectTensor(values[0], at::tensor({int64_t(2)}, at::kLong));
  ASSERT_TRUE(values[1].isDouble());
  EXPECT_EQ(values[1].toDouble(), 1.0);
  EXPECT_EQ(values[2].toInt(), 5);

  values = bind({"tensor([2])", "y=0.5"}, schema);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[1].toDouble(), 0.5);
  EXPECT_EQ(values[2].toInt(), 3);
}

TEST(SampleSpecTest, BindNameErrors) {
  auto schema = makeSchema("forward(Tensor x, float y) -> Tensor");
  std::string msg = bindError({"w=1"}, schema);
  EXPECT_CONTAINS(msg, "unknown argument 'w'");
  EXPECT_CONTAINS(msg, "'w=1'");
  EXPECT_CONTAINS(msg, "(x, y)");
  EXPECT_EQ(msg,
            "sample 'w=1' names unknown argument 'w'; method 'forward' takes "
            "2 arguments (x, y)");
  // self is not a user argument.
  EXPECT_CONTAINS(bindError({"self=1"}, schema), "unknown argument 'self'");

  EXPECT_EQ(bindError({"1.0", "x=2.0"}, schema),
            "argument 'x' is given twice ('1.0' and 'x=2.0')");
  EXPECT_EQ(bindError({"y=1.0", "y=2.0"}, schema),
            "argument 'y' is given twice ('y=1.0' and 'y=2.0')");
  EXPECT_EQ(bindError({"x=1.0", "2.0"}, schema),
            "positional sample '2.0' follows the named sample 'x=1.0'");
}

TEST(SampleSpecTest, BindDefaultsAndMissing) {
  auto schema = makeSchema("forward(Tensor x, Tensor y, float a=1.5, int[] "
                           "b=[1, 2], Tensor? c=None, str d=\"s\") -> Tensor");
  auto values = bind({"1", "2"}, schema);
  ASSERT_EQ(values.size(), 6u);
  expectTensor(values[0], at::scalar_tensor(1, at::kLong));
  expectTensor(values[1], at::scalar_tensor(2, at::kLong));
  EXPECT_EQ(values[2].toDouble(), 1.5);
  EXPECT_EQ(values[3].toIntVector(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(values[4].isNone());
  EXPECT_EQ(values[5].toStringRef(), "s");

  EXPECT_EQ(bindError({"1"}, schema),
            "missing sample for argument 'y' (Tensor)");
  EXPECT_EQ(bindError({"y=1"}, schema),
            "missing sample for argument 'x' (Tensor)");
  EXPECT_EQ(bindError({}, schema), "missing sample for argument 'x' (Tensor)");
}

TEST(SampleSpecTest, BindTooMany) {
  auto one = makeSchema("forward(Tensor x) -> Tensor");
  EXPECT_EQ(bindError({"1", "2"}, one),
            "too many samples: method 'forward' takes 1 argument (x), got 2");
  auto none = makeSchema("forward() -> Tensor");
  EXPECT_EQ(bindError({"1"}, none),
            "too many samples: method 'forward' takes no arguments, got 1");
  EXPECT_TRUE(bind({}, none).empty());
  auto two = makeSchema("forward(Tensor x, Tensor y) -> Tensor");
  EXPECT_EQ(
      bindError({"(1, 2, 3)"}, two),
      "too many samples: method 'forward' takes 2 arguments (x, y), got 3 "
      "from the tuple in '(1, 2, 3)'");
}

TEST(SampleSpecTest, BindTupleAsArgumentList) {
  SampleFiles files;
  at::Tensor t = at::ones({2}, at::kFloat);
  std::string inputs = files.save(
      "inputs.pt", c10::ivalue::Tuple::create({IValue(t), IValue(int64_t(4))}));

  // More than one argument: the tuple is the argument list.
  auto two = makeSchema("forward(Tensor x, float y) -> Tensor");
  auto values = bind({"@" + inputs}, two);
  ASSERT_EQ(values.size(), 2u);
  expectTensor(values[0], t);
  ASSERT_TRUE(values[1].isDouble());
  EXPECT_EQ(values[1].toDouble(), 4.0);
  values = bind({"(tensor([1.0, 1.0]), 4)"}, two);
  expectTensor(values[0], t);
  EXPECT_EQ(values[1].toDouble(), 4.0);
  // With a default left out.
  auto withDefault =
      makeSchema("forward(Tensor x, float y, int z=9) -> Tensor");
  values = bind({"@" + inputs}, withDefault);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[2].toInt(), 9);

  // One non-tuple argument: a one-element tuple is the argument list.
  std::string single =
      files.save("single.pt", c10::ivalue::Tuple::create({IValue(t)}));
  auto one = makeSchema("forward(Tensor x) -> Tensor");
  values = bind({"@" + single}, one);
  ASSERT_EQ(values.size(), 1u);
  expectTensor(values[0], t);
  EXPECT_EQ(bindError({"@" + inputs}, one),
            "too many samples: method 'forward' takes 1 argument (x), got 2 "
            "from the tuple in '@" +
                inputs + "'");

  // One tuple argument: the tuple is that argument.
  auto tupleArg = makeSchema("forward((Tensor, int) x) -> Tensor");
  values = bind({"@" + inputs}, tupleArg);
  ASSERT_EQ(values.size(), 1u);
  ASSERT_TRUE(values[0].isTuple());
  expectTensor(values[0].toTupleRef().elements()[0], t);
  EXPECT_EQ(values[0].toTupleRef().elements()[1].toInt(), 4);
  auto optTupleArg = makeSchema("forward((Tensor, int)? x) -> Tensor");
  values = bind({"@" + inputs}, optTupleArg);
  ASSERT_TRUE(values[0].isTuple());

  // A named tuple is never spread.
  values = bind({"x=(1, 2)"}, makeSchema("forward(Any x) -> Tensor"));
  ASSERT_TRUE(values[0].isTuple());
  // Nor is a tuple among several specs.
  values = bind({"(1, 2)", "3"},
                makeSchema("forward((int, int) x, int y) -> Tensor"));
  ASSERT_TRUE(values[0].isTuple());
  EXPECT_EQ(values[1].toInt(), 3);

  // The empty tuple for a method without arguments.
  EXPECT_TRUE(bind({"()"}, makeSchema("forward() -> Tensor")).empty());
}

TEST(SampleSpecTest, CoerceScalarsToTensors) {
  auto schema = makeSchema("forward(Tensor x) -> Tensor");
  // Exactly torch.tensor(3.0), torch.tensor(3), torch.tensor(True).
  expectTensor(bind({"3.0"}, schema)[0], at::scalar_tensor(3.0, at::kFloat));
  expectTensor(bind({"0.1"}, schema)[0], at::scalar_tensor(0.1f, at::kFloat));
  expectTensor(bind({"3"}, schema)[0], at::scalar_tensor(3, at::kLong));
  expectTensor(
      bind({"-9223372036854775808"}, schema)[0],
      at::scalar_tensor(std::numeric_limits<int64_t>::min(), at::kLong));
  expectTensor(bind({"True"}, schema)[0], at::scalar_tensor(true, at::kBool));
  EXPECT_EQ(bind({"3.0"}, schema)[0].toTensor().dim(), 0);

  EXPECT_EQ(bindError({"'hello'"}, schema),
            "argument 'x' (position 1) expects Tensor, got str 'hello'");
  EXPECT_EQ(bindError({"None"}, schema),
            "argument 'x' (position 1) expects Tensor, got None");
  EXPECT_EQ(bindError({"[1, 2]"}, schema),
            "argument 'x' (position 1) expects Tensor, got list [1, 2] "
            "(write tensor([...]) for a tensor)");
}

TEST(SampleSpecTest, CoerceExactScalars) {
  auto schema = makeSchema(
      "forward(float f, int i, bool b, str s, NoneType n) -> Tensor");
  auto values = bind({"3", "4", "False", "'s'", "None"}, schema);
  ASSERT_TRUE(values[0].isDouble());
  EXPECT_EQ(values[0].toDouble(), 3.0);
  EXPECT_EQ(values[1].toInt(), 4);
  EXPECT_EQ(values[2].toBool(), false);
  EXPECT_EQ(values[3].toStringRef(), "s");
  EXPECT_TRUE(values[4].isNone());

  auto err = [&](const std::vector<std::string> &texts) {
    return bindError(texts, schema);
  };
  EXPECT_EQ(err({"True", "4", "False", "'s'", "None"}),
            "argument 'f' (position 1) expects float, got bool True");
  EXPECT_EQ(err({"1.0", "4.0", "False", "'s'", "None"}),
            "argument 'i' (position 2) expects int, got float 4.0");
  EXPECT_EQ(err({"1.0", "True", "False", "'s'", "None"}),
            "argument 'i' (position 2) expects int, got bool True");
  EXPECT_EQ(err({"1.0", "4", "1", "'s'", "None"}),
            "argument 'b' (position 3) expects bool, got int 1");
  EXPECT_EQ(err({"1.0", "4", "True", "3", "None"}),
            "argument 's' (position 4) expects str, got int 3");
  EXPECT_EQ(err({"1.0", "4", "True", "'s'", "0"}),
            "argument 'n' (position 5) expects NoneType, got int 0");
  EXPECT_EQ(err({"1.0", "4", "True", "'s'", "tensor([1.5, 2.0])"}),
            "argument 'n' (position 5) expects NoneType, got Tensor of dtype "
            "float32 and shape [2]");
}

TEST(SampleSpecTest, CoerceOptional) {
  auto schema = makeSchema("forward(int? i, float? f, Tensor? t) -> Tensor");
  auto values = bind({"None", "None", "None"}, schema);
  EXPECT_TRUE(values[0].isNone());
  EXPECT_TRUE(values[1].isNone());
  EXPECT_TRUE(values[2].isNone());
  values = bind({"3", "3", "3"}, schema);
  EXPECT_EQ(values[0].toInt(), 3);
  ASSERT_TRUE(values[1].isDouble());
  EXPECT_EQ(values[1].toDouble(), 3.0);
  expectTensor(values[2], at::scalar_tensor(3, at::kLong));
  EXPECT_EQ(bindError({"'a'", "None", "None"}, schema),
            "argument 'i' (position 1) expects Optional[int], got str 'a'");
}

TEST(SampleSpecTest, CoerceLists) {
  auto schema = makeSchema(
      "forward(float[] f, int[] i, Tensor[] t, bool[] b, str[] s) -> Tensor");
  auto values =
      bind({"[1, 2]", "[3, 4]", "[1, 2.5, True]", "[True]", "['a']"}, schema);
  ASSERT_TRUE(values[0].isDoubleList());
  EXPECT_EQ(values[0].toDoubleVector(), (std::vector<double>{1.0, 2.0}));
  ASSERT_TRUE(values[1].isIntList());
  EXPECT_EQ(values[1].toIntVector(), (std::vector<int64_t>{3, 4}));
  ASSERT_TRUE(values[2].isTensorList());
  auto tensors = values[2].toTensorVector();
  ASSERT_EQ(tensors.size(), 3u);
  expectTensor(tensors[0], at::scalar_tensor(1, at::kLong));
  expectTensor(tensors[1], at::scalar_tensor(2.5, at::kFloat));
  expectTensor(tensors[2], at::scalar_tensor(true, at::kBool));
  ASSERT_TRUE(values[3].isBoolList());
  EXPECT_EQ(values[4].toList().elementType()->kind(),
            c10::TypeKind::StringType);

  // Empty lists get the declared element type.
  values = bind({"[]", "[]", "[]", "[]", "[]"}, schema);
  ASSERT_TRUE(values[0].isDoubleList());
  EXPECT_EQ(values[0].toDoubleList().size(), 0u);
  ASSERT_TRUE(values[1].isIntList());
  ASSERT_TRUE(values[2].isTensorList());
  ASSERT_TRUE(values[3].isBoolList());
  EXPECT_EQ(values[4].toList().elementType()->kind(),
            c10::TypeKind::StringType);

  EXPECT_EQ(bindError({"[1, 2]", "[1, 'a']", "[]", "[]", "[]"}, schema),
            "argument 'i' (position 2) expects List[int], got list [1, 'a']: "
            "element [1] expects int, got str 'a'");
  EXPECT_EQ(bindError({"(1, 2)", "[]", "[]", "[]", "[]"}, schema),
            "argument 'f' (position 1) expects List[float], got tuple (1, 2)");
  EXPECT_EQ(bindError({"[]", "[1, 2.5]", "[]", "[]", "[]"}, schema),
            "argument 'i' (position 2) expects List[int], got list [1.0, 2.5]: "
            "element [0] expects int, got float 1.0");

  auto nested = makeSchema("forward(int[][] x) -> Tensor");
  values = bind({"[[1, 2], [], [3]]"}, nested);
  ASSERT_TRUE(values[0].isList());
  auto outer = values[0].toListRef();
  ASSERT_EQ(outer.size(), 3u);
  ASSERT_TRUE(outer[1].isIntList());
  EXPECT_EQ(outer[0].toIntVector(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(outer[2].toIntVector(), (std::vector<int64_t>{3}));
  EXPECT_EQ(bindError({"[[1], [2, 'x']]"}, nested),
            "argument 'x' (position 1) expects List[List[int]], got list [[1], "
            "[2, 'x']]: "
            "element [1][1] expects int, got str 'x'");

  auto optElems = makeSchema("forward(Tensor?[] x) -> Tensor");
  values = bind({"[None, 2.0]"}, optElems);
  auto elems = values[0].toListRef();
  EXPECT_TRUE(elems[0].isNone());
  expectTensor(elems[1], at::scalar_tensor(2.0, at::kFloat));
}

TEST(SampleSpecTest, CoerceTuples) {
  auto schema = makeSchema("forward((Tensor, float) x) -> Tensor");
  auto values = bind({"x=(1, 2)"}, schema);
  ASSERT_TRUE(values[0].isTuple());
  const auto &e = values[0].toTupleRef().elements();
  ASSERT_EQ(e.size(), 2u);
  expectTensor(e[0], at::scalar_tensor(1, at::kLong));
  ASSERT_TRUE(e[1].isDouble());
  EXPECT_EQ(e[1].toDouble(), 2.0);

  EXPECT_EQ(bindError({"x=(1, 2, 3)"}, schema),
            "argument 'x' (position 1) expects Tuple[Tensor, float], got tuple "
            "(1, 2, 3) (3 elements instead of 2)");
  EXPECT_EQ(bindError({"x=(1, 'a')"}, schema),
            "argument 'x' (position 1) expects Tuple[Tensor, float], got tuple "
            "(1, 'a'): element [1] expects float, got str 'a'");
  EXPECT_EQ(bindError({"x=[1, 2]"}, schema),
            "argument 'x' (position 1) expects Tuple[Tensor, float], got list "
            "[1, 2]");
}

TEST(SampleSpecTest, CoerceAnyNumberUnion) {
  auto schema = makeSchema("forward(Any a, Scalar s, Scalar t) -> Tensor");
  auto values = bind({"'x'", "3", "2.5"}, schema);
  EXPECT_EQ(values[0].toStringRef(), "x");
  ASSERT_TRUE(values[1].isInt());
  EXPECT_EQ(values[1].toInt(), 3);
  ASSERT_TRUE(values[2].isDouble());
  EXPECT_EQ(values[2].toDouble(), 2.5);
  EXPECT_EQ(bindError({"1", "'a'", "1"}, schema),
            "argument 's' (position 2) expects number, got str 'a'");
  EXPECT_CONTAINS(bindError({"1", "True", "1"}, schema),
                  "argument 's' (position 2) expects number, got bool True");

  // Unions prefer an exact match over a conversion.
  auto unionSchema = makeSchema({
      c10::Argument("u", c10::UnionType::create(
                             {c10::TensorType::get(), c10::IntType::get()})),
      c10::Argument("v", c10::UnionType::create(
                             {c10::FloatType::get(), c10::StringType::get()})),
  });
  values = bind({"3", "3"}, unionSchema);
  ASSERT_TRUE(values[0].isInt());
  EXPECT_EQ(values[0].toInt(), 3);
  ASSERT_TRUE(values[1].isDouble());
  EXPECT_EQ(values[1].toDouble(), 3.0);
  values = bind({"2.5", "'s'"}, unionSchema);
  expectTensor(values[0], at::scalar_tensor(2.5, at::kFloat));
  EXPECT_EQ(values[1].toStringRef(), "s");
  EXPECT_CONTAINS(
      bindError({"None", "1"}, unionSchema),
      "argument 'u' (position 1) expects Union[Tensor, int], got None");
}

TEST(SampleSpecTest, CoerceDictFromFile) {
  SampleFiles files;
  c10::impl::GenericDict dict(c10::AnyType::get(), c10::AnyType::get());
  dict.insert(IValue(std::string("a")), IValue(int64_t(1)));
  dict.insert(IValue(std::string("b")), IValue(2.5));
  std::string path = files.save("dict.pt", IValue(dict));
  auto schema = makeSchema("forward(Dict(str, float) d) -> Tensor");
  auto values = bind({"@" + path}, schema);
  ASSERT_TRUE(values[0].isGenericDict());
  auto out = values[0].toGenericDict();
  EXPECT_EQ(out.keyType()->kind(), c10::TypeKind::StringType);
  EXPECT_EQ(out.valueType()->kind(), c10::TypeKind::FloatType);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.at(IValue(std::string("a"))).toDouble(), 1.0);
  EXPECT_EQ(out.at(IValue(std::string("b"))).toDouble(), 2.5);

  auto intValues = makeSchema("forward(Dict(str, int) d) -> Tensor");
  EXPECT_CONTAINS(bindError({"@" + path}, intValues),
                  "element ['b'] expects int, got float 2.5");
}

TEST(SampleSpecTest, CoerceValuesFromFiles) {
  SampleFiles files;
  // Lists read back from a pickle are generic; they are typed on binding.
  c10::impl::GenericList generic(c10::AnyType::get());
  generic.push_back(IValue(int64_t(1)));
  generic.push_back(IValue(int64_t(2)));
  std::string path = files.save("list.pt", IValue(generic));
  auto values =
      bind({"x=@" + path}, makeSchema("forward(float[] x) -> Tensor"));
  ASSERT_TRUE(values[0].isDoubleList());
  EXPECT_EQ(values[0].toDoubleVector(), (std::vector<double>{1.0, 2.0}));

  std::string tensorPath = files.save("t.pt", at::ones({3}, at::kDouble));
  EXPECT_EQ(
      bindError({"@" + tensorPath}, makeSchema("forward(int x) -> Tensor")),
      "argument 'x' (position 1) expects int, got Tensor of dtype float64 "
      "and shape [3]");
}

TEST(SampleSpecTest, ShapeOnlyTensors) {
  struct {
    const char *text;
    at::ScalarType dtype;
    std::vector<int64_t> sizes;
  } cases[] = {
      {"f32[2,3]", at::kFloat, {2, 3}},
      {"i64[8]", at::kLong, {8}},
      {"bool[]", at::kBool, {}},
      {"f16[1, 3, 224, 224]@cpu", at::kHalf, {1, 3, 224, 224}},
      {"bf16[0]", at::kBFloat16, {0}},
      {"u8[4,4]", at::kByte, {4, 4}},
  };
  for (const auto &c : cases) {
    IValue v = parseSampleLiteral(c.text);
    ASSERT_TRUE(s2t::isShapeOnlySample(v)) << c.text;
    EXPECT_EQ(v.toTensor().scalar_type(), c.dtype) << c.text;
    EXPECT_EQ(v.toTensor().sizes().vec(), c.sizes) << c.text;
  }
  // Nested in a list, for a Tensor[] argument.
  IValue list = parseSampleLiteral("[f32[2], f32[3]]");
  ASSERT_TRUE(list.isList());
  EXPECT_TRUE(s2t::isShapeOnlySample(list.toListRef()[1]));
  for (const char *bad : {"f32[2,-1]", "f32[2,3", "f32[2.5]", "f32[2]@cuda",
                          "q32[2]"})
    EXPECT_FALSE(usageErrorOf([&] { parseSampleLiteral(bad); }).empty())
        << bad;
}

TEST(SampleSpecTest, UnknownArgument) {
  auto schema = makeSchema("forward(Tensor x, int n) -> Tensor");
  std::vector<IValue> values = bind({"tensor([1.0])", "n=?"}, schema);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_FALSE(s2t::isUnknownSample(values[0]));
  EXPECT_TRUE(s2t::isUnknownSample(values[1]));
  EXPECT_TRUE(s2t::isUnknownSample(bind({"?", "3"}, schema)[0]));
  // A shape-only tensor is no int.
  EXPECT_NE(bindError({"f32[2]", "i64[2]"}, schema).find("argument 'n'"),
            std::string::npos);
}
