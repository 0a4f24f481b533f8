//===- tools/s2t-opt/s2t-opt.cpp - The s2t driver --------------------------===//
//
// Like LLVM's opt: read a model, run the pipeline, write the result. Every
// stage is a library call; this file only parses options and reports errors.
// Exit codes: 0 success, 1 conversion error, 2 usage error.
//
//===----------------------------------------------------------------------===//

#include "ir/DecisionReport.h"
#include "ir/DotEmitter.h"
#include "ir/Error.h"
#include "ir/ModuleIO.h"
#include "ir/OperatorLibraries.h"
#include "io/SampleSpec.h"
#include "passes/Pipeline.h"
#include "s2t/s2t.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <functional>
#include <pthread.h>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <unistd.h>
#include <thread>
#include <unordered_set>

namespace {

const char *kSpecGrammar = R"(
Sample inputs (--specialize-input=SPEC, one per argument after self, in
order, or NAME=SPEC by argument name):
  @FILE.pt                 a value saved with Python's torch.save; a tuple
                           given as the only spec is the whole argument list
  3  -2  1.5  1e-3  inf    int and float literals
  true false True False    bools
  None                     None, for Optional arguments
  'text'  "text"           strings
  [1, 2, 3]  (1, 'a')      lists and tuples, nested freely
  tensor([[1., 2.], [3., 4.]], dtype=float64)
                           a tensor; dtype is inferred as torch.tensor does
                           (float32, int64 or bool) unless given:
                           float16 bfloat16 float32 float64 uint8 int8 int16
                           int32 int64 bool
  f32[2,3]  i64[8]  bool[]  f16[1,3,224,224]@cpu
                           a tensor known by dtype and sizes only (f32 f64
                           f16 bf16 i64 i32 i16 i8 u8 bool): decisions on
                           sizes, rank, dtype and device are made from it; one
                           that needs its values is an error (or residual)
  ?                        an argument left unknown
  A number given for a Tensor argument is a 0-dim tensor, as torch.tensor(3.0)
  makes it.

Output formats (--emit, or from the -o name): ir (graph text; .ir, .txt, '-'
or no -o), dot (Graphviz picture of the scripted graph's decisions beside the
flat graph; .dot), archive (TorchScript; any other name, or '-' with
--emit=archive when stdout is not a terminal).

Exit codes:
  0  success: the output was written
  1  conversion error: the model cannot be read or converted, the sample's
     path raises, a limit is exceeded, the output cannot be written
  2  usage error: bad command line, malformed samples, samples that do not fit
     the method's arguments, a --load library that cannot be loaded
)";

struct Options {
  std::string input;
  std::vector<std::string> loads;
  std::vector<std::string> specs;
  std::string method = "forward";
  std::string output;
  std::string emit; ///< ir, archive or dot; empty: from the output name
  bool freeze = false;
  int64_t maxUnroll = 100000;
  int64_t maxNodes = 1000000;
  bool printAfterAll = false;
  std::vector<std::string> printBefore, printAfter; ///< stage names
  bool stats = false;
  bool timePasses = false;
  uint64_t seed = 67280421310721; // LibTorch's default, as in a new process
  int64_t threads = 0;            // 0: every core
  std::string statsJson;
  std::string report;
  bool quiet = false;
  std::string guards = "none";
  bool allowResidual = false;
};

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Nodes of the graph and of every method and function it calls, each callee
/// counted once: the size of the scripted program, not only of its entry.
int64_t countNodes(const torch::jit::Block *block,
                   std::unordered_set<const torch::jit::Graph *> &seen) {
  int64_t count = 0;
  for (const torch::jit::Node *node : block->nodes()) {
    ++count;
    for (const torch::jit::Block *inner : node->blocks())
      count += countNodes(inner, seen);
    torch::jit::Function *callee = nullptr;
    if (node->kind() == torch::jit::prim::CallMethod) {
      if (auto type = node->input(0)->type()->cast<c10::ClassType>())
        callee = type->findMethod(node->s(torch::jit::attr::name));
    } else if (node->kind() == torch::jit::prim::CallFunction) {
      if (auto type = node->input(0)->type()->cast<c10::FunctionType>())
        callee = type->function();
    }
    if (!callee || !callee->isGraphFunction())
      continue;
    const torch::jit::Graph *graph =
        torch::jit::toGraphFunction(*callee).graph().get();
    if (seen.insert(graph).second)
      count += countNodes(graph->block(), seen);
  }
  return count;
}

int64_t countNodes(const torch::jit::Graph &graph) {
  std::unordered_set<const torch::jit::Graph *> seen{&graph};
  return countNodes(graph.block(), seen);
}

/// What --stats, --stats-json and --time-passes report.
struct RunStats {
  double load = 0, emit = 0, total = 0;
  int64_t nodesIn = 0, nodesOut = 0;
};

nlohmann::json statsToJson(const s2t::SpecializeResult &result,
                           const RunStats &stats) {
  int64_t counts[3] = {0, 0, 0};
  for (const s2t::Decision &decision : result.decisions)
    ++counts[static_cast<int>(decision.category)];
  return {
      {"seconds",
       {{"load", stats.load},
        {"specialize", result.specializeSeconds},
        {"cleanup", result.cleanupSeconds},
        {"emit", stats.emit},
        {"total", stats.total}}},
      {"kernels_run", result.kernelsRun},
      {"nodes_in", stats.nodesIn},
      {"nodes_out", stats.nodesOut},
      {"iterations_unrolled", result.iterationsUnrolled},
      {"calls_inlined", result.callsInlined},
      {"decisions",
       {{"constant", counts[0]}, {"shape", counts[1]}, {"data", counts[2]}}},
  };
}

void printTimes(const s2t::SpecializeResult &result, const RunStats &stats) {
  std::ostringstream text;
  text << "===" << std::string(60, '-') << "===\n"
       << "                      s2t-opt execution time\n"
       << "===" << std::string(60, '-') << "===\n";
  auto line = [&](const char *name, double seconds) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "  %10.4f s (%5.1f%%)  %s\n", seconds,
                  stats.total > 0 ? 100.0 * seconds / stats.total : 0.0,
                  name);
    text << buffer;
  };
  line("load", stats.load);
  line("specialize", result.specializeSeconds);
  line("cleanup", result.cleanupSeconds);
  line("emit", stats.emit);
  line("total", stats.total);
  std::cerr << text.str();
}

enum class Format { Ir, Archive, Dot };

/// --emit if given, else the output's name decides.
Format outputFormat(const Options &options) {
  if (options.emit == "ir")
    return Format::Ir;
  if (options.emit == "archive")
    return Format::Archive;
  if (options.emit == "dot")
    return Format::Dot;
  const std::string &path = options.output;
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (endsWith(".dot"))
    return Format::Dot;
  if (path.empty() || path == "-" || endsWith(".ir") || endsWith(".txt"))
    return Format::Ir;
  return Format::Archive;
}

bool toStdout(const Options &options) {
  return options.output.empty() || options.output == "-";
}

bool contains(const std::vector<std::string> &list, const std::string &item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void printStage(const char *when, const std::string &stage,
                const torch::jit::Graph &graph) {
  std::cerr << "// -----// IR Dump " << when << " " << stage << " //----- //\n"
            << graph << "\n";
}

std::string graphText(const torch::jit::Graph &graph) {
  std::ostringstream text;
  text << graph;
  return text.str();
}

/// What run() is doing, for "out of memory while STAGE".
const char *gStage = "starting";

int run(const Options &options) {
  Clock::time_point start = Clock::now();
  Format format = outputFormat(options);
  if (options.freeze && format != Format::Archive)
    s2t::usageError("--freeze applies to archive output (-o FILE.pt)");
  if (format == Format::Archive && toStdout(options) &&
      isatty(STDOUT_FILENO))
    s2t::usageError("refusing to write a TorchScript archive to a terminal; "
                    "redirect stdout or give -o FILE");
  at::manual_seed(options.seed);
  // Kernels run only for data decisions; when they do, they use every core
  // rather than LibTorch's default of one thread.
  int64_t threads = options.threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(static_cast<int>(threads));
  RunStats stats;
  gStage = "loading the model";
  for (const std::string &library : options.loads)
    s2t::loadOperatorLibrary(library);
  s2t::Program program = s2t::loadProgram(options.input, options.method);
  stats.load = secondsSince(start);
  stats.nodesIn = countNodes(*program.graph);
  if (contains(options.printAfter, "load"))
    printStage("After", "load", *program.graph);
  if (contains(options.printBefore, "specialize"))
    printStage("Before", "specialize", *program.graph);

  gStage = "reading the samples";
  std::vector<s2t::SampleSpec> specs =
      s2t::parseSampleSpecs(options.specs, program.schema);
  std::vector<c10::IValue> arguments =
      s2t::bindSampleSpecs(specs, program.schema);

  s2t::SpecializeOptions specializeOptions;
  specializeOptions.maxUnroll = options.maxUnroll;
  specializeOptions.maxNodes = options.maxNodes;
  specializeOptions.guards = options.guards == "assert"
                                 ? s2t::GuardMode::Assert
                             : options.guards == "fallback"
                                 ? s2t::GuardMode::Fallback
                                 : s2t::GuardMode::None;
  specializeOptions.allowResidual = options.allowResidual;
  if (specializeOptions.guards == s2t::GuardMode::Fallback && !program.module)
    s2t::usageError("--guards=fallback needs an archive: a textual graph has "
                    "no scripted method to fall back to");
  // "Before cleanup" is the graph after specialize, so one callback does both.
  s2t::StageCallback afterStage = [&](const std::string &stage,
                                      const torch::jit::Graph &graph) {
    if (options.printAfterAll || contains(options.printAfter, stage))
      printStage("After", stage, graph);
    if (stage == "specialize" && contains(options.printBefore, "cleanup"))
      printStage("Before", "cleanup", graph);
  };
  gStage = "specializing";
  s2t::SpecializeResult result = s2t::specializeProgram(
      program, arguments, specializeOptions, afterStage);

  gStage = "writing the output";
  // Decisions point into the scripted graph, which saving an archive
  // replaces: describe them first.
  std::string reportText;
  std::vector<std::string> warnings;
  if (!options.report.empty())
    reportText =
        s2t::decisionReportJson(result, options.input, options.method);
  else if (!options.quiet)
    warnings = s2t::decisionWarnings(result);

  Clock::time_point emitStart = Clock::now();
  stats.nodesOut = countNodes(*result.graph);
  if (format == Format::Archive) {
    if (toStdout(options)) {
      // Whole before written: nothing reaches stdout on error.
      std::ostringstream archive;
      s2t::saveFlatArchive(program, result.graph, archive, options.freeze,
                           result.fallbackMethod);
      std::cout << archive.str() << std::flush;
    } else {
      s2t::saveFlatArchive(program, result.graph, options.output,
                           options.freeze, result.fallbackMethod);
    }
  } else {
    std::string text;
    if (format == Format::Dot) {
      std::ostringstream dot;
      s2t::emitDot(dot, *program.graph, program.method, result);
      text = dot.str();
    } else {
      text = graphText(*result.graph);
    }
    if (toStdout(options))
      std::cout << text << std::flush;
    else
      s2t::writeTextFile(options.output, text);
  }
  stats.emit = secondsSince(emitStart);
  stats.total = secondsSince(start);

  if (options.stats) {
    nlohmann::json json = statsToJson(result, stats);
    const auto &decisions = json["decisions"];
    std::cerr << "s2t-opt: " << result.decisions.size() << " decisions ("
              << decisions["constant"] << " constant, " << decisions["shape"]
              << " shape, " << decisions["data"] << " data), "
              << result.iterationsUnrolled << " iterations unrolled, "
              << result.callsInlined << " calls inlined, " << result.kernelsRun
              << " kernels run, " << stats.nodesOut << " nodes out\n";
  }
  if (options.timePasses)
    printTimes(result, stats);
  if (!options.report.empty())
    s2t::writeTextFile(options.report, reportText);
  else if (!options.quiet)
    for (const std::string &line : warnings)
      std::cerr << line << "\n";
  if (!options.statsJson.empty()) {
    std::string text = statsToJson(result, stats).dump(2) + "\n";
    s2t::writeTextFile(options.statsJson, text);
  }
  return 0;
}

/// Runs `body` on a thread with a 1 GiB stack. A flat graph of 100,000
/// unrolled iterations is one expression 100,000 deep for torch's code
/// printer and alias analysis, which recurse; only the pages touched are used.
int runWithLargeStack(const std::function<int()> &body) {
  struct Call {
    const std::function<int()> *body;
    int result = 1;
  } call{&body};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, size_t(1) << 30);
  pthread_t thread;
  auto entry = [](void *argument) -> void * {
    auto *call = static_cast<Call *>(argument);
    call->result = (*call->body)();
    return nullptr;
  };
  if (pthread_create(&thread, &attributes, entry, &call) != 0) {
    pthread_attr_destroy(&attributes);
    return body(); // no thread to be had: run on the main stack
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
  return call.result;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"s2t-opt: turn a scripted TorchScript method into a flat, "
               "trace-equivalent graph for one sample input"};
  app.name("s2t-opt");
  app.footer(kSpecGrammar);
  app.set_version_flag("--version", std::string("s2t-opt ") + s2t::version());
  Options options;
  app.add_option("input", options.input,
                 "TorchScript archive (.pt) or textual graph (.ir)")
      ->required()
      ->group("Input"); // listed under Positionals, but puts Input first
  std::vector<std::string> specsForHelp;
  app.add_option("--specialize-input", specsForHelp,
                 "Sample value of one argument (SPEC or NAME=SPEC, "
                 "repeatable; grammar below)")
      ->group("Sample");
  app.add_option("--load", options.loads,
                 "Load a shared library of operators first (repeatable): a "
                 "path, or 'torchvision' / 'torchaudio' for those packages' "
                 "operator libraries")
      ->allow_extra_args(false) // one value each: the input may follow
      ->group("Input");
  app.add_option("--method", options.method,
                 "Method of the module to convert")
      ->capture_default_str()
      ->group("Input");
  app.add_option("-o,--output", options.output,
                 "Output file, '-' for stdout (the default); its name picks "
                 "the format unless --emit does: .ir/.txt graph text, .dot "
                 "Graphviz, any other a TorchScript archive")
      ->group("Output");
  app.add_option("--emit", options.emit,
                 "Output format: ir (graph text), archive (TorchScript), dot "
                 "(the decisions and the flat graph, for Graphviz)")
      ->check(CLI::IsMember({"ir", "archive", "dot"}))
      ->group("Output");
  app.add_flag("--freeze", options.freeze,
               "Fold parameters and attributes into constants "
               "(archive output)")
      ->group("Output");
  CLI::Validator positive(
      [](std::string &value) -> std::string {
        try {
          size_t used = 0;
          long long parsed = std::stoll(value, &used);
          if (used == value.size() && parsed > 0)
            return "";
        } catch (const std::exception &) {
        }
        return "must be a positive integer, got '" + value + "'";
      },
      "POSITIVE");
  app.add_option("--max-unroll", options.maxUnroll,
                 "Loop iterations to unroll in all before giving up")
      ->capture_default_str()
      ->check(positive)
      ->group("Limits");
  app.add_option("--seed", options.seed,
                 "Seed of the random generator that random operators share "
                 "(default: LibTorch's, as in a new process)")
      ->capture_default_str()
      ->group("Sample");
  app.add_option("--threads", options.threads,
                 "Threads for the kernels that data decisions run, 1 to "
                 "1024 (default: every core)")
      ->check(CLI::Range(int64_t(1), int64_t(1024)))
      ->group("Limits");
  app.add_option("--max-nodes", options.maxNodes,
                 "Operations the flat graph may hold before giving up "
                 "(bounds memory)")
      ->capture_default_str()
      ->check(positive)
      ->group("Limits");
  app.add_option("--guards", options.guards,
                 "Checks that an input takes the sample's path: none (as a "
                 "trace), assert (raise naming the decision), fallback (run "
                 "the scripted method instead)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "assert", "fallback"}))
      ->group("Decisions");
  app.add_flag("--allow-residual", options.allowResidual,
               "Keep a prim::If / prim::Loop that needs values the sample "
               "does not give (shape-only or '?' inputs) instead of failing")
      ->group("Decisions");
  app.add_option("--report", options.report,
                 "Write every decision (location, category, what it "
                 "depended on, outcome) as JSON to this file")
      ->group("Decisions");
  app.add_flag("--quiet", options.quiet,
               "Do not summarise shape and data decisions on stderr")
      ->group("Decisions");
  app.add_option("--print-before", options.printBefore,
                 "Print the graph before these stages to stderr "
                 "(specialize, cleanup; repeatable or comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"specialize", "cleanup"}))
      ->group("Diagnostics");
  app.add_option("--print-after", options.printAfter,
                 "Print the graph after these stages to stderr "
                 "(load, specialize, cleanup; repeatable or comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"load", "specialize", "cleanup"}))
      ->group("Diagnostics");
  app.add_flag("--print-after-all", options.printAfterAll,
               "Print the graph after each stage to stderr")
      ->group("Diagnostics");
  app.add_flag("--stats", options.stats,
               "Print what the specialization did to stderr")
      ->group("Diagnostics");
  app.add_flag("--time-passes", options.timePasses,
               "Print the time of each stage to stderr")
      ->group("Diagnostics");
  app.add_option("--stats-json", options.statsJson,
                 "Write times, counts and decisions as JSON to this file")
      ->group("Diagnostics");

  // Specs are taken out before CLI11 sees them: CLI11 would split a spec like
  // "[1, 2]" into several values.
  std::vector<std::string> arguments;
  for (int i = argc - 1; i >= 1; --i)
    arguments.emplace_back(argv[i]);
  std::vector<std::string> rest;
  const std::string flag = "--specialize-input";
  while (!arguments.empty()) {
    std::string argument = std::move(arguments.back());
    arguments.pop_back();
    if (argument.compare(0, flag.size() + 1, flag + "=") == 0) {
      options.specs.push_back(argument.substr(flag.size() + 1));
    } else if (argument == flag) {
      if (arguments.empty()) {
        std::cerr << "s2t-opt: error: " << flag << " needs a value (see --help)\n";
        return 2;
      }
      options.specs.push_back(std::move(arguments.back()));
      arguments.pop_back();
    } else {
      rest.push_back(std::move(argument));
    }
  }
  std::reverse(rest.begin(), rest.end());

  try {
    app.parse(rest);
  } catch (const CLI::Success &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::string what = e.what();
    std::cerr << "s2t-opt: error: " << what.substr(0, what.find('\n'))
              << " (see --help)\n";
    return 2;
  }

  return runWithLargeStack([&] {
    try {
      return run(options);
    } catch (const s2t::Error &e) {
      std::cerr << "s2t-opt: error: " << e.what() << "\n";
      return e.exitCode();
    } catch (const std::exception &e) {
      // Anywhere: s2t's own containers, LibTorch's graphs, a kernel's result.
      if (s2t::isOutOfMemory(e)) {
        std::cerr << "s2t-opt: error: out of memory while " << gStage << "\n";
        return 1;
      }
      std::cerr << "s2t-opt: error: internal: "
                << s2t::firstMessageLine(e.what()) << "\n";
      return 1;
    }
  });
}
