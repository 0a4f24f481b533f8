//===- api/s2t.cpp - s2t's public C++ API ---------------------------------===//
//
// include/s2t/s2t.h over the internal stages (io/ModuleIO.h, io/SampleSpec.h,
// passes/Pipeline.h) and what renders their result (emit/DecisionReport.h,
// emit/DotEmitter.h). Each conversion works on a clone of the model's module
// that shares its tensors, so the model can be converted again and the
// caller's module never runs a flat graph by surprise.
//
//===----------------------------------------------------------------------===//

#include "s2t/s2t.h"

#include "emit/DecisionReport.h"
#include "emit/DotEmitter.h"
#include "emit/OutputWriter.h"
#include "io/ModuleIO.h"
#include "io/SampleSpec.h"
#include "passes/Pipeline.h"

#include <ATen/Context.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>

#include <sstream>
#include <unordered_set>

namespace s2t {

using namespace torch::jit;

Guards parseGuards(const std::string &text) {
  for (Guards guards : {Guards::None, Guards::Assert, Guards::Fallback})
    if (text == toString(guards))
      return guards;
  usageError(option("guards", text) +
             " is not one of none, assert, fallback");
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

std::vector<StageSummary> stages() {
  std::vector<StageSummary> summaries;
  for (const Stage &stage : pipelineStages())
    summaries.push_back({stage.name, stage.summary});
  return summaries;
}

void writeFile(const std::string &path, const std::string &bytes) {
  writeTextFile(path, bytes);
}

OutputFile::OutputFile(const std::string &path)
    : file_(std::make_unique<PendingFile>(path)) {}
OutputFile::~OutputFile() = default;
OutputFile::OutputFile(OutputFile &&) noexcept = default;
OutputFile &OutputFile::operator=(OutputFile &&) noexcept = default;

std::ostream &OutputFile::stream() { return file_->stream(); }

void OutputFile::keep() { file_->keep(); }

namespace {

/// Nodes of the block and of every method and function it calls, each callee
/// counted once: the size of the scripted program, not only of its entry.
int64_t countNodes(const Block *block, std::unordered_set<const Graph *> &seen) {
  int64_t count = 0;
  for (const Node *node : block->nodes()) {
    ++count;
    for (const Block *inner : node->blocks())
      count += countNodes(inner, seen);
    Function *callee = nullptr;
    if (node->kind() == prim::CallMethod) {
      if (auto type = node->input(0)->type()->cast<c10::ClassType>())
        callee = type->findMethod(node->s(attr::name));
    } else if (node->kind() == prim::CallFunction) {
      if (auto type = node->input(0)->type()->cast<c10::FunctionType>())
        callee = type->function();
    }
    if (!callee || !callee->isGraphFunction())
      continue;
    const Graph *graph = toGraphFunction(*callee).graph().get();
    if (seen.insert(graph).second)
      count += countNodes(graph->block(), seen);
  }
  return count;
}

int64_t countNodes(const Graph &graph) {
  std::unordered_set<const Graph *> seen{&graph};
  return countNodes(graph.block(), seen);
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

std::shared_ptr<Graph> Model::graph() const { return program_->graph; }

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
  SpecializeResult result; ///< the decisions point into program.graph
  Report report;
  bool freeze = false;
  std::optional<Module> module; ///< built on first use
};

Conversion::Conversion(std::shared_ptr<State> state) : state_(std::move(state)) {}

std::shared_ptr<Graph> Conversion::graph() const { return state_->result.graph; }

const Report &Conversion::report() const { return state_->report; }

Module Conversion::module() const {
  if (!state_->module)
    state_->module =
        makeFlatModuleTaking(state_->program, state_->result.graph,
                             state_->freeze, state_->result.fallbackMethod);
  return *state_->module;
}

void Conversion::emit(Format format, std::ostream &out) const {
  switch (format) {
  case Format::Ir:
    out << *state_->result.graph;
    break;
  case Format::Archive:
    module().save(out);
    break;
  case Format::Dot:
    emitDot(out, *state_->program.graph, state_->program.method,
            state_->result);
    break;
  }
}

std::string Conversion::emit(Format format) const {
  std::ostringstream out;
  emit(format, out);
  return out.str();
}

std::string Conversion::reportJson() const {
  return decisionReportJson(state_->result, state_->program.path,
                            state_->program.method);
}

void Conversion::save(const std::string &path) const {
  if (!isTextPath(path)) {
    saveModule(module(), path);
    return;
  }
  writeTextFile(path, emit(Format::Ir));
}

const char *version() { return S2T_VERSION; }

namespace {

/// The public report of a pipeline's result.
Report reportOf(const Program &program, const PipelineResult &pipeline) {
  const SpecializeResult &result = pipeline.result;
  Report report;
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
  report.metadataFormula = result.metadataFormula;
  report.metadataDispatch = result.metadataDispatch;
  report.metadataReused = result.metadataReused;
  report.checks = static_cast<int64_t>(result.checks.size());
  report.nodesIn = countNodes(*program.graph);
  report.nodesOut = countNodes(*result.graph);
  for (const StageTime &time : pipeline.times)
    report.stageSeconds.emplace_back(time.stage, time.seconds);
  return report;
}

} // namespace

Conversion convert(const Model &model, const std::vector<c10::IValue> &arguments,
                   const Options &options) {
  const Program &source = *model.program_;
  if (options.guards == Guards::Fallback && !source.module)
    usageError(option("guards", "fallback") +
               " needs an archive: a textual graph has no scripted method to "
               "fall back to");
  if (options.seed)
    at::manual_seed(*options.seed);

  auto state = std::make_shared<Conversion::State>();
  state->program = source;
  if (source.module)
    state->program = programOf(copyKeepingNames(*source.module),
                               source.method, source.path);
  PipelineResult pipeline =
      specializeProgram(state->program, arguments, options);
  state->report = reportOf(state->program, pipeline);
  state->result = std::move(pipeline.result);
  state->freeze = options.freeze;
  return Conversion(std::move(state));
}

} // namespace s2t
