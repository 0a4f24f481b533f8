//===- io/sample/SpecParser.cpp - The --specialize-input grammar ----------===//
//
// A small recursive-descent parser for the spec grammar (docs/spec-grammar.md):
// NAME=, @file and `?` at the top, then literals (numbers, bools, None,
// strings, lists, tuples, tensor(...) and shape-only DTYPE[sizes]). Messages
// quote the spec and give the column of the fault; the values themselves are
// built by io/sample/SpecValues.cpp.
//
// Every failure is reported as s2t::Error (ErrorKind::Usage); c10::Error and
// std exceptions raised by LibTorch are caught and converted.
//
//===----------------------------------------------------------------------===//
#include "io/SampleSpec.h"
#include "io/sample/SampleValues.h"

#include <cctype>
#include <charconv>
#include <clocale>
#include <cstdlib>
#include <limits>
#include <locale.h>

namespace s2t {
namespace {

using namespace sample;

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

class Parser {
public:
  /// Parses text[begin, end); messages quote all of `text` and give columns
  /// in it.
  Parser(const std::string &text, size_t begin)
      : text_(text), pos_(begin), end_(text.size()) {}

  [[noreturn]] void fail(const std::string &what, size_t at) const {
    usageError("malformed spec '" + shortened(text_) + "': " + what +
               " at column " + std::to_string(at + 1));
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
        {"f32", at::kFloat},     {"f64", at::kDouble}, {"f16", at::kHalf},
        {"bf16", at::kBFloat16}, {"i64", at::kLong},   {"i32", at::kInt},
        {"i16", at::kShort},     {"i8", at::kChar},    {"u8", at::kByte},
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
    if (auto type = dtypeNamed(name))
      return *type;
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

} // namespace

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

std::vector<SampleSpec> parseSampleSpecs(const std::vector<std::string> &texts,
                                         const c10::FunctionSchema &schema) {
  const auto &arguments = schema.arguments();
  size_t first = firstSampleArgument(schema);
  std::vector<SampleSpec> specs;
  size_t position = 0;
  for (const std::string &text : texts) {
    // The argument this spec is for, to name it if the spec is malformed.
    std::string target;
    size_t start = text.find_first_not_of(" \t");
    size_t end = start;
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) ||
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
