//===- test/unit/SampleSpecBindingTest.cpp - Samples bound to a schema ----===//
//
// The binding of parsed samples to a method's arguments
// (io/sample/Binding.cpp): by position and by name, defaults, a tuple as the
// argument list, coercion to the declared types, and the messages of each
// mismatch.
//
//===----------------------------------------------------------------------===//
#include "SampleSpecTestSupport.h"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace sample_spec_test;

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
  for (const char *bad :
       {"f32[2,-1]", "f32[2,3", "f32[2.5]", "f32[2]@cuda", "q32[2]"})
    EXPECT_FALSE(usageErrorOf([&] { parseSampleLiteral(bad); }).empty()) << bad;
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
