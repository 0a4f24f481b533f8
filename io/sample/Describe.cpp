//===- io/sample/Describe.cpp - Sample values as messages show them -------===//
//
// The printing of values in the messages of the spec parser and the binding:
// Python-like reprs cut to one readable line, and descriptions that name a
// value's type ("Tensor of dtype float32 and shape [2]").
//
//===----------------------------------------------------------------------===//
#include "io/sample/SampleValues.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace s2t {
namespace sample {
namespace {

constexpr size_t kMaxReprLength = 60;

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

} // namespace

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

std::string shapeString(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

std::string repr(const c10::IValue &v) {
  std::string out;
  appendRepr(v, out);
  if (out.size() > kMaxReprLength)
    out = out.substr(0, kMaxReprLength) + "...";
  return out;
}

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

std::string shortened(const std::string &text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax)
    return text;
  return text.substr(0, kMax) + "...";
}

} // namespace sample
} // namespace s2t
