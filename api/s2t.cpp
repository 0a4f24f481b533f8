//===- api/s2t.cpp - s2t's public C++ API ---------------------------------===//
//
// include/s2t/s2t.h over the internal stages (ir/ModuleIO.h, ir/SampleSpec.h,
// passes/Pipeline.h). Each conversion works on a clone of the model's module
// that shares its tensors, so the model can be converted again and the
// caller's module never runs a flat graph by surprise.
//
//===----------------------------------------------------------------------===//

#include "s2t/s2t.h"

#include "ir/DecisionReport.h"
#include "ir/ModuleIO.h"
#include "io/SampleSpec.h"
#include "passes/Pipeline.h"

#include <ATen/Context.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>

#include <sstream>

namespace s2t {

using namespace torch::jit;

Guards parseGuards(const std::string &text) {
  for (Guards guards : {Guards::None, Guards::Assert, Guards::Fallback})
    if (text == toString(guards))
      return guards;
  usageError("guards='" + text + "' is not one of none, assert, fallback");
}

const char *toString(Guards guards) {
  switch (guards) {
  case Guards::None:
    return "none";
  case Guards::Assert:
    return "assert";
  case Guards::Fallback:
    return "fallback";
  }
  return "?";
}

namespace {

/// The one place where guards meet the pass.
void applyGuards(Guards guards, SpecializeOptions &options) {
  options.guards = guards == Guards::Assert     ? GuardMode::Assert
                   : guards == Guards::Fallback ? GuardMode::Fallback
                                                : GuardMode::None;
}

Program programOf(const Module &module, const std::string &method,
                  const std::string &path) {
  Program program;
  program.path = path;
  program.method = method;
  program.module = std::make_shared<Module>(module);
  auto found = module.find_method(method);
  if (!found) {
    std::string available;
    for (const auto &candidate : module.get_methods())
      available += (available.empty() ? "" : ", ") + candidate.name();
    conversionError("the module has no method '" + method + "' (it has: " +
                    (available.empty() ? "none" : available) + ")");
  }
  program.graph = toGraphFunction(found->function()).graph();
  program.schema = found->function().getSchema();
  return program;
}

bool isTextPath(const std::string &path) {
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  return endsWith(".ir") || endsWith(".txt");
}

} // namespace

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::Model(std::shared_ptr<Program> program) : program_(std::move(program)) {}

Model Model::load(const std::string &path, const std::string &method) {
  return Model(std::make_shared<Program>(loadProgram(path, method)));
}

Model Model::fromModule(const Module &module, const std::string &method) {
  return Model(std::make_shared<Program>(programOf(module, method, "<module>")));
}

std::vector<std::string> Model::argumentNames() const {
  std::vector<std::string> names;
  const auto &arguments = program_->schema.arguments();
  for (size_t i = program_->module ? 1 : 0; i < arguments.size(); ++i)
    names.push_back(arguments[i].name());
  return names;
}

std::vector<c10::IValue>
Model::parseSamples(const std::vector<std::string> &specs) const {
  return bindSampleSpecs(parseSampleSpecs(specs, program_->schema),
                         program_->schema);
}

std::vector<c10::IValue>
Model::bindSamples(const std::vector<Sample> &samples) const {
  std::vector<SampleSpec> specs;
  for (const Sample &sample : samples) {
    SampleSpec spec;
    if (!sample.name.empty())
      spec.name = sample.name;
    spec.value = sample.value;
    spec.text = sample.text;
    specs.push_back(std::move(spec));
  }
  return bindSampleSpecs(specs, program_->schema);
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

struct Conversion::State {
  Program program; ///< its module is the clone the flat graph belongs to
  std::shared_ptr<Graph> flat;
  Report report;
  bool freeze = false;
  std::string fallbackMethod; ///< Guards::Fallback: the scripted method's name
  std::optional<Module> module; ///< built on first use
};

Conversion::Conversion(std::shared_ptr<State> state) : state_(std::move(state)) {}

std::shared_ptr<Graph> Conversion::graph() const { return state_->flat; }

const Report &Conversion::report() const { return state_->report; }

Module Conversion::module() const {
  if (!state_->module)
    state_->module =
        installFlatGraph(state_->program, state_->flat, state_->freeze,
                         state_->fallbackMethod);
  return *state_->module;
}

void Conversion::save(const std::string &path) const {
  if (!isTextPath(path)) {
    saveModule(module(), path);
    return;
  }
  std::ostringstream text;
  text << *state_->flat;
  writeTextFile(path, text.str());
}

const char *version() { return S2T_VERSION; }

Conversion convert(const Model &model, const std::vector<c10::IValue> &arguments,
                   const Options &options) {
  SpecializeOptions specializeOptions;
  specializeOptions.maxUnroll = options.maxUnroll;
  specializeOptions.maxNodes = options.maxNodes;
  applyGuards(options.guards, specializeOptions);
  specializeOptions.allowResidual = options.allowResidual;
  if (options.seed)
    at::manual_seed(*options.seed);

  auto state = std::make_shared<Conversion::State>();
  const Program &source = *model.program_;
  state->program = source;
  if (source.module)
    state->program = programOf(source.module->clone(/*inplace=*/true),
                               source.method, source.path);
  SpecializeResult result =
      specializeProgram(state->program, arguments, specializeOptions);
  state->flat = result.graph;
  state->freeze = options.freeze;
  Report &report = state->report;
  state->fallbackMethod = result.fallbackMethod;
  for (const Decision &decision : result.decisions)
    report.decisions.push_back({decision.kindName(),
                                toString(decision.category),
                                decision.location(), decision.outcome,
                                decision.outcomeText(), decision.dependsOn,
                                decision.checked, decision.residual,
                                decision.reason});
  report.warnings = decisionWarnings(result);
  report.iterationsUnrolled = result.iterationsUnrolled;
  report.callsInlined = result.callsInlined;
  report.kernelsRun = result.kernelsRun;
  return Conversion(std::move(state));
}

} // namespace s2t
