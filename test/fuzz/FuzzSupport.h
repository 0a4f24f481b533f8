//===- test/fuzz/FuzzSupport.h - What the fuzz targets share ----*- C++ -*-===//
//
// The contract every fuzz target checks: whatever the bytes, s2t either
// succeeds or throws s2t::Error with one non-empty line, or std::bad_alloc
// for an allocation that failed (s2t-opt: "out of memory while STAGE", as
// the fuzzer's allocator returns null past its limit). Anything else (a
// c10::Error or std exception escaping the library, a message of several
// lines) is reported and aborts, so libFuzzer keeps the input as a crash.
// Also: temporary files for the paths that read files, sample values made up
// from a schema's types, and the bounded pipeline options.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "io/ModuleIO.h"
#include "passes/Pipeline.h"

#include <ATen/ATen.h>
#include <ATen/core/jit_type.h>
#include <c10/util/Exception.h>
#include <torch/csrc/jit/ir/ir.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>

namespace s2t {
namespace fuzz {

[[noreturn]] inline void contractBroken(const char *what,
                                        const std::string &message) {
  std::fprintf(stderr, "s2t fuzz: contract broken: %s: %s\n", what,
               message.c_str());
  std::abort();
}

/// Runs `body`; an s2t::Error must be one non-empty line, anything else
/// thrown but std::bad_alloc breaks the contract.
template <typename F> void expectCleanErrors(F &&body) {
  try {
    body();
  } catch (const Error &e) {
    std::string message = e.what();
    if (message.empty() || message.find('\n') != std::string::npos ||
        message.find('\r') != std::string::npos)
      contractBroken("s2t::Error is not one line", message);
  } catch (const std::bad_alloc &) {
    // Out of memory: what the library rethrows any failed allocation as.
  } catch (const c10::Error &e) {
    contractBroken("uncaught c10::Error", e.what_without_backtrace());
  } catch (const std::exception &e) {
    contractBroken("uncaught std::exception", e.what());
  } catch (...) {
    contractBroken("uncaught exception", "(not a std::exception)");
  }
}

/// A file holding `bytes`, removed when this goes out of scope. In /dev/shm
/// when there is one, so that writing it costs no disk.
class TemporaryFile {
public:
  TemporaryFile(const uint8_t *data, size_t size, const char *suffix) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/s2t-fuzz-" + std::to_string(getpid()) + suffix;
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data),
              static_cast<std::streamsize>(size));
    if (!out.flush())
      contractBroken("fuzz harness", "cannot write " + path_);
  }
  ~TemporaryFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// A small sample for an argument of type `type`, or nullopt when the type is
/// one we do not make samples for (objects, futures, ...).
inline std::optional<c10::IValue> sampleFor(const c10::TypePtr &type,
                                            int depth = 0) {
  if (depth > 4)
    return std::nullopt;
  switch (type->kind()) {
  case c10::TypeKind::TensorType:
    return c10::IValue(at::tensor({1.5f, -2.0f, 3.0f, 0.0f}).reshape({2, 2}));
  case c10::TypeKind::IntType:
    return c10::IValue(int64_t(2));
  case c10::TypeKind::FloatType:
    return c10::IValue(0.5);
  case c10::TypeKind::NumberType:
    return c10::IValue(int64_t(1));
  case c10::TypeKind::BoolType:
    return c10::IValue(true);
  case c10::TypeKind::StringType:
    return c10::IValue(std::string("a"));
  case c10::TypeKind::NoneType:
    return c10::IValue();
  case c10::TypeKind::OptionalType:
    return sampleFor(type->expectRef<c10::OptionalType>().getElementType(),
                     depth + 1);
  case c10::TypeKind::ListType: {
    c10::TypePtr element = type->expectRef<c10::ListType>().getElementType();
    auto one = sampleFor(element, depth + 1);
    if (!one)
      return std::nullopt;
    c10::impl::GenericList list(element);
    list.push_back(*one);
    list.push_back(*one);
    return c10::IValue(list);
  }
  case c10::TypeKind::TupleType: {
    std::vector<c10::IValue> elements;
    for (const c10::TypePtr &element : type->containedTypes()) {
      auto one = sampleFor(element, depth + 1);
      if (!one)
        return std::nullopt;
      elements.push_back(*one);
    }
    return c10::IValue(c10::ivalue::Tuple::create(std::move(elements)));
  }
  case c10::TypeKind::DictType: {
    const auto &dict = type->expectRef<c10::DictType>();
    auto key = sampleFor(dict.getKeyType(), depth + 1);
    auto value = sampleFor(dict.getValueType(), depth + 1);
    if (!key || !value)
      return std::nullopt;
    c10::impl::GenericDict out(dict.getKeyType(), dict.getValueType());
    out.insert(*key, *value);
    return c10::IValue(out);
  }
  default:
    return std::nullopt;
  }
}

/// Small limits, so that one input runs in milliseconds and bounded memory.
inline Options boundedOptions() {
  Options options;
  options.maxUnroll = 64;
  options.maxNodes = 2000;
  return options;
}

/// Specializes `program` with samples made up from its schema, then prints
/// the flat graph (the driver's text output). Returns quietly when the schema
/// takes an argument we make no sample for.
inline void specializeWithMadeUpSamples(const Program &program) {
  const auto &arguments = program.schema.arguments();
  std::vector<c10::IValue> samples;
  for (size_t i = program.module ? 1 : 0; i < arguments.size(); ++i) {
    auto sample = sampleFor(arguments[i].type());
    if (!sample)
      return;
    samples.push_back(*sample);
  }
  SpecializeResult result =
      specializeProgram(program, samples, boundedOptions()).result;
  std::ostringstream text;
  text << *result.graph;
}

} // namespace fuzz
} // namespace s2t
