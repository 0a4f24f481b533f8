//===- ir/Error.h - User-facing errors of s2t ------------------*- C++ -*-===//
//
// Everything a user's archive, spec or model can cause is reported as an
// s2t::Error: one line of text (without the "error: " prefix) and a kind that
// tells the driver which exit code to use. Our own invariants use
// TORCH_INTERNAL_ASSERT instead.
//
// A message that names an option holds it as a neutral key and value
// (option("max_unroll", 100000)), not as a front end spells it: each front
// end words it, s2t-opt as `--max-unroll=100000`, Python as
// `max_unroll=100000` (Error::message(spelling)); what() uses the neutral
// spelling.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace s2t {

enum class ErrorKind {
  Usage,      ///< bad command line or sample spec: exit code 2
  Conversion, ///< the model cannot be loaded or specialized: exit code 1
};

/// `text` with line breaks and other control characters written as escapes
/// (`\n`, `\x01`), so that a message quoting a user's spec, path or graph
/// stays one line.
inline std::string escapeControlCharacters(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      const char *hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

/// An option named in a message: its neutral key ("max_unroll", the name of
/// the Python keyword; s2t-opt's flag is the key with dashes) and the value the
/// message gives it, empty when it names the option alone.
struct OptionMention {
  std::string key;
  std::string value;
};

/// How a front end writes an option it is told about.
using OptionSpelling = std::function<std::string(const OptionMention &)>;

/// The neutral spelling: `max_unroll=100000`, or `allow_residual` alone.
inline std::string neutralSpelling(const OptionMention &option) {
  return option.value.empty() ? option.key : option.key + "=" + option.value;
}

/// s2t-opt's spelling: `--max-unroll=100000`, `--allow-residual`.
inline std::string flagSpelling(const OptionMention &option) {
  std::string flag = "--" + option.key;
  for (char &c : flag)
    if (c == '_')
      c = '-';
  return option.value.empty() ? flag : flag + "=" + option.value;
}

class Message;

/// `key` mentioned with `value` in a message, or alone.
inline OptionMention option(std::string key, std::string value = "") {
  return {std::move(key), std::move(value)};
}
inline OptionMention option(std::string key, int64_t value) {
  return {std::move(key), std::to_string(value)};
}
inline OptionMention option(std::string key, const char *value) {
  return {std::move(key), value};
}

/// Text with options in it, worded when a front end spells them. Written as
/// text is: `"exceeds " + option("max_nodes", n) + " operations"`.
class Message {
public:
  Message() = default;
  Message(std::string text) { pieces_.push_back({std::move(text), {}}); }
  Message(const char *text) : Message(std::string(text)) {}
  Message(OptionMention option) { pieces_.push_back({{}, std::move(option)}); }

  /// The text, options spelled neutrally (what a std::string was before
  /// messages named options).
  operator std::string() const { return str(); }
  /// The text, each option written by `spell`.
  std::string str(const OptionSpelling &spell = neutralSpelling) const {
    std::string text;
    for (const Piece &piece : pieces_)
      text += piece.option.key.empty() ? piece.text : spell(piece.option);
    return text;
  }
  Message &operator+=(const Message &other) {
    pieces_.insert(pieces_.end(), other.pieces_.begin(), other.pieces_.end());
    return *this;
  }
  friend Message operator+(Message left, const Message &right) {
    return left += right;
  }
  friend Message operator+(Message left, const std::string &right) {
    return left += Message(right);
  }
  friend Message operator+(Message left, const char *right) {
    return left += Message(right);
  }
  friend Message operator+(Message left, const OptionMention &right) {
    return left += Message(right);
  }
  friend Message operator+(const std::string &left, const Message &right) {
    return Message(left) += right;
  }
  friend Message operator+(const char *left, const Message &right) {
    return Message(left) += right;
  }

private:
  /// Text, or an option when its key is set.
  struct Piece {
    std::string text;
    OptionMention option;
  };
  std::vector<Piece> pieces_;
};

inline Message operator+(const std::string &left, const OptionMention &right) {
  return Message(left) + Message(right);
}
inline Message operator+(const char *left, const OptionMention &right) {
  return Message(left) + Message(right);
}
inline Message operator+(const OptionMention &left, const std::string &right) {
  return Message(left) + Message(right);
}
inline Message operator+(const OptionMention &left, const char *right) {
  return Message(left) + Message(right);
}

class Error : public std::runtime_error {
public:
  /// `message` is kept to one line (escapeControlCharacters); what() spells
  /// its options neutrally.
  Error(ErrorKind kind, Message message)
      : std::runtime_error(escapeControlCharacters(message.str())),
        kind_(kind), message_(std::move(message)) {}
  ErrorKind kind() const { return kind_; }
  int exitCode() const { return kind_ == ErrorKind::Usage ? 2 : 1; }
  /// The one-line message with its options written by `spell`.
  std::string message(const OptionSpelling &spell) const {
    return escapeControlCharacters(message_.str(spell));
  }

private:
  ErrorKind kind_;
  Message message_;
};

/// The first non-empty line of an exception's message, trimmed: torch's
/// messages often start with a newline and end with a C++ backtrace.
inline std::string firstMessageLine(const std::string &text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    size_t first = text.find_first_not_of(" \t\r", start);
    if (first != std::string::npos && first < end) {
      size_t last = text.find_last_not_of(" \t\r", end - 1);
      return text.substr(first, last - first + 1);
    }
    start = end + 1;
  }
  return "";
}

[[noreturn]] inline void usageError(Message message) {
  throw Error(ErrorKind::Usage, std::move(message));
}
[[noreturn]] inline void conversionError(Message message) {
  throw Error(ErrorKind::Conversion, std::move(message));
}

/// Whether `e` says that an allocation failed: std::bad_alloc, or LibTorch's
/// CPU allocator refusing a size (a c10::Error with its own words).
inline bool isOutOfMemory(const std::exception &e) {
  return dynamic_cast<const std::bad_alloc *>(&e) != nullptr ||
         std::strstr(e.what(), "DefaultCPUAllocator: can't allocate memory") !=
             nullptr;
}

/// Rethrows an allocation failure as std::bad_alloc. Code that turns any
/// exception into an s2t::Error calls it first, so that running out of memory
/// stays one message, "out of memory while STAGE" (s2t-opt), wherever it
/// happened.
inline void rethrowIfOutOfMemory(const std::exception &e) {
  if (isOutOfMemory(e))
    throw std::bad_alloc();
}

} // namespace s2t
