//===- tools/s2t-opt/s2t-opt.cpp - The s2t driver --------------------------===//
//
// Like LLVM's opt: read a model, run the pipeline, write the result. Every
// stage is a library call; this file only parses options and reports errors.
// Exit codes: 0 success, 1 conversion error, 2 usage error.
//
//===----------------------------------------------------------------------===//

#include "ir/Error.h"
#include "ir/ModuleIO.h"
#include "ir/OperatorLibraries.h"
#include "ir/SampleSpec.h"
#include "passes/Pipeline.h"

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
#include <fstream>
#include <iostream>
#include <sstream>
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
  A number given for a Tensor argument is a 0-dim tensor, as torch.tensor(3.0)
  makes it.

Exit codes: 0 success, 1 conversion error, 2 usage error.
)";

struct Options {
  std::string input;
  std::vector<std::string> loads;
  std::vector<std::string> specs;
  std::string method = "forward";
  std::string output;
  bool freeze = false;
  int64_t maxUnroll = 100000;
  int64_t maxNodes = 1000000;
  bool printAfterAll = false;
  bool stats = false;
  bool timePasses = false;
  uint64_t seed = 67280421310721; // LibTorch's default, as in a new process
  int64_t threads = 0;            // 0: every core
  std::string statsJson;
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

bool isTextOutput(const std::string &path) {
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  return path.empty() || path == "-" || endsWith(".ir") || endsWith(".txt");
}

std::string graphText(const torch::jit::Graph &graph) {
  std::ostringstream text;
  text << graph;
  return text.str();
}

void writeTextFile(const std::string &path, const std::string &text) {
  s2t::writeAtomically(path, [&](const std::string &temporary) {
    std::ofstream stream(temporary, std::ios::binary);
    if (!stream || !(stream << text) || !(stream.flush()))
      s2t::conversionError("cannot write '" + path + "'");
  });
}

int run(const Options &options) {
  Clock::time_point start = Clock::now();
  if (options.freeze && isTextOutput(options.output))
    s2t::usageError("--freeze applies to archive output (-o FILE.pt)");
  at::manual_seed(options.seed);
  // Kernels run only for data decisions; when they do, they use every core
  // rather than LibTorch's default of one thread.
  int64_t threads = options.threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(static_cast<int>(threads));
  RunStats stats;
  for (const std::string &library : options.loads)
    s2t::loadOperatorLibrary(library);
  s2t::Program program = s2t::loadProgram(options.input, options.method);
  stats.load = secondsSince(start);
  stats.nodesIn = countNodes(*program.graph);

  std::vector<s2t::SampleSpec> specs =
      s2t::parseSampleSpecs(options.specs, program.schema);
  std::vector<c10::IValue> arguments =
      s2t::bindSampleSpecs(specs, program.schema);

  s2t::SpecializeOptions specializeOptions;
  specializeOptions.maxUnroll = options.maxUnroll;
  specializeOptions.maxNodes = options.maxNodes;
  s2t::StageCallback afterStage;
  if (options.printAfterAll)
    afterStage = [](const std::string &stage, const torch::jit::Graph &graph) {
      std::cerr << "// -----// IR Dump After " << stage << " //----- //\n"
                << graph << "\n";
    };
  s2t::SpecializeResult result = s2t::specializeProgram(
      program, arguments, specializeOptions, afterStage);

  Clock::time_point emitStart = Clock::now();
  stats.nodesOut = countNodes(*result.graph);
  if (isTextOutput(options.output)) {
    std::string text = graphText(*result.graph);
    if (options.output.empty() || options.output == "-") {
      std::cout << text << std::flush;
    } else {
      writeTextFile(options.output, text);
    }
  } else {
    s2t::saveFlatArchive(program, result.graph, options.output,
                         options.freeze);
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
  if (!options.statsJson.empty()) {
    std::string text = statsToJson(result, stats).dump(2) + "\n";
    writeTextFile(options.statsJson, text);
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
  app.set_version_flag("--version", "s2t-opt 0.1.0");
  Options options;
  app.add_option("input", options.input,
                 "TorchScript archive (.pt) or textual graph (.ir)")
      ->required();
  std::vector<std::string> specsForHelp;
  app.add_option("--specialize-input", specsForHelp,
                 "Sample value of one argument (SPEC or NAME=SPEC, "
                 "repeatable; grammar below)")
      ->group("Samples");
  app.add_option("--load", options.loads,
                 "Load a shared library of operators first (repeatable): a "
                 "path, or 'torchvision' / 'torchaudio' for those packages' "
                 "operator libraries")
      ->group("Input");
  app.add_option("--method", options.method,
                 "Method of the module to convert")
      ->capture_default_str()
      ->group("Input");
  app.add_option("-o,--output", options.output,
                 "Output: a TorchScript archive, or graph text when the name "
                 "ends in .ir/.txt or is '-' (default: graph text on stdout)")
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
      ->group("Specialization");
  app.add_option("--seed", options.seed,
                 "Seed of the random generator that random operators share "
                 "(default: LibTorch's, as in a new process)")
      ->capture_default_str()
      ->group("Specialization");
  app.add_option("--threads", options.threads,
                 "Threads for the kernels that data decisions run "
                 "(default: every core)")
      ->check(positive)
      ->group("Specialization");
  app.add_option("--max-nodes", options.maxNodes,
                 "Operations the flat graph may hold before giving up "
                 "(bounds memory)")
      ->capture_default_str()
      ->check(positive)
      ->group("Specialization");
  app.add_flag("--print-after-all", options.printAfterAll,
               "Print the graph after each stage to stderr")
      ->group("Debugging");
  app.add_flag("--stats", options.stats,
               "Print what the specialization did to stderr")
      ->group("Debugging");
  app.add_flag("--time-passes", options.timePasses,
               "Print the time of each stage to stderr")
      ->group("Debugging");
  app.add_option("--stats-json", options.statsJson,
                 "Write times, counts and decisions as JSON to this file")
      ->group("Debugging");

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
      std::cerr << "s2t-opt: error: internal: "
                << s2t::firstMessageLine(e.what()) << "\n";
      return 1;
    }
  });
}
