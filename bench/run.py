#!/usr/bin/python3
"""s2t's benchmark (issue 5, parts 4 and 5): s2t-opt against tracing and against the floor.

How to run it (with /usr/bin/python3, the Python that has torch; not part of the tests):

    /usr/bin/python3 bench/run.py                 # the full run (15-20 min on 2 idle cores);
                                                  # writes docs/performance.md and .png
    /usr/bin/python3 bench/run.py --reps 3        # fewer repetitions
    /usr/bin/python3 bench/run.py --threads 1     # one thread on every side (steadier when
                                                  # other work keeps the cores busy)
    /usr/bin/python3 bench/run.py --quick         # a smoke run: one model, small loops, 2 reps;
                                                  # writes into the work folder, not docs/
Options: --threads N (default: all cores), --models NAME..., --loops N,N,... or none,
--no-loop-runtime, --s2t-opt PATH, --floor PATH, --workdir DIR (keep archives and
results.json), --doc FILE / --plot FILE (where the report goes), --rerender
RESULTS_JSON (write the report again from an earlier run's results, measuring nothing).

What one run measures, each the median of --reps repetitions, on this machine, with the
same thread count on every side (torch.set_num_threads(N) here; OMP_NUM_THREADS=N and
MKL_NUM_THREADS=N in the environment of s2t-opt and the floor process):

  - pass time: s2t-opt's "specialize" + "cleanup" seconds (--stats-json) against
    torch.jit.trace of the eager model on the same sample (check_trace=False, under
    torch.no_grad()), for resnet50, mobilenet_v3_large, vit_b_16, efficientnet_b0,
    fasterrcnn_mobilenet_v3_large_320_fpn (weights=None, weights_backbone=None: nothing
    is downloaded), and counted loops of 1,000 / 10,000 / 100,000 iterations (a scripted
    `for _ in range(n): x = x + 1` converted with --specialize-input=n=N, against the
    trace of the same eager loop with the same n);
  - end to end: the wall time of the s2t-opt process against the floor, bench-load-save
    (bench/load_save.cpp: a LibTorch process that loads the archive and saves it);
  - peak memory (max RSS, from GNU time) of s2t-opt against the floor process;
  - run time of the converted archive against the scripted module and the eager trace
    (forward on the sample after 2 warm-up calls: the profiling executor profiles the
    first and optimizes on the second);
  - time and peak memory of s2t-opt on the loops, to show how they scale.
s2t-opt and the floor run alternately, so that a change of load hits both alike.

The floor program is build/bin/bench-load-save (the CMake target bench-load-save); when
it is not built, this script builds bench/ on its own in /tmp/s2t-bench-build.
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

from common import COMMAND, REPO  # noqa: E402
from measure import (BY_NAME, LOOPS, Bench, ScriptedLoop,  # noqa: E402
                     contention_probe, find_floor, gc_models, machine_info, torch,
                     wait_for)
from render import plot, report, targets  # noqa: E402



# --------------------------------------------------------------------------- main

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: mobilenet_v3_large, loops 1k and 10k, 2 reps, "
                        "report in the work folder")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads on every side (default: all cores)")
    parser.add_argument("--models", nargs="*", help=f"default: {' '.join(BY_NAME)}")
    parser.add_argument("--loops", help="iteration counts (default 1000,10000,100000), or none")
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
    unknown = [m for m in (args.models or []) if m not in BY_NAME]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; the models: {' '.join(BY_NAME)}")
    return args


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
    info["rerendered"] = True
    if any("error" not in r for r in results):
        plot(results, plot_path)
    report(results, info, args, doc, plot_path, info.get("seconds", 0))
    print(f"bench: wrote {doc} and {plot_path} from {args.rerender}", flush=True)
    return 0


def main(args):
    if args.rerender:
        return rerender(args)
    if args.quick:
        args.reps = 2 if "--reps" not in " ".join(sys.argv) else args.reps
        args.models = args.models if args.models is not None else ["mobilenet_v3_large"]
        args.loops = args.loops or "1000,10000"
    chosen = [BY_NAME[m] for m in (args.models if args.models is not None else BY_NAME)]
    loops = [] if args.loops == "none" else [
        int(n) for n in (args.loops or ",".join(map(str, LOOPS))).split(",") if n]
    workdir = args.workdir or tempfile.mkdtemp(prefix="s2t-bench-")
    os.makedirs(workdir, exist_ok=True)
    if args.doc:
        doc = args.doc
    elif args.quick:
        doc = os.path.join(workdir, "performance.md")
    else:
        doc = os.path.join(REPO, "docs", "performance.md")
    plot_path = args.plot or os.path.join(os.path.dirname(os.path.abspath(doc)),
                                          "performance.png")

    torch.set_num_threads(args.threads)
    wait_for(args.s2t_opt, "s2t-opt")
    # A copy, so that a rebuild during the run changes nothing.
    s2t_opt = os.path.join(workdir, "s2t-opt")
    shutil.copy2(args.s2t_opt, s2t_opt)
    floor = os.path.join(workdir, "bench-load-save")
    shutil.copy2(find_floor(args), floor)
    info = machine_info(args, s2t_opt)
    info["command"] = COMMAND + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    print(f"bench: {info['cores']} cores, torch {info['torch']}, {args.threads} threads, "
          f"load {info['load_start'][0]:.2f}, work folder {workdir}", flush=True)

    # Script the loop first: torch.jit.script reads this file's source when it runs.
    archive = os.path.join(workdir, "loop.pt")
    torch.jit.script(ScriptedLoop()).save(archive)

    bench = Bench(args, s2t_opt, floor, workdir)
    start = time.monotonic()
    info["probe_start"] = contention_probe(args.threads)
    print(f"bench: contention probe {info['probe_start']}", flush=True)
    results = []
    results_file = os.path.join(workdir, "results.json")

    def save():  # after each model, so that an interrupted run keeps what it measured
        info["load_end"] = os.getloadavg()
        info["seconds"] = time.monotonic() - start
        info["reps"] = args.reps
        with open(results_file, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1, default=str)

    for n in loops:
        print(f"loop {n}:", flush=True)
        try:
            results.append(bench.loop(n, archive))
        except Exception as e:
            traceback.print_exc()
            results.append({"name": f"loop {n:,}", "kind": "loop", "n": n,
                            "error": f"{type(e).__name__}: {str(e).strip()[:500]}"})
        finally:
            gc_models()
            save()
    for model in chosen:
        print(f"{model.name}:", flush=True)
        try:
            results.append(bench.model(model))
        except Exception as e:
            traceback.print_exc()
            results.append({"name": model.name, "kind": model.kind,
                            "error": f"{type(e).__name__}: {str(e).strip()[:500]}"})
        finally:
            gc_models()
            save()
    info["load_end"] = os.getloadavg()
    info["probe_end"] = contention_probe(args.threads)
    total = time.monotonic() - start
    info["seconds"] = total
    info["reps"] = args.reps

    save()
    good = [r for r in results if "error" not in r]
    if good:
        plot(results, plot_path)
    report(results, info, args, doc, plot_path, total)
    print(f"bench: wrote {doc} and {plot_path}; raw results in "
          f"{os.path.join(workdir, 'results.json')}", flush=True)
    for target, subject, measured, met, gap in targets(results):
        print(f"  {'met   ' if met else 'MISSED'} {target}: {subject}: {measured}"
              f"{'' if met else ' — ' + gap}", flush=True)
    return 1 if len(good) < len(results) else 0


if __name__ == "__main__":
    # TorchScript's passes recurse along chains of nodes: a 10,000-node graph overflows
    # the main thread's 8 MiB stack when it is traced or run. Everything runs on a thread
    # with a 1 GiB stack, as s2t-opt does.
    arguments = parse_args()
    threading.stack_size(1 << 30)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(main(arguments)))
    worker.start()
    worker.join()
    sys.exit(outcome[0] if outcome else 1)
