//===- io/sample/Binding.cpp - Samples bound to a method's arguments ------===//
//
// Matches parsed specs to the arguments of a method's schema (by position, or
// by name for NAME=SPEC; a tuple given alone spreads over the argument list),
// fills defaults, and coerces each value to its argument's declared type the
// way TorchScript would accept it from Python (a number for a Tensor becomes
// a 0-dim tensor, an int for a float a float, Optional, Union, lists, tuples
// and dicts element by element). Messages name the argument and, inside a
// container, the element that does not fit.
//
//===----------------------------------------------------------------------===//
#include "io/SampleSpec.h"
#include "io/sample/SampleValues.h"

#include <ATen/core/class_type.h>
#include <ATen/core/jit_type.h>

namespace s2t {
namespace sample {

size_t firstSampleArgument(const c10::FunctionSchema &schema) {
  const std::vector<c10::Argument> &arguments = schema.arguments();
  return !arguments.empty() && arguments[0].type()->cast<c10::ClassType>() ? 1
                                                                           : 0;
}

} // namespace sample

namespace {

using namespace sample;

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
    case c10::TypeKind::UnionType:
      return runUnion(v, t, conversions);
    case c10::TypeKind::ListType:
      return runList(v, t, conversions);
    case c10::TypeKind::TupleType:
      return runTuple(v, t, conversions);
    case c10::TypeKind::DictType:
      return runDict(v, t, conversions);
    default:
      if (v.type()->isSubtypeOf(*t))
        return v;
      return mismatch(v, t);
    }
  }

private:
  std::optional<c10::IValue> runUnion(const c10::IValue &v,
                                      const c10::TypePtr &t, bool conversions) {
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

  std::optional<c10::IValue> runList(const c10::IValue &v,
                                     const c10::TypePtr &t, bool conversions) {
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

  std::optional<c10::IValue> runTuple(const c10::IValue &v,
                                      const c10::TypePtr &t, bool conversions) {
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

  std::optional<c10::IValue> runDict(const c10::IValue &v,
                                     const c10::TypePtr &t, bool conversions) {
    if (!v.isGenericDict())
      return mismatch(v, t);
    const auto &dictType = t->expectRef<c10::DictType>();
    c10::impl::GenericDict out(dictType.getKeyType(), dictType.getValueType());
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

bool isTupleType(const c10::TypePtr &type) {
  c10::TypePtr t = type;
  if (auto opt = t->cast<c10::OptionalType>())
    t = opt->getElementType();
  return t->kind() == c10::TypeKind::TupleType;
}

//===----------------------------------------------------------------------===//
// Matching samples to arguments
//===----------------------------------------------------------------------===//

/// Binds the specs of one call: gathers the values given (spreading a tuple
/// given alone), assigns each to its argument's slot, then fills defaults and
/// coerces each slot to its argument's type.
class Binder {
public:
  explicit Binder(const c10::FunctionSchema &schema)
      : schema_(schema), first_(firstSampleArgument(schema)),
        n_(schema.arguments().size() - first_), slots_(n_), origins_(n_) {}

  std::vector<c10::IValue> bind(const std::vector<SampleSpec> &specs) {
    gather(specs);
    assign();
    std::vector<c10::IValue> result;
    result.reserve(n_);
    for (size_t i = 0; i < n_; ++i)
      result.push_back(slotValue(i));
    return result;
  }

private:
  /// One positional or named value, with where it came from.
  struct Given {
    std::optional<std::string> name;
    c10::IValue value;
    std::string origin; ///< the spec text, for messages
  };

  const c10::Argument &argAt(size_t i) const {
    return schema_.arguments()[first_ + i];
  }

  std::string describeArgs() const {
    if (n_ == 0)
      return std::string("no arguments");
    std::string names;
    for (size_t i = 0; i < n_; ++i)
      names += (i ? ", " : "") + argAt(i).name();
    return std::to_string(n_) + (n_ == 1 ? " argument (" : " arguments (") +
           names + ")";
  }

  // A tuple given alone is the argument list, unless the method takes one
  // tuple; a file holding a one-element tuple of a tuple, `torch.save((p,))`,
  // is the argument list even then.
  void gather(const std::vector<SampleSpec> &specs) {
    auto wrapsOneTuple = [&](const SampleSpec &spec) {
      const auto &elements = spec.value.toTupleRef().elements();
      return spec.fromFile && elements.size() == 1 && elements[0].isTuple();
    };
    if (specs.size() == 1 && !specs[0].name && specs[0].value.isTuple() &&
        (n_ != 1 || !isTupleType(argAt(0).type()) || wrapsOneTuple(specs[0]))) {
      spreadFrom_ = specs[0].text;
      for (const auto &e : specs[0].value.toTupleRef().elements())
        given_.push_back({std::nullopt, e, specs[0].text});
      return;
    }
    for (const auto &s : specs)
      given_.push_back({s.name, s.value, s.text});
  }

  void assign() {
    size_t positional = 0;
    const Given *firstNamed = nullptr;
    for (const auto &g : given_) {
      size_t index;
      if (g.name) {
        if (!firstNamed)
          firstNamed = &g;
        index = namedIndex(g);
      } else {
        if (firstNamed)
          usageError("positional sample '" + g.origin +
                     "' follows the named sample '" + firstNamed->origin + "'");
        if (positional >= n_)
          tooMany();
        index = positional++;
      }
      if (slots_[index])
        usageError("argument '" + argAt(index).name() + "' is given twice ('" +
                   origins_[index] + "' and '" + g.origin + "')");
      slots_[index] = g.value;
      origins_[index] = g.origin;
    }
  }

  size_t namedIndex(const Given &g) const {
    size_t index = n_;
    for (size_t i = 0; i < n_; ++i)
      if (argAt(i).name() == *g.name)
        index = i;
    if (index == n_)
      usageError("sample '" + g.origin + "' names unknown argument '" +
                 *g.name + "'; method '" + schema_.name() + "' takes " +
                 describeArgs());
    return index;
  }

  [[noreturn]] void tooMany() const {
    size_t count = 0;
    for (const auto &h : given_)
      count += !h.name;
    usageError("too many samples: method '" + schema_.name() + "' takes " +
               describeArgs() + ", got " + std::to_string(count) +
               (spreadFrom_.empty()
                    ? std::string()
                    : " from the tuple in '" + spreadFrom_ + "'"));
  }

  /// The value of argument `i`: its sample coerced to its type, or its
  /// default.
  c10::IValue slotValue(size_t i) const {
    const c10::Argument &arg = argAt(i);
    const c10::TypePtr &type = arg.type();
    std::string typeStr = type->annotation_str();
    std::string where = "argument '" + arg.name() + "' (position " +
                        std::to_string(i + 1) + ")";
    if (!slots_[i]) {
      if (arg.default_value())
        return *arg.default_value();
      usageError("missing sample for argument '" + arg.name() + "' (" +
                 typeStr + ")");
    }
    if (isUnknownSample(*slots_[i]))
      return *slots_[i];
    return guarded(where, [&] {
      Coercer coercer;
      auto r = coercer.run(*slots_[i], type, /*conversions=*/true);
      if (r)
        return *r;
      std::string msg =
          where + " expects " + typeStr + ", got " + describe(*slots_[i]);
      if (!coercer.path.empty())
        msg += ": element " + coercer.path + " expects " +
               coercer.failedType->annotation_str() + ", got " +
               describe(coercer.failedValue);
      if (!coercer.note.empty())
        msg += " (" + coercer.note + ")";
      usageError(msg);
    });
  }

  const c10::FunctionSchema &schema_;
  const size_t first_;
  const size_t n_;
  std::vector<Given> given_;
  std::string spreadFrom_;
  std::vector<std::optional<c10::IValue>> slots_;
  std::vector<std::string> origins_;
};

} // namespace

std::vector<c10::IValue> bindSampleSpecs(const std::vector<SampleSpec> &specs,
                                         const c10::FunctionSchema &schema) {
  return guarded("cannot bind samples to method '" + schema.name() + "'",
                 [&] { return Binder(schema).bind(specs); });
}

} // namespace s2t
