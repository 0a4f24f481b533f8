//===- python/PythonModule.cpp - The extension module s2t._C --------------===//
//
// Binds include/s2t/s2t.h for Python; python/s2t/__init__.py is the API users
// call. Debian's python3-torch and libtorch-dev are one LibTorch and both are
// built with the same pybind11, so a torch._C.ScriptModule casts to
// torch::jit::Module here (one type registry per process) and a Module cast
// back is a torch._C.ScriptModule. Tensors cross as THPVariable.
//
//===----------------------------------------------------------------------===//

#include "s2t/s2t.h"

#include <torch/csrc/autograd/python_variable.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <sstream>

namespace py = pybind11;

namespace {

/// A sample as the binder sees it: values keep their Python shape and get
/// their schema types when bound, exactly as parsed specs do in s2t-opt.
c10::IValue toSampleValue(py::handle object, int depth = 0) {
  if (depth > 128)
    s2t::usageError("sample nested more than 128 levels deep");
  if (object.is_none())
    return c10::IValue();
  if (THPVariable_Check(object.ptr()))
    return THPVariable_Unpack(object.ptr());
  if (py::isinstance<py::bool_>(object))
    return object.cast<bool>();
  if (py::isinstance<py::int_>(object)) {
    try {
      return object.cast<int64_t>();
    } catch (const py::cast_error &) {
      s2t::usageError("sample int " + py::repr(object).cast<std::string>() +
                      " does not fit in 64 bits");
    }
  }
  if (py::isinstance<py::float_>(object))
    return object.cast<double>();
  if (py::isinstance<py::str>(object))
    return object.cast<std::string>();
  if (py::isinstance<py::tuple>(object)) {
    std::vector<c10::IValue> elements;
    for (py::handle element : object)
      elements.push_back(toSampleValue(element, depth + 1));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (py::isinstance<py::list>(object)) {
    c10::impl::GenericList list(c10::AnyType::get());
    for (py::handle element : object)
      list.push_back(toSampleValue(element, depth + 1));
    return list;
  }
  if (py::isinstance<py::dict>(object)) {
    c10::impl::GenericDict dict(c10::AnyType::get(), c10::AnyType::get());
    for (auto item : object.cast<py::dict>())
      dict.insert_or_assign(toSampleValue(item.first, depth + 1),
                            toSampleValue(item.second, depth + 1));
    return dict;
  }
  s2t::usageError("a sample of Python type '" +
                  py::str(object.get_type().attr("__qualname__"))
                      .cast<std::string>() +
                  "' is not supported (tensors, numbers, bools, strings, None, "
                  "and lists, tuples and dicts of them are)");
}

/// How Python names an option in a message: the keyword as a call would
/// write it (`max_unroll=2`, `guards='assert'`, `allow_residual=True`), and
/// the report option as the function that gives it.
std::string pythonSpelling(const s2t::OptionMention &option) {
  if (option.key == "report")
    return "s2t.report()";
  if (option.value.empty())
    return option.key + "=True";
  const std::string &value = option.value;
  bool number = value.find_first_not_of("-0123456789") == std::string::npos;
  return option.key + "=" + (number ? value : "'" + value + "'");
}

/// Runs `body`; anything but an s2t::Error becomes one, worded as s2t-opt
/// words it, so Python sees s2t.Error with the CLI's one line.
template <typename Body> auto guarded(Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const s2t::Error &) {
    throw;
  } catch (const py::error_already_set &) {
    throw;
  } catch (const std::exception &e) {
    if (s2t::isOutOfMemory(e))
      throw std::bad_alloc(); // pybind11 raises MemoryError for it
    s2t::conversionError("internal: " + s2t::firstMessageLine(e.what()));
  }
}

/// Raises an s2t::Error as s2t.UsageError or s2t.ConversionError
/// (python/s2t/_errors.py), the classes of s2t-opt's exit codes 2 and 1.
void raiseAsPython(const s2t::Error &error) {
  py::object errors = py::module_::import("s2t._errors");
  py::object type = errors.attr(error.kind() == s2t::ErrorKind::Usage
                                    ? "UsageError"
                                    : "ConversionError");
  PyErr_SetObject(type.ptr(),
                  py::str(error.message(pythonSpelling)).ptr());
}

/// The s2t.Report of a conversion (python/s2t/_api.py), its decisions as
/// s2t.Decision: the Python spelling of s2t::Report and s2t::DecisionReport.
py::object pythonReport(const s2t::Report &report) {
  py::module_ api = py::module_::import("s2t._api");
  py::object decisionType = api.attr("Decision");
  py::list decisions;
  for (const s2t::DecisionReport &d : report.decisions)
    decisions.append(decisionType(
        py::arg("kind") = d.kind, py::arg("category") = d.category,
        py::arg("location") = d.location, py::arg("outcome") = d.outcome,
        py::arg("outcome_text") = d.outcomeText,
        py::arg("depends_on") = py::tuple(py::cast(d.dependsOn)),
        py::arg("checked") = d.checked, py::arg("residual") = d.residual,
        py::arg("reason") = d.reason));
  py::list warnings;
  for (const s2t::Message &line : report.warnings)
    warnings.append(line.str(pythonSpelling));
  return api.attr("Report")(
      decisions, py::arg("iterations_unrolled") = report.iterationsUnrolled,
      py::arg("calls_inlined") = report.callsInlined,
      py::arg("kernels_run") = report.kernelsRun,
      py::arg("metadata_formula") = report.metadataFormula,
      py::arg("metadata_dispatch") = report.metadataDispatch,
      py::arg("metadata_reused") = report.metadataReused,
      py::arg("warnings") = warnings);
}

/// script_to_trace and report in one: the flat module (or None) and the
/// s2t.Report of what was decided.
py::tuple convert(const py::object &scriptModule, const std::string &method,
                  const py::list &samples, const s2t::Options &options,
                  bool wantModule) {
  if (options.maxUnroll <= 0 || options.maxNodes <= 0)
    s2t::usageError("max_unroll and max_nodes must be positive");

  torch::jit::Module module = scriptModule.cast<torch::jit::Module>();
  std::vector<s2t::Sample> bound;
  for (py::handle item : samples) {
    auto entry = item.cast<py::tuple>(); // (name or "", value, text)
    bound.push_back({entry[0].cast<std::string>(), toSampleValue(entry[1]),
                     entry[2].cast<std::string>()});
  }

  std::optional<torch::jit::Module> flat;
  s2t::Report report;
  {
    py::gil_scoped_release released;
    guarded([&] {
      s2t::Model model = s2t::Model::fromModule(module, method);
      s2t::Conversion conversion =
          s2t::convert(model, model.bindSamples(bound), options);
      report = conversion.report();
      if (wantModule)
        flat = conversion.module();
    });
  }
  return py::make_tuple(flat ? py::cast(*flat) : py::none(),
                        pythonReport(report));
}

/// s2t::Options as _C.Options: the keywords of script_to_trace, with the
/// defaults of the one options struct.
void bindOptions(py::module_ &m) {
  py::class_<s2t::Options>(m, "Options")
      .def(py::init<>())
      .def_readwrite("max_unroll", &s2t::Options::maxUnroll)
      .def_readwrite("max_nodes", &s2t::Options::maxNodes)
      .def_readwrite("seed", &s2t::Options::seed)
      .def_readwrite("freeze", &s2t::Options::freeze)
      .def_readwrite("allow_residual", &s2t::Options::allowResidual)
      .def_property(
          "guards",
          [](const s2t::Options &o) { return std::string(toString(o.guards)); },
          [](s2t::Options &o, const std::string &text) {
            o.guards = guarded([&] { return s2t::parseGuards(text); });
          });
}

} // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "s2t's C++ core; use the functions of the package s2t.";
  m.attr("__version__") = s2t::version();
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown)
        std::rethrow_exception(thrown);
    } catch (const s2t::Error &error) {
      raiseAsPython(error);
    }
  });
  bindOptions(m);
  m.def("convert", &convert, py::arg("module"), py::arg("method"),
        py::arg("samples"), py::arg("options"), py::arg("want_module"));
}
