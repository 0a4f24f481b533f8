//===- test/unit/SampleSpecTestSupport.h - Spec test helpers ----*- C++ -*-===//
//
// What the tests of io/SampleSpec.h share (SampleSpecParserTest.cpp,
// SampleSpecBindingTest.cpp): expecting a usage error and its message,
// comparing tensors exactly, method schemas with a `self`, and a temporary
// folder of @file samples written with torch::jit::pickle_save (torch.save's
// zip format).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "io/SampleSpec.h"

#include "ir/Error.h"

#include <ATen/ATen.h>
#include <ATen/core/class_type.h>
#include <ATen/core/jit_type.h>
#include <torch/csrc/jit/frontend/function_schema_parser.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace sample_spec_test {

using c10::IValue;
using s2t::bindSampleSpecs;
using s2t::parseSampleLiteral;
using s2t::parseSampleSpec;
using s2t::SampleSpec;

/// Runs `f`, which must throw a usage s2t::Error, and returns its message.
inline std::string usageErrorOf(const std::function<void()> &f) {
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

inline std::string literalError(const std::string &text) {
  return usageErrorOf([&] { parseSampleLiteral(text); });
}
inline std::string specError(const std::string &text) {
  return usageErrorOf([&] { parseSampleSpec(text); });
}

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

/// A tensor literal must have exactly this dtype, shape and contents.
inline void expectTensor(const IValue &v, const at::Tensor &expected) {
  ASSERT_TRUE(v.isTensor()) << v.tagKind();
  const at::Tensor &t = v.toTensor();
  EXPECT_EQ(t.scalar_type(), expected.scalar_type());
  EXPECT_EQ(t.sizes(), expected.sizes());
  if (t.scalar_type() == expected.scalar_type() &&
      t.sizes() == expected.sizes()) {
    EXPECT_TRUE(at::equal(t, expected)) << t << "\nvs\n" << expected;
  }
}

inline at::Tensor literalTensor(const std::string &text) {
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
inline at::Tensor boolTensor(std::initializer_list<bool> values) {
  std::vector<int64_t> ints(values.begin(), values.end());
  return at::tensor(ints, at::kLong).to(at::kBool);
}

/// Parses "forward(Tensor x, ...) -> ..." and, if withSelf, prepends a `self`
/// argument of a module class type like TorchScript methods have.
inline c10::FunctionSchema makeSchema(const std::string &signature,
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
inline c10::FunctionSchema makeSchema(std::vector<c10::Argument> userArgs) {
  std::vector<c10::Argument> args;
  args.emplace_back("self", c10::ClassType::create(
                                c10::QualifiedName("__torch__.M"),
                                std::weak_ptr<torch::jit::CompilationUnit>(),
                                /*is_module=*/true));
  for (auto &a : userArgs)
    args.push_back(std::move(a));
  return c10::FunctionSchema("forward", "", args, {});
}

inline std::vector<SampleSpec> specs(const std::vector<std::string> &texts) {
  std::vector<SampleSpec> out;
  for (const auto &t : texts)
    out.push_back(parseSampleSpec(t));
  return out;
}

inline std::vector<IValue> bind(const std::vector<std::string> &texts,
                                const c10::FunctionSchema &schema) {
  return bindSampleSpecs(specs(texts), schema);
}

inline std::string bindError(const std::vector<std::string> &texts,
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

} // namespace sample_spec_test
