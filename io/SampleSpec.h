//===- io/SampleSpec.h - Samples from --specialize-input --------*- C++ -*-===//
//
// Parses the values given with --specialize-input and binds them to the
// arguments of a method's schema. The grammar is documented in
// docs/spec-grammar.md and in `s2t-opt --help`. The parser is
// io/sample/SpecParser.cpp, the values it builds (tensors, meta tensors,
// @file samples) io/sample/SpecValues.cpp, the binding to a schema
// io/sample/Binding.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>

#include <optional>
#include <string>
#include <vector>

namespace s2t {

/// One --specialize-input option, parsed but not yet matched to the schema.
struct SampleSpec {
  std::optional<std::string> name; ///< set for NAME=SPEC
  c10::IValue value;               ///< the literal, or what @file held
  bool fromFile = false;           ///< given as @file.pt
  std::string text;                ///< the option as written, for messages
};

/// The sample of an argument given as `?`: nothing is known about it.
c10::IValue unknownSample();
bool isUnknownSample(const c10::IValue &value);
/// Whether `value` is a tensor known by dtype and sizes only (`f32[2,3]`),
/// represented by a tensor on the meta device.
bool isShapeOnlySample(const c10::IValue &value);

/// Parses one spec. Throws s2t::Error (ErrorKind::Usage) on malformed text or
/// an unreadable @file.
SampleSpec parseSampleSpec(const std::string &text);

/// Parses the specs of one method call. An error names the argument the spec
/// was meant for (by NAME= or by position in the schema, after `self`).
std::vector<SampleSpec> parseSampleSpecs(const std::vector<std::string> &texts,
                                         const c10::FunctionSchema &schema);

/// Parses a literal value (no NAME=, no @file).
c10::IValue parseSampleLiteral(const std::string &text);

/// Matches specs to the schema's arguments after `self` (by position, or by
/// name for NAME=SPEC), coerces each (a number for a Tensor argument becomes
/// a 0-dim tensor, an int for a float argument a float, ...), fills arguments
/// that have defaults, and returns one IValue per argument after `self`.
/// A tuple given as the only spec is the whole argument list when the method
/// takes more than one argument or its one argument is not a tuple.
/// Throws s2t::Error (ErrorKind::Usage) naming the argument on any mismatch.
std::vector<c10::IValue> bindSampleSpecs(const std::vector<SampleSpec> &specs,
                                         const c10::FunctionSchema &schema);

} // namespace s2t
