#!/usr/bin/python3
"""s2t's benchmark (issue 5, parts 4 and 5; issue 17, part 5): s2t-opt against tracing,
against the model's own forward and against the load-and-save floor, with instruction
counts beside the times.

How to run it (with /usr/bin/python3, the Python that has torch; not part of the tests),
on an otherwise idle machine:

    nice -n 10 /usr/bin/python3 bench/run.py      # the full run; writes docs/performance.md
                                                  # and docs/performance.png
    /usr/bin/python3 bench/run.py --reps 3        # fewer repetitions
    /usr/bin/python3 bench/run.py --quick         # a smoke run: mobilenet_v3_large, loops 1k
                                                  # and 10k, 2 reps, no instruction counts;
                                                  # writes into the work folder, not docs/
    /usr/bin/python3 bench/run.py --rerender WORK/results.json   # the report again
Options: --threads N,N,... (default 1,2), --models NAME..., --loops N,N,... or none,
--loop-threads N, --[no-]instructions, --instructions-runs N, --no-loop-runtime,
--s2t-opt PATH, --floor PATH, --workdir DIR (keep archives and results.json), --doc FILE /
--plot FILE (where the report goes), --rerender RESULTS_JSON (write the report again from
an earlier run's results, measuring nothing). --help says more.

The subjects: resnet50 and mobilenet_v3_large; the classification models of
test/models/zoo.py (its torchvision image and video classifiers, with the zoo's
configuration and sample: resnet18, mobilenet_v3_small, efficientnet_b0, vit_b_16,
inception_v3, googlenet, shufflenet_v2_x0_5, squeezenet1_0, maxvit_t, swin_v2_t,
efficientnet_v2_s, regnet_x_400mf, mvit_v2_s, s3d, r3d_18); the detection model
fasterrcnn_mobilenet_v3_large_320_fpn on one 3x240x320 image (weights=None and
weights_backbone=None everywhere: nothing is downloaded); and counted loops of 1,000 /
10,000 / 100,000 iterations (a scripted `for _ in range(n): x = x + 1` converted with
--specialize-input=n=N, against the trace of the same eager loop with the same n).

What one run measures, each the median of --reps repetitions (of --process-reps for the
s2t-opt and floor processes), for every model at each thread count of --threads in turn
(torch.set_num_threads(N) here; `s2t-opt --threads=N`; OMP_NUM_THREADS=N and
MKL_NUM_THREADS=N for s2t-opt and the floor process), and for the
loops at --loop-threads (default 1):

  - pass time: s2t-opt's "specialize" + "cleanup" seconds (--stats-json) against
    torch.jit.trace of the eager model on the same sample (check_trace=False, under
    torch.no_grad()), with the stats' node, decision and kernel counts (and the counts
    of metadata answered by formula, by meta-kernel dispatch and as a dispatch answered
    before, when s2t-opt reports metadata_formula, metadata_dispatch, metadata_reused);
  - end to end: the wall time of the s2t-opt process against the floor, bench-load-save
    (bench/load_save.cpp: a LibTorch process that loads the archive and saves it);
    s2t-opt and the floor run alternately, so that a change of load hits both alike;
  - peak memory (max RSS, from GNU time) of s2t-opt against the floor process; for the
    loops also against bench-build-save (bench/build_save.cpp: a LibTorch process that
    builds the loop's flat graph node by node and saves it), per unrolled operation;
  - run time of the converted archive against the scripted module, the eager trace and
    the eager model's own forward (on the sample, after 2 warm-up calls: the profiling
    executor profiles the first and optimizes on the second);
  - with --instructions (the default, except with --quick), after all the timings:
    s2t-opt's instructions under `valgrind --tool=callgrind`, once per subject on one
    thread, for the pass alone (specialize + cleanup) and for the whole process, and
    for a model the floor process's too (bench/instructions.py); the loops only up to
    10,000 iterations (valgrind runs s2t-opt about 50 times slower), the cost per
    iteration from their difference.
The load average is recorded at the start, at the end of the timings and after the
instruction counts, and the report says it.

The floor programs are build/bin/bench-load-save and build/bin/bench-build-save (CMake
targets of -DS2T_BUILD_BENCH=ON); where one is missing, this script builds bench/ on its
own in /tmp/s2t-bench-build (--floor names bench-load-save; bench-build-save is looked
for beside it).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback

from common import COMMAND, REPO, good, n_threads  # noqa: E402
from targets import missed_end_to_end, targets17, verdict  # noqa: E402

INSTRUCTION_LOOP_MAX = 10000


def thread_list(text):
    try:
        counts = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of thread counts: {text}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"not a list of thread counts: {text}")
    return list(dict.fromkeys(counts))


def parse_args(names):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--process-reps", type=int, default=7,
                        help="runs of s2t-opt and of the floor per subject, alternating: at "
                        "least --reps (default 7; a run is a fresh process, cheap beside a "
                        "trace, and the machine's fresh processes are two-speed)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: mobilenet_v3_large, loops 1k and 10k, 2 reps, "
                        "no instruction counts, report in the work folder")
    parser.add_argument("--threads", type=thread_list, default=[1, 2],
                        help="thread counts, each model is measured at every one "
                        "(default 1,2)")
    parser.add_argument("--loop-threads", type=int,
                        help="thread count of the loops (default 1, or the smallest of "
                        "--threads without 1)")
    parser.add_argument("--models", nargs="*", help=f"default: {' '.join(names)}")
    parser.add_argument("--loops", help="iteration counts (default 1000,10000,100000), or none")
    parser.add_argument("--instructions", action=argparse.BooleanOptionalAction,
                        help="count s2t-opt's instructions under callgrind, once per "
                        "subject (default: on, off with --quick)")
    parser.add_argument("--instructions-runs", type=int, default=1,
                        help="valgrind runs per subject (default 1; 2 shows that the "
                        "counts repeat)")
    parser.add_argument("--no-runtime", action="store_true",
                        help="time only the eager forward of each model, not the converted, "
                        "scripted and traced ones (their outputs are still compared once)")
    parser.add_argument("--instructions-models", nargs="*",
                        help="count instructions for these models, and for every model whose "
                        "end-to-end row missed in wall time (default: every model; the loops "
                        "are always counted)")
    parser.add_argument("--no-loop-runtime", action="store_true",
                        help="skip running the loops' converted archives")
    parser.add_argument("--loop-runtime-max", type=int, default=10000,
                        help="run the converted archives of loops up to this many "
                        "iterations (default 10000: a 100k-node graph takes about a "
                        "minute to warm up in each of three modules)")
    parser.add_argument("--s2t-opt", default=os.environ.get(
        "S2T_OPT", os.path.join(REPO, "build", "bin", "s2t-opt")))
    parser.add_argument("--floor", help="the floor program (default: build/bin/"
                        "bench-load-save, else built in /tmp/s2t-bench-build)")
    parser.add_argument("--workdir", help="keep archives and results.json here "
                        "(default: a temporary folder)")
    parser.add_argument("--doc", help="the report (default: docs/performance.md; with "
                        "--quick, in the work folder)")
    parser.add_argument("--plot", help="the plot (default: performance.png next to --doc)")
    parser.add_argument("--rerender", metavar="RESULTS_JSON",
                        help="measure nothing: write the report and plot again from the "
                        "results.json of an earlier run (its work folder)")
    args = parser.parse_args()
    unknown = [m for m in (args.models or []) if m not in names]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; the models: {' '.join(names)}")
    if args.loop_threads is None:
        args.loop_threads = 1 if 1 in args.threads else min(args.threads)
    if args.instructions is None:
        args.instructions = not args.quick
    return args


def write_report(results, info, args, doc, plot_path, seconds):
    from plot import plot
    from render import report
    if good(results):
        plot(results, plot_path)
    report(results, info, args, doc, plot_path, seconds)


def rerender(args):
    data = json.load(open(args.rerender))
    info, results = data["info"], data["results"]
    for key in ("probe_start", "probe_end"):
        if info.get(key):
            info[key] = {int(k): v for k, v in info[key].items()}
    doc = args.doc or os.path.join(REPO, "docs", "performance.md")
    plot_path = args.plot or os.path.join(os.path.dirname(os.path.abspath(doc)),
                                          "performance.png")
    args.reps = info.get("reps", args.reps)
    args.process_reps = max(args.reps, info.get("process_reps", args.reps))
    args.loop_runtime_max = info.get("loop_runtime_max", args.loop_runtime_max)
    info["rerendered"] = True
    for r in results:  # a run from before issue 17 measured at one thread count
        if "threads" not in r and isinstance(info.get("threads"), int):
            r["threads"] = info["threads"]
    write_report(results, info, args, doc, plot_path, info.get("seconds", 0))
    print(f"bench: wrote {doc} and {plot_path} from {args.rerender}", flush=True)
    return 0


def failure(name, kind, e, **keys):
    from models import Absent
    row = {"name": name, "kind": kind, **keys,
           "error": f"{type(e).__name__}: {str(e).strip()[:500]}"}
    if isinstance(e, Absent):
        row["absent"] = True
        row["error"] = str(e)
    else:
        traceback.print_exc()
    return row


def main(args):
    if args.rerender:
        return rerender(args)
    from measure import (Bench, contention_probe, find_floors, fresh_page_probe, gc_models,
                         machine_info, page_reporting_facts, torch, wait_for)
    from models import BY_NAME, LOOPS, QUICK_MODELS, ScriptedLoop
    if args.quick:
        args.reps = 2 if "--reps" not in " ".join(sys.argv) else args.reps
        args.models = args.models if args.models is not None else QUICK_MODELS
        args.loops = args.loops or "1000,10000"
    args.process_reps = max(args.reps, args.process_reps)
    chosen = [BY_NAME[m] for m in (args.models if args.models is not None else BY_NAME)]
    loops = [] if args.loops == "none" else [
        int(n) for n in (args.loops or ",".join(map(str, LOOPS))).split(",") if n]
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="s2t-bench-"))
    os.makedirs(workdir, exist_ok=True)
    doc = args.doc or os.path.join(workdir if args.quick else os.path.join(REPO, "docs"),
                                   "performance.md")
    plot_path = args.plot or os.path.join(os.path.dirname(os.path.abspath(doc)),
                                          "performance.png")
    # The plot is drawn after the run: a missing matplotlib is said before it.
    import importlib.util
    if importlib.util.find_spec("matplotlib") is None:
        sys.exit("bench: the plot needs matplotlib (apt-get install python3-matplotlib)")
    if args.instructions:
        from instructions import missing_tools
        if missing_tools():
            sys.exit(f"bench: --instructions needs {' and '.join(missing_tools())}")

    wait_for(args.s2t_opt, "s2t-opt")
    # A copy, so that a rebuild during the run changes nothing.
    s2t_opt = os.path.join(workdir, "s2t-opt")
    shutil.copy2(args.s2t_opt, s2t_opt)
    floor = os.path.join(workdir, "bench-load-save")
    build_floor = os.path.join(workdir, "bench-build-save")
    for found, copy in zip(find_floors(args), (floor, build_floor)):
        shutil.copy2(found, copy)
    info = machine_info(args, s2t_opt)
    info["command"] = COMMAND + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    print(f"bench: {info['cores']} cores, torch {info['torch']}, threads "
          f"{','.join(map(str, args.threads))} (loops {args.loop_threads}), load "
          f"{' '.join(f'{x:.2f}' for x in info['load_start'])}, work folder {workdir}",
          flush=True)

    # Script the loop first: torch.jit.script reads the source of models.py when it runs.
    archive = os.path.join(workdir, "loop.pt")
    torch.jit.script(ScriptedLoop()).save(archive)

    bench = Bench(args, s2t_opt, floor, build_floor, workdir)
    start = time.monotonic()
    info["probe_start"] = contention_probe(args.threads)
    print(f"bench: contention probe {info['probe_start']}", flush=True)
    info["page_reporting"] = page_reporting_facts()
    info["fresh_pages"] = []

    def probe_pages(when):  # between subjects: how the machine's new memory costs
        info["fresh_pages"].append({"when": when, **fresh_page_probe()})

    probe_pages("start")
    results = []
    results_file = os.path.join(workdir, "results.json")

    def save(timings_done=False):  # after each subject: an interrupted run keeps its rows
        if not timings_done:
            info["load_end"] = os.getloadavg()
        info["seconds"] = time.monotonic() - start
        info["reps"] = args.reps
        info["process_reps"] = args.process_reps
        info["loop_runtime_max"] = args.loop_runtime_max
        with open(results_file, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1, default=str)

    for n in loops:
        print(f"loop {n}:", flush=True)
        try:
            results.append(bench.loop(n, archive, args.loop_threads))
        except Exception as e:
            results.append(failure(f"loop {n:,}", "loop", e, n=n, threads=args.loop_threads))
        finally:
            gc_models()
            probe_pages(f"loop {n}")
            save()
    for model in chosen:
        print(f"{model.name}:", flush=True)
        try:
            prepared = bench.prepare(model)
        except Exception as e:
            results.append(failure(model.name, model.kind, e))
            gc_models()
            save()
            continue
        for threads in args.threads:
            try:
                results.append(bench.model(prepared, threads))
            except Exception as e:
                results.append(failure(model.name, model.kind, e, threads=threads))
            finally:
                save()
        del prepared
        gc_models()
        probe_pages(model.name)
        save()
    info["load_end"] = os.getloadavg()
    info["probe_end"] = contention_probe(args.threads)
    probe_pages("end")
    save()

    if args.instructions:
        counted = time.monotonic()
        done = set()
        # Beside the models asked for: every model whose end-to-end row missed in wall
        # time, so that the row can say how much more s2t-opt executes than the floor.
        chosen_names = (None if args.instructions_models is None
                        else set(args.instructions_models) | missed_end_to_end(results))
        for r in sorted(good(results), key=lambda r: r.get("threads", 1)):
            if r["name"] in done or (r["kind"] == "loop" and r["n"] > INSTRUCTION_LOOP_MAX):
                continue
            if (r["kind"] != "loop" and chosen_names is not None
                    and r["name"] not in chosen_names):
                continue
            done.add(r["name"])
            print(f"instructions: {r['name']}", flush=True)
            try:
                r["instructions"] = bench.instructions(r)
                print(f"  pass {r['instructions']['pass']:,}, process "
                      f"{r['instructions']['process']:,} "
                      f"({r['instructions']['seconds']:.0f} s)", flush=True)
            except Exception as e:
                traceback.print_exc()
                r["instructions_error"] = f"{type(e).__name__}: {str(e).strip()[:500]}"
            save(timings_done=True)
        info["instructions_seconds"] = time.monotonic() - counted
        info["load_after_instructions"] = os.getloadavg()
    total = time.monotonic() - start
    save(timings_done=True)
    info["seconds"] = total

    write_report(results, info, args, doc, plot_path, total)
    print(f"bench: wrote {doc} and {plot_path}; raw results in {results_file}", flush=True)
    print(f"bench: load average {' '.join(f'{x:.2f}' for x in info['load_start'])} at the "
          f"start, {' '.join(f'{x:.2f}' for x in info['load_end'])} at the end of the timings",
          flush=True)
    for t in targets17(results):
        print(f"  {verdict(t['met']):18} {t['target']}: {t['subject']} "
              f"({n_threads(t['threads'])}): {t['measured'] or '–'} (budget {t['budget']})"
              + (f" — {t['detail']}" if t["met"] in (False, "floor", "instructions") else ""),
              flush=True)
    failed = [r for r in results if "error" in r and not r.get("absent")]
    return 1 if failed else 0


if __name__ == "__main__":
    # TorchScript's passes recurse along chains of nodes: a 10,000-node graph overflows
    # the main thread's 8 MiB stack when it is traced or run. Everything runs on a thread
    # with a 1 GiB stack, as s2t-opt does.
    if any(a.startswith("--rerender") for a in sys.argv[1:]):
        arguments = parse_args(())  # torch is not imported
    else:
        from models import BY_NAME
        arguments = parse_args(list(BY_NAME))
    threading.stack_size(1 << 30)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(main(arguments)))
    worker.start()
    worker.join()
    sys.exit(outcome[0] if outcome else 1)
