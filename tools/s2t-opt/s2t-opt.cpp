//===- tools/s2t-opt/s2t-opt.cpp - The s2t driver --------------------------===//
//
// Like LLVM's opt: read a model, run the pipeline, write the result, all
// through the public API (include/s2t/s2t.h). run() loads, converts, renders
// every output in memory, then writes the side files (--report,
// --stats-json) and the output last: a failure anywhere leaves no output.
// Exit codes: 0 success, 1 conversion error, 2 usage error.
//
//===----------------------------------------------------------------------===//

#include "s2t/s2t.h"
#include "tools/allocator/WarmReserve.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <c10/util/Logging.h>
#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <thread>
#include <unistd.h>

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


/// What the command line asks for.
struct CliOptions {
  std::string input;
  std::vector<std::string> loads;
  std::vector<std::string> specs;
  std::string method = "forward";
  std::string output;
  std::string emit; ///< ir, archive or dot; empty: from the output name
  s2t::Options convert; ///< the conversion's options, with their defaults
  std::string guards = s2t::toString(s2t::Options().guards);
  uint64_t seed = 67280421310721; // LibTorch's default, as in a new process
  int64_t threads = 0;            // 0: every core
  bool printAfterAll = false;
  std::vector<std::string> printBefore, printAfter; ///< stage names
  bool stats = false;
  bool timePasses = false;
  std::string statsJson;
  std::string report;
  bool quiet = false;
};

std::vector<std::string> stageNames(const char *first = nullptr) {
  std::vector<std::string> names;
  if (first)
    names.push_back(first);
  for (const s2t::StageSummary &stage : s2t::stages())
    names.push_back(stage.name);
  return names;
}

std::string joined(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

CLI::Validator positive() {
  return CLI::Validator(
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
}

/// The Diagnostics group, its stage names from the pipeline's table.
void addDiagnosticOptions(CLI::App &app, CliOptions &o) {
  std::vector<std::string> stages = stageNames();
  std::vector<std::string> loadAndStages = stageNames("load");
  app.add_option("--print-before", o.printBefore,
                 "Print the graph before these stages to stderr (" +
                     joined(stages) + "; repeatable or comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember(stages))
      ->group("Diagnostics");
  app.add_option("--print-after", o.printAfter,
                 "Print the graph after these stages to stderr (" +
                     joined(loadAndStages) +
                     "; repeatable or comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember(loadAndStages))
      ->group("Diagnostics");
  app.add_option("--stop-after", o.convert.stopAfter,
                 "Run the pipeline up to this stage only (" + joined(stages) +
                     ") and write its graph")
      ->check(CLI::IsMember(stages))
      ->group("Diagnostics");
  app.add_flag("--print-after-all", o.printAfterAll,
               "Print the graph after each stage to stderr")
      ->group("Diagnostics");
  app.add_flag("--stats", o.stats,
               "Print what the specialization did to stderr")
      ->group("Diagnostics");
  app.add_flag("--time-passes", o.timePasses,
               "Print the time of each stage to stderr")
      ->group("Diagnostics");
  app.add_option("--stats-json", o.statsJson,
                 "Write times, counts and decisions as JSON to this file")
      ->group("Diagnostics");
}

/// The options table: every flag, its help and its group, in --help's order.
void addOptions(CLI::App &app, CliOptions &o,
                std::vector<std::string> &specsForHelp) {
  s2t::Options &c = o.convert;
  app.add_option("input", o.input,
                 "TorchScript archive (.pt) or textual graph (.ir)")
      ->required()
      ->group("Input"); // listed under Positionals, but puts Input first
  app.add_option("--specialize-input", specsForHelp,
                 "Sample value of one argument (SPEC or NAME=SPEC, "
                 "repeatable; grammar below)")
      ->group("Sample");
  app.add_option("--load", o.loads,
                 "Load a shared library of operators first (repeatable): a "
                 "path, or 'torchvision' / 'torchaudio' for those packages' "
                 "operator libraries")
      ->allow_extra_args(false) // one value each: the input may follow
      ->group("Input");
  app.add_option("--method", o.method, "Method of the module to convert")
      ->capture_default_str()
      ->group("Input");
  app.add_option("-o,--output", o.output,
                 "Output file, '-' for stdout (the default); its name picks "
                 "the format unless --emit does: .ir/.txt graph text, .dot "
                 "Graphviz, any other a TorchScript archive")
      ->group("Output");
  app.add_option("--emit", o.emit,
                 "Output format: ir (graph text), archive (TorchScript), dot "
                 "(the decisions and the flat graph, for Graphviz)")
      ->check(CLI::IsMember({"ir", "archive", "dot"}))
      ->group("Output");
  app.add_flag("--freeze", c.freeze,
               "Fold parameters and attributes into constants "
               "(archive output)")
      ->group("Output");
  app.add_option("--max-unroll", c.maxUnroll,
                 "Loop iterations to unroll in all before giving up")
      ->capture_default_str()
      ->check(positive())
      ->group("Limits");
  app.add_option("--seed", o.seed,
                 "Seed of the random generator that random operators share "
                 "(default: LibTorch's, as in a new process)")
      ->capture_default_str()
      ->group("Sample");
  app.add_option("--threads", o.threads,
                 "Threads for the kernels that data decisions run, 1 to "
                 "1024 (default: every core)")
      ->check(CLI::Range(int64_t(1), int64_t(1024)))
      ->group("Limits");
  app.add_option("--max-nodes", c.maxNodes,
                 "Operations the flat graph may hold before giving up "
                 "(bounds memory)")
      ->capture_default_str()
      ->check(positive())
      ->group("Limits");
  app.add_option("--guards", o.guards,
                 "Checks that an input takes the sample's path: none (as a "
                 "trace), assert (raise naming the decision), fallback (run "
                 "the scripted method instead)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "assert", "fallback"}))
      ->group("Decisions");
  app.add_flag("--allow-residual", c.allowResidual,
               "Keep a prim::If / prim::Loop that needs values the sample "
               "does not give (shape-only or '?' inputs) instead of failing")
      ->group("Decisions");
  app.add_option("--report", o.report,
                 "Write every decision (location, category, what it "
                 "depended on, outcome) as JSON to this file")
      ->group("Decisions");
  app.add_flag("--quiet", o.quiet,
               "Do not summarise shape and data decisions on stderr")
      ->group("Decisions");
  addDiagnosticOptions(app, o);
}

/// --emit if given, else the output's name decides.
s2t::Format outputFormat(const CliOptions &o) {
  if (o.emit == "ir")
    return s2t::Format::Ir;
  if (o.emit == "archive")
    return s2t::Format::Archive;
  if (o.emit == "dot")
    return s2t::Format::Dot;
  const std::string &path = o.output;
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (endsWith(".dot"))
    return s2t::Format::Dot;
  if (path.empty() || path == "-" || endsWith(".ir") || endsWith(".txt"))
    return s2t::Format::Ir;
  return s2t::Format::Archive;
}

bool toStdout(const CliOptions &o) {
  return o.output.empty() || o.output == "-";
}

bool contains(const std::vector<std::string> &list, const std::string &item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void printStage(const char *when, const std::string &stage,
                const torch::jit::Graph &graph) {
  std::cerr << "// -----// IR Dump " << when << " " << stage << " //----- //\n"
            << graph << "\n";
}

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Wall times of the run: load, each stage that ran, emit, total.
using Times = std::vector<std::pair<std::string, double>>;

nlohmann::json statsJson(const s2t::Report &report, const Times &times) {
  nlohmann::json seconds = nlohmann::json::object();
  for (const auto &[name, value] : times)
    seconds[name] = value;
  nlohmann::json decisions = {{"constant", 0}, {"shape", 0}, {"data", 0}};
  for (const s2t::DecisionReport &decision : report.decisions)
    decisions[decision.category] = decisions[decision.category].get<int64_t>() + 1;
  return {
      {"seconds", seconds},
      {"kernels_run", report.kernelsRun},
      {"metadata_formula", report.metadataFormula},
      {"metadata_dispatch", report.metadataDispatch},
      {"metadata_reused", report.metadataReused},
      {"nodes_in", report.nodesIn},
      {"nodes_out", report.nodesOut},
      {"iterations_unrolled", report.iterationsUnrolled},
      {"calls_inlined", report.callsInlined},
      {"decisions", decisions},
  };
}

std::string statsLine(const s2t::Report &report, const nlohmann::json &stats) {
  const nlohmann::json &decisions = stats["decisions"];
  std::ostringstream line;
  line << "s2t-opt: " << report.decisions.size() << " decisions ("
       << decisions["constant"] << " constant, " << decisions["shape"]
       << " shape, " << decisions["data"] << " data), "
       << report.iterationsUnrolled << " iterations unrolled, "
       << report.callsInlined << " calls inlined, " << report.kernelsRun
       << " kernels run, " << report.nodesOut << " nodes out\n";
  return line.str();
}

std::string timesTable(const Times &times) {
  double total = times.back().second;
  std::ostringstream text;
  text << "===" << std::string(60, '-') << "===\n"
       << "                      s2t-opt execution time\n"
       << "===" << std::string(60, '-') << "===\n";
  for (const auto &[name, seconds] : times) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "  %10.4f s (%5.1f%%)  %s\n", seconds,
                  total > 0 ? 100.0 * seconds / total : 0.0, name.c_str());
    text << buffer;
  }
  return text.str();
}

/// Everything run() writes, made before anything is put in place: the
/// output in a pending file (an archive is streamed into it), or in memory
/// for stdout.
struct Rendered {
  std::optional<s2t::OutputFile> output; ///< -o FILE
  std::string stdoutBytes;               ///< -o - (or no -o)
  std::string report;      ///< --report
  std::string statsJson;   ///< --stats-json
  std::string diagnostics; ///< for stderr: stats, times, warnings
};

Rendered render(const CliOptions &o, const s2t::Conversion &conversion,
                double loadSeconds, Clock::time_point start) {
  const s2t::Report &report = conversion.report();
  Rendered rendered;
  if (!o.report.empty())
    rendered.report = conversion.reportJson();
  Clock::time_point emitStart = Clock::now();
  if (toStdout(o)) {
    rendered.stdoutBytes = conversion.emit(outputFormat(o));
  } else {
    rendered.output.emplace(o.output);
    conversion.emit(outputFormat(o), rendered.output->stream());
  }
  Times times = {{"load", loadSeconds}};
  times.insert(times.end(), report.stageSeconds.begin(),
               report.stageSeconds.end());
  times.emplace_back("emit", secondsSince(emitStart));
  times.emplace_back("total", secondsSince(start));
  nlohmann::json stats = statsJson(report, times);
  if (!o.statsJson.empty())
    rendered.statsJson = stats.dump(2) + "\n";
  if (o.stats)
    rendered.diagnostics += statsLine(report, stats);
  if (o.timePasses)
    rendered.diagnostics += timesTable(times);
  if (o.report.empty() && !o.quiet)
    for (const s2t::Message &line : report.warnings)
      rendered.diagnostics += line.str(s2t::flagSpelling) + "\n";
  return rendered;
}

/// The side files, then the output: it is put in place last, and only once
/// everything else succeeded.
void write(const CliOptions &o, Rendered &rendered) {
  if (!o.report.empty())
    s2t::writeFile(o.report, rendered.report);
  if (!o.statsJson.empty())
    s2t::writeFile(o.statsJson, rendered.statsJson);
  if (rendered.output)
    rendered.output->keep();
  else
    std::cout << rendered.stdoutBytes << std::flush;
  std::cerr << rendered.diagnostics;
}

/// Ends s2t-opt once everything is written, without tearing down what the
/// process holds: the model, the flat graph, and the static objects of the
/// ~290 libraries LibTorch loads, whose destructors alone take ~260M
/// instructions (callgrind, mobilenet_v3_large: as much as saving the flat
/// archive). write() closed every file; the streams are flushed here.
/// Sanitizer builds return, so that the leak check runs at exit.
int endOnceWritten(int code) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer) // clang
#define S2T_LEAK_CHECK_AT_EXIT
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) // gcc
#define S2T_LEAK_CHECK_AT_EXIT
#endif
#if !defined(S2T_LEAK_CHECK_AT_EXIT)
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
#endif
  return code;
}

/// The conversion's options as the command line sets them.
s2t::Options conversionOptions(const CliOptions &o) {
  s2t::Options options = o.convert;
  options.guards = s2t::parseGuards(o.guards);
  options.seed = o.seed;
  // Kernels run only for data decisions; when they do, they use every core
  // rather than LibTorch's default of one thread.
  options.threads = o.threads > 0
                        ? o.threads
                        : std::max<int64_t>(1, std::thread::hardware_concurrency());
  options.observer = [&o](bool before, const std::string &stage,
                          const torch::jit::Graph &graph) {
    if (before ? contains(o.printBefore, stage)
               : o.printAfterAll || contains(o.printAfter, stage))
      printStage(before ? "Before" : "After", stage, graph);
  };
  return options;
}

/// What run() is doing, for "out of memory while STAGE".
const char *gStage = "starting";

int run(const CliOptions &o) {
  Clock::time_point start = Clock::now();
  s2t::Format format = outputFormat(o);
  if (o.convert.freeze && format != s2t::Format::Archive)
    s2t::usageError("--freeze applies to archive output (-o FILE.pt)");
  if (format == s2t::Format::Archive && toStdout(o) && isatty(STDOUT_FILENO))
    s2t::usageError("refusing to write a TorchScript archive to a terminal; "
                    "redirect stdout or give -o FILE");
  gStage = "loading the model";
  for (const std::string &library : o.loads)
    s2t::loadOperatorLibrary(library);
  s2t::Model model = [&] {
    // Touched while the model loads, freed for the pass (WarmReserve.h).
    s2t::tools::WarmReserve reserve;
    return s2t::Model::load(o.input, o.method);
  }();
  double loadSeconds = secondsSince(start);
  if (contains(o.printAfter, "load"))
    printStage("After", "load", *model.graph());
  gStage = "reading the samples";
  std::vector<c10::IValue> arguments = model.parseSamples(o.specs);
  gStage = "specializing";
  s2t::Conversion conversion =
      s2t::convert(model, arguments, conversionOptions(o));
  gStage = "writing the output";
  Rendered rendered = render(o, conversion, loadSeconds, start);
  write(o, rendered);
  return endOnceWritten(0);
}

/// Takes the --specialize-input specs out of the arguments before CLI11 sees
/// them (CLI11 would split a spec like "[1, 2]" into several values); returns
/// the rest, or false when the flag has no value.
bool takeSpecs(int argc, char **argv, std::vector<std::string> &specs,
               std::vector<std::string> &rest) {
  const std::string flag = "--specialize-input";
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument.compare(0, flag.size() + 1, flag + "=") == 0) {
      specs.push_back(argument.substr(flag.size() + 1));
    } else if (argument == flag) {
      if (i + 1 == argc)
        return false;
      specs.push_back(argv[++i]);
    } else {
      rest.push_back(std::move(argument));
    }
  }
  return true;
}

/// Runs run() and words what it throws, as one line on stderr.
int runAndReport(const CliOptions &options) {
  try {
    return run(options);
  } catch (const s2t::Error &e) {
    std::cerr << "s2t-opt: error: " << e.message(s2t::flagSpelling) << "\n";
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

/// SIGINT, SIGTERM and SIGHUP end s2t-opt, as any command-line tool, unless
/// they are ignored (nohup). LibTorch 2.6 loads UCX (through Open MPI), whose
/// library installs a SIGHUP handler as it is loaded (UCX_DEBUG_SIGNO: it only
/// raises UCX's log level), so a hangup did not end the process; and the
/// library takes only signals whose action is the default to remove its
/// temporary outputs (writeAtomically).
void endOnInterruptSignals() {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 &&
        ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_IGN))
      std::signal(signal, SIG_DFL);
  }
}

} // namespace

int main(int argc, char **argv) {
  endOnInterruptSignals();
  CLI::App app{"s2t-opt: turn a scripted TorchScript method into a flat, "
               "trace-equivalent graph for one sample input"};
  app.name("s2t-opt");
  app.footer(kSpecGrammar);
  app.set_version_flag("--version", std::string("s2t-opt ") + s2t::version());
  CliOptions options;
  std::vector<std::string> specsForHelp, rest;
  addOptions(app, options, specsForHelp);
  if (!takeSpecs(argc, argv, options.specs, rest)) {
    std::cerr << "s2t-opt: error: --specialize-input needs a value (see "
                 "--help)\n";
    return 2;
  }
  std::reverse(rest.begin(), rest.end()); // CLI11 takes them last first
  // s2t-opt prints one line per error, never LibTorch's C++ backtrace, and
  // the evaluator meets expected c10::Errors (a meta kernel that needs data):
  // each would symbolize a backtrace (~2 ms; 50 of them on a detector).
  c10::SetStackTraceFetcher([] { return std::string(); });
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
  return runWithLargeStack([&] { return runAndReport(options); });
}
