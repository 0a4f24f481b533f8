//===- ir/SampleSpec.cpp - Sample inputs from --specialize-input ----------===//
//
// A small recursive-descent parser for the --specialize-input grammar, the
// reading of @file samples written by torch.save, and the binding of the
// parsed values to a method's schema (with coercion to the declared types).
//
// Every failure is reported as s2t::Error (ErrorKind::Usage); c10::Error and
// std exceptions raised by LibTorch are caught and converted.
//
//===----------------------------------------------------------------------===//
#include "ir/SampleSpec.h"

#include "ir/Error.h"
#include "io/ModuleIO.h"
#include "io/TorchSave.h"

#include <ATen/ATen.h>
#include <ATen/core/jit_type.h>
#include <c10/util/Half.h>
#include <c10/util/TypeCast.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <locale.h>
#include <sstream>

namespace s2t {
namespace {

//===----------------------------------------------------------------------===//
// Printing values for messages
//===----------------------------------------------------------------------===//

constexpr size_t kMaxReprLength = 60;

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

std::string dtypeName(at::ScalarType type) {
  for (const auto &d : kDtypes)
    if (d.type == type)
      return d.name;
  return c10::toString(type);
}

std::string formatDouble(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d < 0 ? "-inf" : "inf";
  // Shortest representation that round-trips, Python style.
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s;
}

std::string quoteString(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '\'':
      out += "\\'";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += c;
    }
  }
  return out + "'";
}

std::string shapeString(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

void appendRepr(const c10::IValue &v, std::string &out) {
  if (out.size() > kMaxReprLength)
    return;
  if (v.isNone()) {
    out += "None";
  } else if (v.isBool()) {
    out += v.toBool() ? "True" : "False";
  } else if (v.isInt()) {
    out += std::to_string(v.toInt());
  } else if (v.isDouble()) {
    out += formatDouble(v.toDouble());
  } else if (v.isString()) {
    out += quoteString(v.toStringRef());
  } else if (v.isTensor()) {
    const at::Tensor &t = v.toTensor();
    if (!t.defined())
      out += "tensor(<undefined>)";
    else
      out += "tensor(dtype=" + dtypeName(t.scalar_type()) +
             ", shape=" + shapeString(t.sizes()) + ")";
  } else if (v.isList()) {
    out += "[";
    auto elems = v.toListRef();
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i)
        out += ", ";
      appendRepr(elems[i], out);
    }
    out += "]";
  } else if (v.isTuple()) {
    out += "(";
    const auto &elems = v.toTupleRef().elements();
    for (size_t i = 0; i < elems.size(); ++i) {
      if (i)
        out += ", ";
      appendRepr(elems[i], out);
    }
    out += elems.size() == 1 ? ",)" : ")";
  } else if (v.isGenericDict()) {
    out += "{";
    bool first = true;
    for (const auto &entry : v.toGenericDict()) {
      if (!first)
        out += ", ";
      first = false;
      appendRepr(entry.key(), out);
      out += ": ";
      appendRepr(entry.value(), out);
    }
    out += "}";
  } else {
    out += "<" + std::string(v.tagKind()) + ">";
  }
}

std::string repr(const c10::IValue &v) {
  std::string out;
  appendRepr(v, out);
  if (out.size() > kMaxReprLength)
    out = out.substr(0, kMaxReprLength) + "...";
  return out;
}

/// "str 'hello'", "int 3", "Tensor of dtype float32 and shape [2]", ...
std::string describe(const c10::IValue &v) {
  if (v.isNone())
    return "None";
  if (v.isBool())
    return "bool " + repr(v);
  if (v.isInt())
    return "int " + repr(v);
  if (v.isDouble())
    return "float " + repr(v);
  if (v.isString())
    return "str " + repr(v);
  if (v.isList())
    return "list " + repr(v);
  if (v.isTuple())
    return "tuple " + repr(v);
  if (v.isGenericDict())
    return "dict " + repr(v);
  if (v.isTensor()) {
    const at::Tensor &t = v.toTensor();
    if (!t.defined())
      return "undefined Tensor";
    return "Tensor of dtype " + dtypeName(t.scalar_type()) + " and shape " +
           shapeString(t.sizes());
  }
  try {
    return v.type()->annotation_str();
  } catch (...) {
    return v.tagKind();
  }
}

//===----------------------------------------------------------------------===//
// Building tensors like torch.tensor
//===----------------------------------------------------------------------===//

/// One number of a tensor literal (or a scalar turned into a tensor).
struct Number {
  enum Kind { Bool, Int, Float } kind = Int;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  size_t column = 0; ///< 0-based offset in the spec, for messages

  double asDouble() const {
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
  std::string str() const {
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
};

/// Reports a value that does not fit the requested dtype; `column` is the
/// 0-based offset of the offending number.
using OverflowHandler =
    std::function<void(const Number &number, at::ScalarType type)>;

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

/// A 0-dim tensor exactly as torch.tensor(v) gives for a Python scalar.
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

//===----------------------------------------------------------------------===//
// Lists as the parser types them
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// The parser
//===----------------------------------------------------------------------===//

bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

double parseDoubleC(const std::string &s) {
  // strtod in the "C" locale: correctly rounded, +-HUGE_VAL (= inf) on
  // overflow like Python's float literals, denormals on underflow.
  static locale_t cLocale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  return strtod_l(s.c_str(), nullptr, cLocale);
}

/// A spec as quoted in a message: long ones are cut, so the message stays one
/// readable line.
std::string shortened(const std::string &text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax)
    return text;
  return text.substr(0, kMax) + "...";
}

class Parser {
public:
  /// Parses text[begin, end); messages quote all of `text` and give columns
  /// in it.
  Parser(const std::string &text, size_t begin)
      : text_(text), pos_(begin), end_(text.size()) {}

  [[noreturn]] void fail(const std::string &what, size_t at) const {
    usageError("malformed spec '" + shortened(text_) + "': " + what + " at column " +
               std::to_string(at + 1));
  }
  [[noreturn]] void fail(const std::string &what) const { fail(what, pos_); }

  void skipSpace() {
    while (pos_ < end_ && isSpace(text_[pos_]))
      ++pos_;
  }
  bool atEnd() const { return pos_ >= end_; }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  size_t pos() const { return pos_; }

  /// A short quote of the text at the current position, for messages.
  std::string here() const {
    size_t len = 1;
    if (isIdentChar(peek())) {
      while (pos_ + len < end_ && isIdentChar(text_[pos_ + len]))
        ++len;
    }
    std::string s = text_.substr(pos_, std::min<size_t>(len, 20));
    return "'" + s + "'";
  }

  void expect(char c) {
    skipSpace();
    if (peek() != c)
      fail(std::string("expected '") + c + "'" +
           (atEnd() ? std::string() : ", got " + here()));
    ++pos_;
  }

  std::string identifier() {
    size_t start = pos_;
    while (pos_ < end_ && isIdentChar(text_[pos_]))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  /// The whole literal; the text must end after it.
  c10::IValue parseTopLevel() {
    c10::IValue v = parseValue();
    skipSpace();
    if (!atEnd())
      fail("unexpected " + here() + " after the value");
    return v;
  }

  /// Nesting deeper than this is refused rather than overflowing the stack.
  static constexpr int kMaxDepth = 128;

  /// Counts one level of nesting for as long as it lives.
  struct Nesting {
    Nesting(Parser &parser) : parser(parser) {
      if (++parser.depth_ > kMaxDepth)
        parser.fail("nested deeper than " + std::to_string(kMaxDepth) +
                    " levels");
    }
    ~Nesting() { --parser.depth_; }
    Parser &parser;
  };

  c10::IValue parseValue() {
    Nesting nesting(*this);
    skipSpace();
    if (atEnd())
      fail("expected a value");
    char c = peek();
    if (c == '[')
      return parseList();
    if (c == '(')
      return parseTuple();
    if (c == '"' || c == '\'')
      return parseString();
    if (isDigit(c) || c == '+' || c == '-')
      return numberValue(parseNumber(/*allowBool=*/false));
    if (isIdentStart(c)) {
      size_t start = pos_;
      std::string word = identifier();
      if (word == "true" || word == "True")
        return true;
      if (word == "false" || word == "False")
        return false;
      if (word == "None")
        return c10::IValue();
      if (word == "inf")
        return std::numeric_limits<double>::infinity();
      if (word == "nan")
        return std::numeric_limits<double>::quiet_NaN();
      if (word == "tensor")
        return parseTensor();
      if (peek() == '[') {
        if (auto type = shortDtype(word))
          return parseShapeOnly(*type);
      }
      if (word == "torch" && peek() == '.') {
        ++pos_;
        if (identifier() == "tensor")
          return parseTensor();
      }
      fail("unknown name '" + word + "' (strings must be quoted)", start);
    }
    fail("unexpected " + here());
  }

private:
  /// The dtype of a shape-only spec: f32, f64, f16, bf16, i64, i32, i16, i8,
  /// u8, bool.
  static std::optional<at::ScalarType> shortDtype(const std::string &word) {
    static const std::pair<const char *, at::ScalarType> kShort[] = {
        {"f32", at::kFloat}, {"f64", at::kDouble}, {"f16", at::kHalf},
        {"bf16", at::kBFloat16}, {"i64", at::kLong}, {"i32", at::kInt},
        {"i16", at::kShort}, {"i8", at::kChar}, {"u8", at::kByte},
        {"bool", at::kBool}};
    for (const auto &entry : kShort)
      if (word == entry.first)
        return entry.second;
    return std::nullopt;
  }

  /// DTYPE '[' sizes ']' ('@' device)?: a tensor known by its metadata only,
  /// represented by a tensor on the meta device.
  c10::IValue parseShapeOnly(at::ScalarType type) {
    size_t open = pos_;
    ++pos_; // '['
    std::vector<int64_t> sizes;
    skipSpace();
    while (peek() != ']') {
      if (atEnd())
        fail("unbalanced '[' in shape", open);
      if (!sizes.empty()) {
        if (peek() != ',')
          fail("expected ',' or ']' in shape, got " + here());
        ++pos_;
        skipSpace();
      }
      Number n = parseNumber(/*allowBool=*/false);
      if (n.kind != Number::Int || n.i < 0)
        fail("a size must be a non-negative integer", n.column);
      sizes.push_back(n.i);
      skipSpace();
    }
    ++pos_; // ']'
    if (peek() == '@') {
      ++pos_;
      size_t at = pos_;
      std::string device = isIdentStart(peek()) ? identifier() : "";
      if (device != "cpu")
        fail("unsupported device '" + device + "' (this build has cpu only)",
             at);
    }
    return at::empty(sizes, at::TensorOptions().dtype(type).device(at::kMeta));
  }

  static c10::IValue numberValue(const Number &n) {
    switch (n.kind) {
    case Number::Bool:
      return n.b;
    case Number::Int:
      return n.i;
    case Number::Float:
      return n.d;
    }
    return c10::IValue();
  }

  /// int | float | 'inf' | 'nan' (signed), and bools if allowBool.
  Number parseNumber(bool allowBool) {
    skipSpace();
    Number n;
    size_t start = pos_;
    n.column = start;
    bool negative = false;
    if (peek() == '+' || peek() == '-') {
      negative = peek() == '-';
      ++pos_;
    }
    if (isIdentStart(peek())) {
      size_t wordStart = pos_;
      std::string word = identifier();
      if (word == "inf" || word == "nan") {
        n.kind = Number::Float;
        n.d = word == "inf" ? std::numeric_limits<double>::infinity()
                            : std::numeric_limits<double>::quiet_NaN();
        if (negative)
          n.d = -n.d;
        return n;
      }
      if (allowBool && wordStart == start) {
        if (word == "true" || word == "True" || word == "false" ||
            word == "False") {
          n.kind = Number::Bool;
          n.b = word == "true" || word == "True";
          return n;
        }
      }
      fail("expected a number, got '" + word + "'", wordStart);
    }
    if (!isDigit(peek()))
      fail(atEnd() ? "expected a number" : "expected a number, got " + here());
    while (isDigit(peek()))
      ++pos_;
    bool isFloat = false;
    if (peek() == '.') {
      isFloat = true;
      ++pos_;
      while (isDigit(peek()))
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      size_t expStart = pos_;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!isDigit(peek()))
        fail("malformed exponent", expStart);
      while (isDigit(peek()))
        ++pos_;
      isFloat = true;
    }
    if (isIdentChar(peek()) || peek() == '.')
      fail("malformed number", start);
    std::string lexeme = text_.substr(start, pos_ - start);
    std::string digits = lexeme[0] == '+' ? lexeme.substr(1) : lexeme;
    if (isFloat) {
      n.kind = Number::Float;
      n.d = parseDoubleC(digits);
    } else {
      n.kind = Number::Int;
      auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), n.i);
      if (ec != std::errc() || ptr != digits.data() + digits.size())
        fail("integer " + lexeme + " does not fit in 64 bits", start);
    }
    return n;
  }

  c10::IValue parseString() {
    char quote = text_[pos_];
    size_t start = pos_;
    ++pos_;
    std::string out;
    while (true) {
      if (atEnd())
        fail("unterminated string", start);
      char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (pos_ + 1 >= end_)
          fail("unterminated string", start);
        char e = text_[pos_ + 1];
        switch (e) {
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case '\'':
          out += '\'';
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        default:
          fail(std::string("unknown escape '\\") + e + "'", pos_);
        }
        pos_ += 2;
        continue;
      }
      out += c;
      ++pos_;
    }
  }

  c10::IValue parseList() {
    ++pos_; // '['
    std::vector<c10::IValue> elems;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return makeList(std::move(elems));
    }
    while (true) {
      elems.push_back(parseValue());
      skipSpace();
      if (atEnd())
        fail("expected ']'");
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (peek() != ',')
        fail("expected ',' or ']', got " + here());
      ++pos_;
      skipSpace();
      if (peek() == ']') {
        ++pos_;
        break;
      }
    }
    return makeList(std::move(elems));
  }

  c10::IValue parseTuple() {
    ++pos_; // '('
    std::vector<c10::IValue> elems;
    skipSpace();
    if (peek() == ')') {
      ++pos_;
      return c10::ivalue::Tuple::create(std::move(elems));
    }
    while (true) {
      elems.push_back(parseValue());
      skipSpace();
      if (atEnd())
        fail("expected ')'");
      if (peek() == ')') {
        if (elems.size() == 1)
          fail("expected ',' (write '(x,)' for a one-element tuple)");
        ++pos_;
        break;
      }
      if (peek() != ',')
        fail("expected ',' or ')', got " + here());
      ++pos_;
      skipSpace();
      if (peek() == ')') {
        ++pos_;
        break;
      }
    }
    return c10::ivalue::Tuple::create(std::move(elems));
  }

  /// nested-numbers: appends the numbers to `flat` and returns the shape.
  std::vector<int64_t> parseNested(std::vector<Number> &flat) {
    Nesting nesting(*this);
    skipSpace();
    if (peek() != '[') {
      flat.push_back(parseNumber(/*allowBool=*/true));
      return {};
    }
    ++pos_;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return {0};
    }
    std::optional<std::vector<int64_t>> inner;
    int64_t count = 0;
    while (true) {
      skipSpace();
      size_t elemStart = pos_;
      std::vector<int64_t> shape = parseNested(flat);
      if (!inner)
        inner = shape;
      else if (shape != *inner)
        fail("ragged nested list: element of shape " + shapeString(shape) +
                 " after one of shape " + shapeString(*inner),
             elemStart);
      ++count;
      skipSpace();
      if (atEnd())
        fail("expected ']'");
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (peek() != ',')
        fail("expected ',' or ']', got " + here());
      ++pos_;
      skipSpace();
      if (peek() == ']') {
        ++pos_;
        break;
      }
    }
    std::vector<int64_t> shape{count};
    shape.insert(shape.end(), inner->begin(), inner->end());
    return shape;
  }

  at::ScalarType parseDtype() {
    skipSpace();
    size_t start = pos_;
    if (!isIdentStart(peek()))
      fail("expected a dtype");
    std::string name = identifier();
    if (name == "torch" && peek() == '.') {
      ++pos_;
      name = identifier();
    }
    for (const auto &d : kDtypes)
      if (name == d.name)
        return d.type;
    fail("unknown dtype '" + text_.substr(start, pos_ - start) + "'", start);
  }

  c10::IValue parseTensor() {
    expect('(');
    std::vector<Number> flat;
    std::vector<int64_t> shape = parseNested(flat);
    std::optional<at::ScalarType> dtype;
    skipSpace();
    if (peek() == ',') {
      ++pos_;
      skipSpace();
      if (peek() != ')') {
        size_t kwStart = pos_;
        if (identifier() != "dtype")
          fail("expected 'dtype='", kwStart);
        expect('=');
        dtype = parseDtype();
      }
    }
    skipSpace();
    if (atEnd())
      fail("expected ')'");
    if (peek() != ')')
      fail(std::string(dtype ? "expected ')'" : "expected ',' or ')'") +
           ", got " + here());
    ++pos_;
    return buildTensor(
        shape, flat, dtype, [this](const Number &n, at::ScalarType type) {
          fail("value " + n.str() + " cannot be converted to dtype " +
                   dtypeName(type) + " without overflow",
               n.column);
        });
  }

  const std::string &text_;
  size_t pos_;
  int depth_ = 0;
  size_t end_;
};

bool isBlank(const std::string &text) {
  for (char c : text)
    if (!isSpace(c))
      return false;
  return true;
}

std::string trim(const std::string &s) {
  size_t b = 0, e = s.size();
  while (b < e && isSpace(s[b]))
    ++b;
  while (e > b && isSpace(s[e - 1]))
    --e;
  return s.substr(b, e - b);
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
    usageError("sample file '" + path +
               "' is not a file written by torch.save: " + firstMessageLine(e.what()));
  }
}

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

//===----------------------------------------------------------------------===//
// Coercion to schema types
//===----------------------------------------------------------------------===//

class Coercer {
public:
  // Where the innermost mismatch was, for the message.
  std::string path;
  c10::TypePtr failedType;
  c10::IValue failedValue;
  std::string note;

  std::optional<c10::IValue> run(const c10::IValue &v, const c10::TypePtr &t,
                                 bool conversions) {
    switch (t->kind()) {
    case c10::TypeKind::AnyType:
      return v;
    case c10::TypeKind::TensorType:
      if (v.isTensor())
        return v;
      if (conversions && (v.isInt() || v.isDouble() || v.isBool()))
        return c10::IValue(scalarTensor(v));
      if (v.isList())
        return mismatch(v, t, "write tensor([...]) for a tensor");
      return mismatch(v, t);
    case c10::TypeKind::FloatType:
      if (v.isDouble())
        return v;
      if (conversions && v.isInt())
        return c10::IValue(static_cast<double>(v.toInt()));
      return mismatch(v, t);
    case c10::TypeKind::IntType:
      return v.isInt() ? std::optional<c10::IValue>(v) : mismatch(v, t);
    case c10::TypeKind::BoolType:
      return v.isBool() ? std::optional<c10::IValue>(v) : mismatch(v, t);
    case c10::TypeKind::StringType:
      return v.isString() ? std::optional<c10::IValue>(v) : mismatch(v, t);
    case c10::TypeKind::NoneType:
      return v.isNone() ? std::optional<c10::IValue>(v) : mismatch(v, t);
    case c10::TypeKind::NumberType:
      if (v.isInt() || v.isDouble() || v.isComplexDouble())
        return v;
      return mismatch(v, t);
    case c10::TypeKind::OptionalType: {
      if (v.isNone())
        return v;
      auto r = run(v, t->expectRef<c10::OptionalType>().getElementType(),
                   conversions);
      if (!r)
        return mismatch(v, t);
      return r;
    }
    case c10::TypeKind::UnionType: {
      auto alternatives = t->containedTypes();
      for (bool conv : {false, true}) {
        if (conv && !conversions)
          break;
        for (const auto &alt : alternatives)
          if (auto r = run(v, alt, conv))
            return r;
      }
      return mismatch(v, t);
    }
    case c10::TypeKind::ListType: {
      if (!v.isList())
        return mismatch(v, t);
      c10::TypePtr elemType = t->expectRef<c10::ListType>().getElementType();
      c10::impl::GenericList out(elemType);
      auto elems = v.toListRef();
      out.reserve(elems.size());
      for (size_t i = 0; i < elems.size(); ++i) {
        auto r = run(elems[i], elemType, conversions);
        if (!r)
          return nested("[" + std::to_string(i) + "]");
        out.push_back(std::move(*r));
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::TupleType: {
      if (!v.isTuple())
        return mismatch(v, t);
      const auto &tupleType = t->expectRef<c10::TupleType>();
      const auto &elemTypes = tupleType.elements();
      const auto &elems = v.toTupleRef().elements();
      if (elems.size() != elemTypes.size())
        return mismatch(v, t,
                        std::to_string(elems.size()) + " elements instead of " +
                            std::to_string(elemTypes.size()));
      std::vector<c10::IValue> out;
      out.reserve(elems.size());
      for (size_t i = 0; i < elems.size(); ++i) {
        auto r = run(elems[i], elemTypes[i], conversions);
        if (!r)
          return nested("[" + std::to_string(i) + "]");
        out.push_back(std::move(*r));
      }
      if (tupleType.schema())
        return c10::IValue(c10::ivalue::Tuple::createNamed(std::move(out), t));
      return c10::IValue(c10::ivalue::Tuple::create(std::move(out)));
    }
    case c10::TypeKind::DictType: {
      if (!v.isGenericDict())
        return mismatch(v, t);
      const auto &dictType = t->expectRef<c10::DictType>();
      c10::impl::GenericDict out(dictType.getKeyType(),
                                 dictType.getValueType());
      for (const auto &entry : v.toGenericDict()) {
        auto k = run(entry.key(), dictType.getKeyType(), conversions);
        if (!k)
          return nested("[key " + repr(entry.key()) + "]");
        auto val = run(entry.value(), dictType.getValueType(), conversions);
        if (!val)
          return nested("[" + repr(entry.key()) + "]");
        out.insert_or_assign(std::move(*k), std::move(*val));
      }
      return c10::IValue(out);
    }
    default:
      if (v.type()->isSubtypeOf(*t))
        return v;
      return mismatch(v, t);
    }
  }

private:
  std::nullopt_t mismatch(const c10::IValue &v, const c10::TypePtr &t,
                          std::string why = "") {
    path.clear();
    failedType = t;
    failedValue = v;
    note = std::move(why);
    return std::nullopt;
  }
  std::nullopt_t nested(const std::string &step) {
    path = step + path;
    return std::nullopt;
  }
};

std::string joinNames(const std::vector<c10::Argument> &args, size_t first) {
  std::string s;
  for (size_t i = first; i < args.size(); ++i)
    s += (i > first ? ", " : "") + args[i].name();
  return s;
}

bool isTupleType(const c10::TypePtr &type) {
  c10::TypePtr t = type;
  if (auto opt = t->cast<c10::OptionalType>())
    t = opt->getElementType();
  return t->kind() == c10::TypeKind::TupleType;
}

} // namespace

//===----------------------------------------------------------------------===//
// Public interface
//===----------------------------------------------------------------------===//

namespace {
/// The object behind `?`: one instance, recognised by identity.
struct UnknownSample : torch::CustomClassHolder {};
const c10::intrusive_ptr<UnknownSample> &theUnknownSample() {
  static const auto *instance =
      new c10::intrusive_ptr<UnknownSample>(c10::make_intrusive<UnknownSample>());
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

c10::IValue parseSampleLiteral(const std::string &text) {
  if (isBlank(text))
    usageError("malformed spec '" + shortened(text) + "': empty spec");
  return guarded("malformed spec '" + shortened(text) + "'", [&] {
    Parser parser(text, 0);
    return parser.parseTopLevel();
  });
}

SampleSpec parseSampleSpec(const std::string &text) {
  if (isBlank(text))
    usageError("malformed spec '" + shortened(text) + "': empty spec");
  return guarded("malformed spec '" + shortened(text) + "'", [&] {
    SampleSpec spec;
    spec.text = text;
    Parser parser(text, 0);
    parser.skipSpace();
    size_t start = parser.pos();

    // NAME '=' ...: an identifier followed by '=' (not '==').
    if (isIdentStart(text[start])) {
      size_t q = start;
      while (q < text.size() && isIdentChar(text[q]))
        ++q;
      size_t r = q;
      while (r < text.size() && isSpace(text[r]))
        ++r;
      if (r < text.size() && text[r] == '=' &&
          !(r + 1 < text.size() && text[r + 1] == '=')) {
        spec.name = text.substr(start, q - start);
        start = r + 1;
        while (start < text.size() && isSpace(text[start]))
          ++start;
        if (start == text.size())
          parser.fail("expected a value after '" + *spec.name + "='", start);
      }
    }

    if (text[start] == '@') {
      std::string path = trim(text.substr(start + 1));
      if (path.empty())
        parser.fail("expected a file name after '@'", start + 1);
      spec.fromFile = true;
      spec.value = readSampleFile(path);
      return spec;
    }
    if (trim(text.substr(start)) == "?") {
      spec.value = unknownSample();
      return spec;
    }
    Parser literal(text, start);
    spec.value = literal.parseTopLevel();
    return spec;
  });
}

namespace {
std::vector<c10::IValue> bindImpl(const std::vector<SampleSpec> &specs,
                                  const c10::FunctionSchema &schema) {
  const std::vector<c10::Argument> &all = schema.arguments();
  size_t first = 0;
  if (!all.empty() && all[0].type()->cast<c10::ClassType>())
    first = 1;
  const size_t n = all.size() - first;
  auto argAt = [&](size_t i) -> const c10::Argument & {
    return all[first + i];
  };
  auto describeArgs = [&]() {
    if (n == 0)
      return std::string("no arguments");
    return std::to_string(n) + (n == 1 ? " argument (" : " arguments (") +
           joinNames(all, first) + ")";
  };

  // One entry per positional or named value, with where it came from.
  struct Given {
    std::optional<std::string> name;
    c10::IValue value;
    std::string origin; ///< the spec text, for messages
  };
  std::vector<Given> given;
  std::string spreadFrom;
  // A tuple given alone is the argument list, unless the method takes one
  // tuple; a file holding a one-element tuple of a tuple, `torch.save((p,))`,
  // is the argument list even then.
  auto wrapsOneTuple = [&](const SampleSpec &spec) {
    const auto &elements = spec.value.toTupleRef().elements();
    return spec.fromFile && elements.size() == 1 && elements[0].isTuple();
  };
  if (specs.size() == 1 && !specs[0].name && specs[0].value.isTuple() &&
      (n != 1 || !isTupleType(argAt(0).type()) || wrapsOneTuple(specs[0]))) {
    spreadFrom = specs[0].text;
    for (const auto &e : specs[0].value.toTupleRef().elements())
      given.push_back({std::nullopt, e, specs[0].text});
  } else {
    for (const auto &s : specs)
      given.push_back({s.name, s.value, s.text});
  }

  std::vector<std::optional<c10::IValue>> slots(n);
  std::vector<std::string> origins(n);
  size_t positional = 0;
  const Given *firstNamed = nullptr;
  for (const auto &g : given) {
    size_t index;
    if (g.name) {
      if (!firstNamed)
        firstNamed = &g;
      index = n;
      for (size_t i = 0; i < n; ++i)
        if (argAt(i).name() == *g.name)
          index = i;
      if (index == n)
        usageError("sample '" + g.origin + "' names unknown argument '" +
                   *g.name + "'; method '" + schema.name() + "' takes " +
                   describeArgs());
    } else {
      if (firstNamed)
        usageError("positional sample '" + g.origin +
                   "' follows the named sample '" + firstNamed->origin + "'");
      if (positional >= n) {
        size_t count = 0;
        for (const auto &h : given)
          count += !h.name;
        usageError("too many samples: method '" + schema.name() + "' takes " +
                   describeArgs() + ", got " + std::to_string(count) +
                   (spreadFrom.empty()
                        ? std::string()
                        : " from the tuple in '" + spreadFrom + "'"));
      }
      index = positional++;
    }
    if (slots[index])
      usageError("argument '" + argAt(index).name() + "' is given twice ('" +
                 origins[index] + "' and '" + g.origin + "')");
    slots[index] = g.value;
    origins[index] = g.origin;
  }

  std::vector<c10::IValue> result;
  result.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const c10::Argument &arg = argAt(i);
    const c10::TypePtr &type = arg.type();
    std::string typeStr = type->annotation_str();
    std::string where = "argument '" + arg.name() + "' (position " +
                        std::to_string(i + 1) + ")";
    if (!slots[i]) {
      if (arg.default_value()) {
        result.push_back(*arg.default_value());
        continue;
      }
      usageError("missing sample for argument '" + arg.name() + "' (" +
                 typeStr + ")");
    }
    if (isUnknownSample(*slots[i])) {
      result.push_back(*slots[i]);
      continue;
    }
    result.push_back(guarded(where, [&] {
      Coercer coercer;
      auto r = coercer.run(*slots[i], type, /*conversions=*/true);
      if (r)
        return *r;
      std::string msg =
          where + " expects " + typeStr + ", got " + describe(*slots[i]);
      if (!coercer.path.empty())
        msg += ": element " + coercer.path + " expects " +
               coercer.failedType->annotation_str() + ", got " +
               describe(coercer.failedValue);
      if (!coercer.note.empty())
        msg += " (" + coercer.note + ")";
      usageError(msg);
    }));
  }
  return result;
}
} // namespace

std::vector<c10::IValue> bindSampleSpecs(const std::vector<SampleSpec> &specs,
                                         const c10::FunctionSchema &schema) {
  return guarded("cannot bind samples to method '" + schema.name() + "'",
                 [&] { return bindImpl(specs, schema); });
}

std::vector<SampleSpec> parseSampleSpecs(const std::vector<std::string> &texts,
                                         const c10::FunctionSchema &schema) {
  const auto &arguments = schema.arguments();
  size_t first = !arguments.empty() &&
                         arguments[0].type()->cast<c10::ClassType>()
                     ? 1
                     : 0;
  std::vector<SampleSpec> specs;
  size_t position = 0;
  for (const std::string &text : texts) {
    // The argument this spec is for, to name it if the spec is malformed.
    std::string target;
    size_t start = text.find_first_not_of(" \t");
    size_t end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(
                                     text[end])) ||
                                 text[end] == '_'))
      ++end;
    size_t equals = text.find_first_not_of(" \t", end);
    bool named = start != std::string::npos && end > start &&
                 !std::isdigit(static_cast<unsigned char>(text[start])) &&
                 equals != std::string::npos && text[equals] == '=' &&
                 text.compare(equals, 2, "==") != 0;
    if (named) {
      target = "argument '" + text.substr(start, end - start) + "'";
    } else {
      if (first + position < arguments.size())
        target = "argument '" + arguments[first + position].name() +
                 "' (position " + std::to_string(position + 1) + ")";
      ++position;
    }
    try {
      specs.push_back(parseSampleSpec(text));
    } catch (const Error &e) {
      if (target.empty())
        throw;
      usageError(target + ": " + e.what());
    }
  }
  return specs;
}

} // namespace s2t
