//===- io/sample/SpecValues.cpp - The values a sample spec builds ---------===//
//
// What the parser's values are made of: the dtype spellings, tensors built
// from the numbers of a literal as torch.tensor builds them (dtype inference,
// stores that overflow), lists typed by their elements, the values of @file
// samples (written by torch.save), and the two kinds of partly known samples:
// `?` (nothing known) and `f32[2,3]` (a meta tensor: metadata only).
//
//===----------------------------------------------------------------------===//
#include "io/SampleSpec.h"
#include "io/sample/SampleValues.h"

#include "io/ModuleIO.h"
#include "io/TorchSave.h"

#include <c10/util/Half.h>
#include <c10/util/TypeCast.h>

namespace s2t {
namespace sample {
namespace {

struct DtypeName {
  const char *name;
  at::ScalarType type;
};

// Accepted dtype spellings (optionally prefixed by 'torch.'). The first
// spelling of each type is the one used in messages.
const DtypeName kDtypes[] = {
    {"float32", at::kFloat},     {"float", at::kFloat},
    {"float64", at::kDouble},    {"double", at::kDouble},
    {"float16", at::kHalf},      {"half", at::kHalf},
    {"bfloat16", at::kBFloat16}, {"int64", at::kLong},
    {"long", at::kLong},         {"int32", at::kInt},
    {"int", at::kInt},           {"int16", at::kShort},
    {"short", at::kShort},       {"int8", at::kChar},
    {"uint8", at::kByte},        {"bool", at::kBool},
};

// Stores like torch/csrc/utils/python_scalars.h store_scalar(): integral
// dtypes use c10::checked_convert semantics (floats truncate, negative ints
// wrap into unsigned types, out-of-range values are errors), floating dtypes
// go through double, bool is "non-zero".
template <typename T> bool storeIntegral(const Number &n, T *out) {
  switch (n.kind) {
  case Number::Bool:
    *out = static_cast<T>(n.b);
    return true;
  case Number::Int:
    if (c10::overflows<T, int64_t>(n.i))
      return false;
    *out = c10::convert<T, int64_t>(n.i);
    return true;
  case Number::Float:
    if (c10::overflows<T, double>(n.d))
      return false;
    *out = c10::convert<T, double>(n.d);
    return true;
  }
  return false;
}

bool storeBool(const Number &n, bool *out) {
  switch (n.kind) {
  case Number::Bool:
    *out = n.b;
    break;
  case Number::Int:
    *out = n.i != 0;
    break;
  case Number::Float:
    *out = static_cast<bool>(n.d);
    break;
  }
  return true;
}

template <typename T>
void fillIntegral(at::Tensor &t, const std::vector<Number> &flat,
                  const OverflowHandler &onOverflow) {
  T *data = t.data_ptr<T>();
  for (size_t k = 0; k < flat.size(); ++k)
    if (!storeIntegral<T>(flat[k], data + k))
      onOverflow(flat[k], t.scalar_type());
}

} // namespace

std::string dtypeName(at::ScalarType type) {
  for (const auto &d : kDtypes)
    if (d.type == type)
      return d.name;
  return c10::toString(type);
}

std::optional<at::ScalarType> dtypeNamed(const std::string &name) {
  for (const auto &d : kDtypes)
    if (name == d.name)
      return d.type;
  return std::nullopt;
}

double Number::asDouble() const {
  switch (kind) {
  case Bool:
    return b ? 1.0 : 0.0;
  case Int:
    return static_cast<double>(i);
  case Float:
    return d;
  }
  return 0;
}

std::string Number::str() const {
  switch (kind) {
  case Bool:
    return b ? "True" : "False";
  case Int:
    return std::to_string(i);
  case Float:
    return formatDouble(d);
  }
  return "";
}

at::Tensor buildTensor(const std::vector<int64_t> &shape,
                       const std::vector<Number> &flat,
                       std::optional<at::ScalarType> dtype,
                       const OverflowHandler &onOverflow) {
  at::ScalarType type;
  if (dtype) {
    type = *dtype;
  } else {
    // torch.tensor's inference: bool < int64 < default float dtype.
    bool anyFloat = false, allBool = !flat.empty();
    for (const auto &n : flat) {
      anyFloat |= n.kind == Number::Float;
      allBool &= n.kind == Number::Bool;
    }
    type = (flat.empty() || anyFloat) ? at::kFloat
           : allBool                  ? at::kBool
                                      : at::kLong;
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  TORCH_INTERNAL_ASSERT(static_cast<size_t>(t.numel()) == flat.size());
  switch (type) {
  case at::kFloat: {
    float *data = t.data_ptr<float>();
    for (size_t k = 0; k < flat.size(); ++k)
      data[k] = static_cast<float>(flat[k].asDouble());
    break;
  }
  case at::kDouble: {
    double *data = t.data_ptr<double>();
    for (size_t k = 0; k < flat.size(); ++k)
      data[k] = flat[k].asDouble();
    break;
  }
  case at::kHalf: {
    at::Half *data = t.data_ptr<at::Half>();
    for (size_t k = 0; k < flat.size(); ++k)
      data[k] = c10::convert<at::Half, double>(flat[k].asDouble());
    break;
  }
  case at::kBFloat16: {
    at::BFloat16 *data = t.data_ptr<at::BFloat16>();
    for (size_t k = 0; k < flat.size(); ++k)
      data[k] = c10::convert<at::BFloat16, double>(flat[k].asDouble());
    break;
  }
  case at::kBool: {
    bool *data = t.data_ptr<bool>();
    for (size_t k = 0; k < flat.size(); ++k)
      storeBool(flat[k], data + k);
    break;
  }
  case at::kLong:
    fillIntegral<int64_t>(t, flat, onOverflow);
    break;
  case at::kInt:
    fillIntegral<int32_t>(t, flat, onOverflow);
    break;
  case at::kShort:
    fillIntegral<int16_t>(t, flat, onOverflow);
    break;
  case at::kChar:
    fillIntegral<int8_t>(t, flat, onOverflow);
    break;
  case at::kByte:
    fillIntegral<uint8_t>(t, flat, onOverflow);
    break;
  default:
    TORCH_INTERNAL_ASSERT(false, "unexpected dtype ", type);
  }
  return t;
}

at::Tensor scalarTensor(const c10::IValue &v) {
  Number n;
  if (v.isBool()) {
    n.kind = Number::Bool;
    n.b = v.toBool();
  } else if (v.isInt()) {
    n.kind = Number::Int;
    n.i = v.toInt();
  } else {
    n.kind = Number::Float;
    n.d = v.toDouble();
  }
  return buildTensor({}, {n}, std::nullopt,
                     [](const Number &, at::ScalarType) {});
}

c10::IValue makeList(std::vector<c10::IValue> elems) {
  bool allInt = !elems.empty(), allNumber = !elems.empty(),
       allBool = !elems.empty(), allStr = !elems.empty(),
       allTensor = !elems.empty();
  for (const auto &e : elems) {
    allInt &= e.isInt();
    allNumber &= e.isInt() || e.isDouble();
    allBool &= e.isBool();
    allStr &= e.isString();
    allTensor &= e.isTensor();
  }
  if (allInt) {
    c10::List<int64_t> list;
    list.reserve(elems.size());
    for (const auto &e : elems)
      list.push_back(e.toInt());
    return list;
  }
  if (allNumber) {
    c10::List<double> list;
    list.reserve(elems.size());
    for (const auto &e : elems)
      list.push_back(e.isInt() ? static_cast<double>(e.toInt()) : e.toDouble());
    return list;
  }
  if (allBool) {
    c10::List<bool> list;
    for (const auto &e : elems)
      list.push_back(e.toBool());
    return list;
  }
  if (allStr) {
    c10::List<std::string> list;
    for (const auto &e : elems)
      list.push_back(e.toStringRef());
    return list;
  }
  if (allTensor) {
    c10::List<at::Tensor> list;
    for (const auto &e : elems)
      list.push_back(e.toTensor());
    return list;
  }
  c10::impl::GenericList list(c10::AnyType::get());
  list.reserve(elems.size());
  for (auto &e : elems)
    list.push_back(std::move(e));
  return list;
}

c10::IValue readSampleFile(const std::string &path) {
  std::string data = InputFile(path, ErrorKind::Usage,
                               "cannot read sample file '" + path + "'")
                         .read();
  try {
    return loadTorchSave(data);
  } catch (const StorageError &e) {
    usageError("sample file '" + path + "': " + e.what());
  } catch (const c10::Error &e) {
    rethrowIfOutOfMemory(e);
    usageError("sample file '" + path +
               "' is not a file written by torch.save: " +
               firstMessageLine(e.what_without_backtrace()));
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    usageError(
        "sample file '" + path +
        "' is not a file written by torch.save: " + firstMessageLine(e.what()));
  }
}

} // namespace sample

//===----------------------------------------------------------------------===//
// Partly known samples
//===----------------------------------------------------------------------===//

namespace {
/// The object behind `?`: one instance, recognised by identity.
struct UnknownSample : torch::CustomClassHolder {};
const c10::intrusive_ptr<UnknownSample> &theUnknownSample() {
  static const auto *instance = new c10::intrusive_ptr<UnknownSample>(
      c10::make_intrusive<UnknownSample>());
  return *instance;
}
} // namespace

c10::IValue unknownSample() {
  return c10::IValue::make_capsule(theUnknownSample());
}

bool isUnknownSample(const c10::IValue &value) {
  return value.isCapsule() &&
         value.toCapsule().get() == theUnknownSample().get();
}

bool isShapeOnlySample(const c10::IValue &value) {
  return value.isTensor() && value.toTensor().defined() &&
         value.toTensor().is_meta();
}

} // namespace s2t
