//===- io/sample/SampleValues.h - What io/sample/ shares --------*- C++ -*-===//
//
// What the files of io/sample/ share and io/SampleSpec.h does not offer:
// the values a spec builds (numbers of a tensor literal, tensors made like
// torch.tensor, lists typed like the parser types them, @file samples), the
// dtype spellings, the printing of values for messages, and `guarded`, which
// turns LibTorch's exceptions into usage errors. Internal to io/sample/.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <ATen/ATen.h>
#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace s2t {
namespace sample {

//===----------------------------------------------------------------------===//
// Dtypes and tensors (SpecValues.cpp)
//===----------------------------------------------------------------------===//

/// The first accepted spelling of `type` ("float32", "int64", ...), as
/// messages name it.
std::string dtypeName(at::ScalarType type);
/// The dtype spelled `name` (without 'torch.'), if any.
std::optional<at::ScalarType> dtypeNamed(const std::string &name);

/// One number of a tensor literal (or a scalar turned into a tensor).
struct Number {
  enum Kind { Bool, Int, Float } kind = Int;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  size_t column = 0; ///< 0-based offset in the spec, for messages

  double asDouble() const;
  /// As Python prints it: True, 3, 0.5.
  std::string str() const;
};

/// Reports a value that does not fit the requested dtype.
using OverflowHandler =
    std::function<void(const Number &number, at::ScalarType type)>;

/// A tensor of `shape` holding `flat`, like torch.tensor: of `dtype`, or of
/// the dtype torch.tensor infers (bool < int64 < float32).
at::Tensor buildTensor(const std::vector<int64_t> &shape,
                       const std::vector<Number> &flat,
                       std::optional<at::ScalarType> dtype,
                       const OverflowHandler &onOverflow);
/// A 0-dim tensor exactly as torch.tensor(v) gives for a Python scalar.
at::Tensor scalarTensor(const c10::IValue &v);
/// A list typed by its elements: int[], float[] (ints and floats), bool[],
/// str[], Tensor[], else a generic list.
c10::IValue makeList(std::vector<c10::IValue> elems);
/// The value a torch.save file holds. Throws a usage error naming `path`.
c10::IValue readSampleFile(const std::string &path);

//===----------------------------------------------------------------------===//
// Printing values for messages (Describe.cpp)
//===----------------------------------------------------------------------===//

/// Shortest representation that round-trips, Python style: 0.1, 1.0, inf.
std::string formatDouble(double d);
/// "[2, 3]".
std::string shapeString(at::IntArrayRef sizes);
/// A Python-like rendering, cut after about 60 characters.
std::string repr(const c10::IValue &v);
/// "str 'hello'", "int 3", "Tensor of dtype float32 and shape [2]", ...
std::string describe(const c10::IValue &v);
/// A spec as quoted in a message: long ones are cut, so the message stays
/// one readable line.
std::string shortened(const std::string &text);

//===----------------------------------------------------------------------===//
// Shared by the parser and the binding
//===----------------------------------------------------------------------===//

/// The index of the first argument of `schema` that a sample is for: 1 after
/// a method's `self` (of a class type), else 0. (Binding.cpp)
size_t firstSampleArgument(const c10::FunctionSchema &schema);

/// Runs `f`, turning LibTorch's and the standard library's exceptions into
/// usage errors prefixed with `context`.
template <typename F> auto guarded(const std::string &context, F &&f) {
  try {
    return f();
  } catch (const Error &) {
    throw;
  } catch (const c10::Error &e) {
    rethrowIfOutOfMemory(e);
    usageError(context + ": " + firstMessageLine(e.what_without_backtrace()));
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    usageError(context + ": " + firstMessageLine(e.what()));
  }
}

} // namespace sample
} // namespace s2t
