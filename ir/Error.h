//===- ir/Error.h - User-facing errors of s2t ------------------*- C++ -*-===//
//
// Everything a user's archive, spec or model can cause is reported as an
// s2t::Error: one line of text (without the "error: " prefix) and a kind that
// tells the driver which exit code to use. Our own invariants use
// TORCH_INTERNAL_ASSERT instead.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

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

class Error : public std::runtime_error {
public:
  /// `message` is kept to one line (escapeControlCharacters).
  Error(ErrorKind kind, const std::string &message)
      : std::runtime_error(escapeControlCharacters(message)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exitCode() const { return kind_ == ErrorKind::Usage ? 2 : 1; }

private:
  ErrorKind kind_;
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

[[noreturn]] inline void usageError(const std::string &message) {
  throw Error(ErrorKind::Usage, message);
}
[[noreturn]] inline void conversionError(const std::string &message) {
  throw Error(ErrorKind::Conversion, message);
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
