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
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "lib"))

import torch  # noqa: E402

from s2t_e2e import assert_same  # noqa: E402

TIME = "/usr/bin/time"
SEED = 67280421310721  # LibTorch's default seed, as s2t-opt uses
COMMAND = "/usr/bin/python3 bench/run.py"


def no_downloads(*args, **kwargs):
    raise RuntimeError("the benchmark must not download anything (weights=None everywhere)")


torch.hub.load_state_dict_from_url = no_downloads
torch.hub.download_url_to_file = no_downloads


# --------------------------------------------------------------------------- models

CLASSIFICATION = "classification"
DETECTION = "detection"


class Model:
    def __init__(self, name, kind, build, sample, libraries=()):
        self.name = name
        self.kind = kind
        self.build = build          # () -> eager module
        self.sample = sample        # () -> tuple of arguments
        self.libraries = libraries  # s2t-opt --load / bench-load-save --load


def _rand(*shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(1))


def _classifier(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None)
    return Model(name, CLASSIFICATION, build, lambda: (_rand(1, 3, 224, 224),))


def _detector(name):
    def build():
        import torchvision
        return getattr(torchvision.models.detection, name)(weights=None,
                                                           weights_backbone=None)
    return Model(name, DETECTION, build, lambda: ([_rand(3, 240, 320)],),
                 libraries=("torchvision",))


MODELS = [
    _classifier("resnet50"),
    _classifier("mobilenet_v3_large"),
    _classifier("vit_b_16"),
    _classifier("efficientnet_b0"),
    _detector("fasterrcnn_mobilenet_v3_large_320_fpn"),
]
BY_NAME = {m.name: m for m in MODELS}
LOOPS = [1000, 10000, 100000]


class EagerLoop(torch.nn.Module):
    """What is traced: the loop with its count fixed."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        for _ in range(self.n):
            x = x + 1
        return x


class ScriptedLoop(torch.nn.Module):
    """What s2t-opt converts: the count is an argument, given by --specialize-input=n=N."""

    def forward(self, x, n: int):
        for _ in range(n):
            x = x + 1
        return x


class Traced(torch.nn.Module):
    """A detection model's output (List[Dict[str, Tensor]]) as a tuple, so that it traces."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return tuple(d[k] for d in self.model(images) for k in d)


# --------------------------------------------------------------------------- measuring

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """(max - min) / median of the repetitions."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or not statistics.median(values):
        return 0.0
    return (max(values) - min(values)) / statistics.median(values)


def load1():
    return os.getloadavg()[0]


def run_process(cmd, env, workdir):
    """Runs cmd under GNU time; returns wall, user, sys seconds, max RSS (KiB) and stderr."""
    rss_file = os.path.join(workdir, "time.out")
    full = [TIME, "-f", "%U %S %M", "-o", rss_file] + cmd
    start = time.perf_counter()
    proc = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace")
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()[-2000:]}")
    user, system, rss = open(rss_file).read().split()[-3:]
    return {"wall": wall, "user": float(user), "sys": float(system), "rss_kib": int(rss),
            "stderr": proc.stderr}


def quietly(fn, *args):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def time_trace(target, sample, reps):
    times, traced = [], None
    for _ in range(reps):
        start = time.perf_counter()
        traced = quietly(lambda: torch.jit.trace(target, tuple(sample), check_trace=False,
                                                 strict=False))
        times.append(time.perf_counter() - start)
    return times, traced


def time_forward(modules, sample, reps, warmup=2, budget=2.0, most=20):
    """Forward times of each module on the sample; calls interleave, in rotating order,
    after `warmup` calls of each (the profiling executor optimizes after two). Fast
    modules get more repetitions: as many as fit in `budget` seconds each, at most `most`,
    at least `reps`."""
    last = []
    for fn in modules.values():
        for _ in range(warmup):
            torch.manual_seed(SEED)
            start = time.perf_counter()
            quietly(fn, *sample)
        last.append(time.perf_counter() - start)
    reps = max(reps, min(most, int(budget / max(max(last), 1e-4))))
    times = {name: [] for name in modules}
    names = list(modules)
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            torch.manual_seed(SEED)
            start = time.perf_counter()
            quietly(modules[name], *sample)
            times[name].append(time.perf_counter() - start)
    return times


class Bench:
    def __init__(self, args, s2t_opt, floor, workdir):
        self.args = args
        self.s2t_opt = s2t_opt
        self.floor = floor
        self.workdir = workdir
        self.env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
                        MKL_NUM_THREADS=str(args.threads))

    def log(self, text):
        print(text, flush=True)

    def convert_and_floor(self, archive, spec_args, libraries, out_dir, reps=None):
        """Runs s2t-opt and the floor alternately, reps times each."""
        s2t_runs, floor_runs = [], []
        stats_file = os.path.join(out_dir, "stats.json")
        flat = os.path.join(out_dir, "flat.pt")
        loads = [f"--load={lib}" for lib in libraries]
        s2t_cmd = [self.s2t_opt, archive, *spec_args, *loads, "-o", flat,
                   f"--threads={self.args.threads}", f"--stats-json={stats_file}"]
        floor_cmd = [self.floor, archive, os.path.join(out_dir, "floor.pt"), *loads, "--time"]
        for r in range(reps or self.args.reps):
            order = [("s2t", s2t_cmd), ("floor", floor_cmd)]
            if r % 2:
                order.reverse()
            for which, cmd in order:
                run = run_process(cmd, self.env, out_dir)
                run["load1"] = load1()
                if which == "s2t":
                    run["stats"] = json.load(open(stats_file))
                    s2t_runs.append(run)
                else:
                    words = run["stderr"].split()
                    run["floor_load"] = float(words[words.index("load") + 1])
                    run["floor_save"] = float(words[words.index("save") + 1])
                    floor_runs.append(run)
        return s2t_runs, floor_runs, flat

    def summarize_processes(self, s2t_runs, floor_runs):
        seconds = lambda key: [r["stats"]["seconds"][key] for r in s2t_runs]  # noqa: E731
        passes = [r["stats"]["seconds"]["specialize"] + r["stats"]["seconds"]["cleanup"]
                  for r in s2t_runs]
        stats = s2t_runs[-1]["stats"]
        return {
            "pass": median(passes), "pass_all": passes,
            "specialize": median(seconds("specialize")), "cleanup": median(seconds("cleanup")),
            "load": median(seconds("load")), "emit": median(seconds("emit")),
            "total": median(seconds("total")),
            "s2t_wall": median([r["wall"] for r in s2t_runs]),
            "s2t_wall_all": [r["wall"] for r in s2t_runs],
            "s2t_cpu": median([r["user"] + r["sys"] for r in s2t_runs]),
            "s2t_rss": median([r["rss_kib"] for r in s2t_runs]),
            "floor_wall": median([r["wall"] for r in floor_runs]),
            "floor_wall_all": [r["wall"] for r in floor_runs],
            "floor_cpu": median([r["user"] + r["sys"] for r in floor_runs]),
            "floor_rss": median([r["rss_kib"] for r in floor_runs]),
            "floor_load": median([r["floor_load"] for r in floor_runs]),
            "floor_save": median([r["floor_save"] for r in floor_runs]),
            "kernels_run": stats["kernels_run"], "nodes_in": stats["nodes_in"],
            "nodes_out": stats["nodes_out"], "decisions": stats["decisions"],
            "iterations_unrolled": stats["iterations_unrolled"],
            "load1": [r["load1"] for r in s2t_runs + floor_runs],
            "s2t_rss_all": [r["rss_kib"] for r in s2t_runs],
            "floor_rss_all": [r["rss_kib"] for r in floor_runs],
        }

    def model(self, model):
        out_dir = os.path.join(self.workdir, model.name)
        os.makedirs(out_dir, exist_ok=True)
        result = {"name": model.name, "kind": model.kind}
        torch.manual_seed(0)
        eager = quietly(model.build).eval()
        scripted = quietly(torch.jit.script, eager)
        archive = os.path.join(out_dir, "model.pt")
        scripted.save(archive)
        sample = model.sample()
        inputs = os.path.join(out_dir, "inputs.pt")
        torch.save(tuple(sample), inputs)
        quietly(eager, *sample)  # one eager call first: lazy initialization is not tracing

        self.log(f"  trace x{self.args.reps}")
        result["load_samples"] = [load1()]
        target = Traced(eager) if model.kind == DETECTION else eager
        trace_times, traced = time_trace(target, sample, self.args.reps)
        result["trace"] = median(trace_times)
        result["trace_all"] = trace_times

        self.log(f"  s2t-opt and floor x{self.args.reps}")
        s2t_runs, floor_runs, flat_path = self.convert_and_floor(
            archive, ["--specialize-input=@" + inputs], model.libraries, out_dir)
        result.update(self.summarize_processes(s2t_runs, floor_runs))

        self.log("  forward (converted, scripted, trace)")
        result["load_samples"].append(load1())
        flat = torch.jit.load(flat_path)
        reloaded = torch.jit.load(archive)
        try:
            torch.manual_seed(SEED)
            want = quietly(reloaded, *sample)
            torch.manual_seed(SEED)
            assert_same(quietly(flat, *sample), want, "sample")
            result["same_output"] = True
        except AssertionError as e:
            result["same_output"] = str(e)
        times = time_forward({"flat": flat, "scripted": reloaded, "trace": traced}, sample,
                             self.args.reps)
        for name, values in times.items():
            result[f"run_{name}"] = median(values)
            result[f"run_{name}_all"] = values
        return result

    def loop(self, n, archive):
        out_dir = os.path.join(self.workdir, f"loop-{n}")
        os.makedirs(out_dir, exist_ok=True)
        result = {"name": f"loop {n:,}", "kind": "loop", "n": n}
        x = torch.tensor([0.0])
        # Tracing 100,000 iterations takes half a minute: fewer repetitions there.
        reps = self.args.reps if n < 100000 else min(self.args.reps, 3)
        result["reps"] = reps

        self.log(f"  trace x{reps}")
        result["load_samples"] = [load1()]
        trace_times, traced = time_trace(EagerLoop(n), (x,), reps)
        result["trace"] = median(trace_times)
        result["trace_all"] = trace_times

        self.log(f"  s2t-opt and floor x{reps}")
        s2t_runs, floor_runs, flat_path = self.convert_and_floor(
            archive, ["--specialize-input=x=tensor([0.0])", f"--specialize-input=n={n}"], (),
            out_dir, reps)
        result.update(self.summarize_processes(s2t_runs, floor_runs))

        if not self.args.no_loop_runtime and n <= self.args.loop_runtime_max:
            self.log("  forward (converted, scripted, trace)")
            result["load_samples"].append(load1())
            flat = torch.jit.load(flat_path)
            scripted = torch.jit.load(archive)
            result["same_output"] = torch.equal(quietly(flat, x, n), quietly(scripted, x, n))
            times = time_forward({"flat": lambda t: flat(t, n), "scripted": lambda t: scripted(t, n),
                                  "trace": traced}, (x,), reps)
            for name, values in times.items():
                result[f"run_{name}"] = median(values)
                result[f"run_{name}_all"] = values
        return result


def contention_probe(threads):
    """Median eager forward of mobilenet_v3_large on 1 thread and on `threads`: on an
    oversubscribed machine the second is slower, not faster (each parallel region waits
    for a core), and every kernel-bound number of the run is inflated alike."""
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_large(weights=None).eval()
    x = _rand(1, 3, 224, 224)
    result = {}
    for n in sorted({1, threads, os.cpu_count()}):
        torch.set_num_threads(n)
        times = []
        for i in range(7):
            start = time.perf_counter()
            quietly(model, x)
            if i >= 2:
                times.append(time.perf_counter() - start)
        result[n] = median(times)
    torch.set_num_threads(threads)
    return result


# --------------------------------------------------------------------------- set-up

def wait_for(path, what, minutes=15):
    """s2t-opt may be rebuilt by someone else while this starts: wait for it to be back."""
    deadline = time.monotonic() + 60 * minutes
    while not os.access(path, os.X_OK):
        if time.monotonic() > deadline:
            sys.exit(f"bench: {what} {path} is missing")
        print(f"bench: waiting for {path}", flush=True)
        time.sleep(15)
    time.sleep(1)  # a link that just finished


def find_floor(args):
    if args.floor:
        wait_for(args.floor, "the floor program")
        return args.floor
    built = os.path.join(REPO, "build", "bin", "bench-load-save")
    if os.access(built, os.X_OK):
        return built
    build_dir = "/tmp/s2t-bench-build"
    print(f"bench: building bench-load-save in {build_dir}", flush=True)
    subprocess.run(["cmake", "-S", HERE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "bin", "bench-load-save")


def machine_info(args, s2t_opt):
    def text(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem_kib = int(line.split()[1])
    import torchvision
    dirty = text(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_kib / 2**20,
        "os": platform.platform(), "python": platform.python_version(),
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "threads": args.threads, "torch_threads": torch.get_num_threads(),
        "s2t_version": text([s2t_opt, "--version"]),
        "commit": text(["git", "rev-parse", "--short", "HEAD"]) + (" (+ local changes)"
                                                                    if dirty else ""),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------- report

def ms(seconds):
    if seconds is None:
        return "–"
    if seconds < 0.01:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


def ms_spread(values):
    """The median and, when there are several, ± half the range over the median."""
    values = [v for v in values or [] if v is not None]
    if not values:
        return "–"
    if len(values) < 2:
        return ms(median(values))
    return f"{ms(median(values))} ±{spread(values) * 50:.0f}%"


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(a, b):
    return None if a is None or not b else a / b


def fx(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}x"


def targets(results):
    """[(target, subject, measured, met, detail)] for issue 5, part 5 (and part 3's
    scaling). The detail of a missed target says by how much."""
    rows = []
    by_kind = lambda kind: [r for r in results if r.get("kind") == kind and "error" not in r]  # noqa

    for r in by_kind(CLASSIFICATION):
        q = ratio(r["pass"], r["trace"])
        budget = r["trace"] / 100
        met = q <= 0.01
        rows.append(("pass ≤ 1/100 of trace", r["name"], f"{q:.4f} (1/{1 / q:.0f})", met,
                     f"pass {ms(r['pass'])} " + (f"≤ budget {ms(budget)}" if met else
                     f"vs budget {ms(budget)}: {q / 0.01:.1f}x over, "
                     f"{ms(r['pass'] - budget)} too slow")))
    for r in by_kind(DETECTION):
        q = ratio(r["pass"], r["trace"])
        met = q <= 1.0
        rows.append(("pass ≤ trace (detection)", r["name"], fx(q), met,
                     f"pass {ms(r['pass'])} vs trace {ms(r['trace'])}"
                     + ("" if met else f": {ms(r['pass'] - r['trace'])} too slow")))
    for r in by_kind(CLASSIFICATION):
        q = ratio(r["s2t_wall"], r["floor_wall"])
        budget = 1.1 * r["floor_wall"]
        met = q <= 1.1
        rows.append(("end to end ≤ 1.1x floor", r["name"], fx(q), met,
                     f"{ms(r['s2t_wall'])} vs floor {ms(r['floor_wall'])}: "
                     + (f"{ms(budget - r['s2t_wall'])} under" if met else
                        f"{ms(r['s2t_wall'] - budget)} over") + " the 1.1x budget"))
    for r in by_kind(CLASSIFICATION):
        q = ratio(r["s2t_rss"], r["floor_rss"])
        budget = 1.2 * r["floor_rss"]
        met = q <= 1.2
        rows.append(("peak memory ≤ 1.2x floor", r["name"], fx(q), met,
                     f"{mib(r['s2t_rss'])} vs floor {mib(r['floor_rss'])}: "
                     + (f"{mib(budget - r['s2t_rss'])} under" if met else
                        f"{mib(r['s2t_rss'] - budget)} over") + " the 1.2x budget"))
    loops = {r["n"]: r for r in by_kind("loop")}
    if 100000 in loops:
        r = loops[100000]
        q = ratio(r["trace"], r["pass"])
        met = q >= 5
        rows.append(("100k loop: pass ≥ 5x faster than trace", "loop 100,000",
                     f"{q:.1f}x faster", met,
                     f"pass {ms(r['pass'])}, trace {ms(r['trace'])} (budget "
                     f"{ms(r['trace'] / 5)}" + ("" if met else f", {5 / q:.1f}x too slow")
                     + f"); end to end {ms(r['s2t_wall'])}, "
                     f"{r['trace'] / r['s2t_wall']:.1f}x faster than the trace"))
    for r in by_kind(CLASSIFICATION) + by_kind(DETECTION) + by_kind("loop"):
        if r.get("run_flat") is None:
            continue
        q = ratio(r["run_flat"], r["run_trace"])
        noise = max(0.05, spread(r["run_flat_all"]), spread(r["run_trace_all"]))
        met = True if q <= 1.0 else "noise" if q <= 1.0 + noise else False
        rows.append(("converted runs no slower than trace", r["name"], fx(q), met,
                     f"{(q - 1) * 100:+.0f}% ({ms(r['run_flat'])} vs {ms(r['run_trace'])}), "
                     f"noise band {noise * 100:.0f}%"))
    if all(n in loops for n in (1000, 10000, 100000)):
        for key, label, scale, unit in (("s2t_wall", "time", 1e6, "µs"),
                                        ("pass", "pass time", 1e6, "µs"),
                                        ("s2t_rss", "memory", 1024, "B")):
            a, b, c = (loops[n][key] for n in (1000, 10000, 100000))
            early, late = (b - a) / 9000, (c - b) / 90000
            q = late / early if early > 0 else float("inf")
            rows.append((f"(part 3) linear scaling of {label}", "loops 1k→10k→100k",
                         f"{q:.2f}", q <= 1.5,
                         f"per iteration {early * scale:.1f} {unit} (1k→10k), "
                         f"{late * scale:.1f} {unit} (10k→100k)"))
    return rows


def obstacles(results):
    """What stands in the way of the targets this code misses, with this run's numbers.
    The mechanisms are the code's; keep them in step with it."""
    good = {r["name"]: r for r in results if "error" not in r}
    models = [r for r in good.values() if r["kind"] == CLASSIFICATION]
    lines = ["## What stands in the way", ""]
    if models:
        fastest = min(models, key=lambda r: r["pass"])
        lines.append(
            "- **Pass ≤ 1/100 of the trace.** On the classification models the pass runs no "
            "kernel (`kernels run` is 0), so its cost is the walk itself: "
            + ", ".join(f"{r['name']} {ms(r['specialize'])} specialize + {ms(r['cleanup'])} "
                        f"clean-up for {r['nodes_in']:,} scripted nodes" for r in models)
            + ". The specialization pays, per node, hash-map lookups of abstract values and "
            "the evaluator's state, and for every shape decision (BatchNorm's `dim()` check "
            "after each convolution, `torch._assert` on sizes) a slice evaluated on meta "
            "tensors through the dispatcher (`at::empty` on the meta device, the meta "
            "kernels of element-wise ops; convolution and batch norm have none in LibTorch "
            "1.13 and are sized natively). The clean-up is torch's `EliminateDeadCode` and "
            "`ConstantPooling`, each of which builds an `AliasDb` of the whole flat graph. "
            "A rank/dtype/shape propagation that answers the common operators without the "
            "dispatcher, and a clean-up that does not build alias analysis twice, are what "
            f"is left; the fastest pass here ({fastest['name']}) is {ms(fastest['pass'])} "
            f"against a budget of {ms(fastest['trace'] / 100)}.")
        lines.append("")
        over = [r for r in models if r["s2t_wall"] > 1.1 * r["floor_wall"]]
        if over:
            lines.append(
                "- **End to end ≤ 1.1x the floor.** s2t-opt loads and saves the same archive "
                "as the floor and adds the pass and the printing of the flat method: "
                + ", ".join(f"{r['name']}: load {ms(r['load'])} vs {ms(r['floor_load'])}, "
                            f"emit {ms(r['emit'])} vs save {ms(r['floor_save'])}, pass "
                            f"{ms(r['pass'])}" for r in over)
                + ". The emit writes the flat `forward` (every operation inlined, each with "
                "its inlined call stack for the debug records) on top of the methods the "
                "floor writes too; process start-up (~0.6–0.8 s of library loading and "
                "operator registration) is the same for both and is most of the floor.")
            lines.append("")
    loop = good.get("loop 100,000")
    if loop:
        lines.append(
            f"- **The 100,000-iteration loop** ({loop['trace'] / loop['pass']:.1f}x faster "
            f"than its trace; the target is 5x): specialize {ms(loop['specialize'])}, "
            f"clean-up {ms(loop['cleanup'])}. The specializer materializes a scalar constant "
            "at each use, so each iteration of `x = x + 1` emits two `prim::Constant` nodes "
            "besides its `aten::add`: 300,000 nodes are built and 200,000 of them are pooled "
            "away again by `ConstantPooling` (over an `AliasDb` of the whole graph). Reusing "
            "one node per scalar constant in the flat graph would cut both stages by about "
            "half (it renumbers the values of every printed graph, so the documented examples "
            "change with it).")
        lines.append("")
    det = [r for r in good.values() if r["kind"] == DETECTION]
    for r in det:
        lines.append(
            f"- **Detection.** {r['name']} runs {r['kernels_run']} kernels: the sizes that "
            "its decisions read after `aten::where(condition)` (the boxes kept), "
            "`aten::max` / `aten::min` and torchvision's `nms` and `roi_align` depend on "
            "data or have no meta kernel, so they are computed from the real values of "
            "their backward slice, which is most of the forward; the pass costs about "
            "what the trace does. (These decisions are counted as `shape` because they "
            "read sizes; they depend on data.)")
        lines.append("")
    flat_slow = [r for r in good.values() if r.get("run_flat") and r.get("run_trace")
                 and r["run_flat"] > r["run_trace"] * 1.05]
    if flat_slow:
        lines.append(
            "- **Converted run time.** The converted archive is slower than the trace "
            + ("within this run's noise band only (" if all(
                r["run_flat"] / r["run_trace"] <= 1 + max(0.05, spread(r["run_flat_all"]),
                                                          spread(r["run_trace_all"]))
                for r in flat_slow) else "(")
            + ", ".join(f"{r['name']} {r['run_flat'] / r['run_trace']:.2f}x"
                        for r in flat_slow)
            + "): it runs the same kernels in the same order as the scripted module (its "
            "output is bit-identical), and what it keeps beyond a trace is cheap: shape "
            "reads (`aten::size`) and the scalar arithmetic on them stay dynamic, and "
            "parameters are read with `prim::GetAttr`.")
        lines.append("")
    return lines


def verdict(met, measured):
    if met == "noise":
        return "met (within noise)"
    return "met" if met else "**missed**"


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    models = [r for r in results if r.get("kind") != "loop" and "error" not in r]
    loops = [r for r in results if r.get("kind") == "loop" and "error" not in r]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=80,
                             gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    series = [("trace", "torch.jit.trace", "#888888"), ("pass", "s2t pass", "#1f77b4"),
              ("s2t_wall", "s2t-opt end to end", "#ff7f0e"),
              ("floor_wall", "load+save floor", "#2ca02c")]
    width = 0.2
    for i, (key, label, color) in enumerate(series):
        ax.bar([j + (i - 1.5) * width for j in range(len(models))], [r[key] for r in models],
               width, label=label, color=color)
    short = {"fasterrcnn_mobilenet_v3_large_320_fpn": "fasterrcnn_mbv3\n_320_fpn",
             "mobilenet_v3_large": "mobilenet\n_v3_large", "efficientnet_b0": "efficientnet\n_b0"}
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([short.get(r["name"], r["name"]) for r in models], fontsize=8)
    ax.set_yscale("log")
    top = max([r[key] for r in models for key, _, _ in series] + [1.0])
    ax.set_ylim(top=top * 20)
    ax.set_ylabel("seconds (log)")
    ax.set_title("models: s2t pass vs trace; end to end vs floor", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", ncol=4)
    ax.grid(axis="y", alpha=0.3)
    ax = axes[1]
    if not loops:
        ax.set_visible(False)
    if loops:
        ns = [r["n"] for r in loops]
        ax.loglog(ns, [r["trace"] for r in loops], "o-", color="#888888", label="trace")
        ax.loglog(ns, [r["pass"] for r in loops], "o-", color="#1f77b4", label="s2t pass")
        ax.loglog(ns, [r["s2t_wall"] for r in loops], "o-", color="#ff7f0e",
                  label="s2t-opt end to end")
        linear = [loops[-1]["pass"] * n / ns[-1] for n in ns]
        ax.loglog(ns, linear, ":", color="#1f77b4", label="linear, through the last pass")
        ax2 = ax.twinx()
        ax2.plot(ns, [r["s2t_rss"] / 1024 for r in loops], "s--", color="#9467bd",
                 label="s2t-opt peak MiB")
        ax2.set_ylabel("peak MiB", fontsize=8)
        ax2.set_ylim(bottom=0, top=max(r["s2t_rss"] for r in loops) / 1024 * 1.15)
        ax2.set_xscale("log")
        ax.set_xlabel("loop iterations")
        ax.set_ylabel("seconds (log)")
        ax.set_title("counted loop: scaling", fontsize=10)
        lines = ax.get_legend_handles_labels()
        more = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    try:  # a palette PNG is a fraction of the size
        from PIL import Image
        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    except ImportError:
        pass


def report(results, info, args, doc_path, plot_path, total_seconds):
    lines = []
    add = lines.append
    good = [r for r in results if "error" not in r]
    loops = [r for r in good if r["kind"] == "loop"]
    add("# Performance")
    add("")
    add("Written by `bench/run.py` (issue 5, parts 4 and 5): do not edit by hand, run it again.")
    add("Every number is from the run below, the median of its repetitions.")
    add("")
    add("## The run")
    add("")
    add("```")
    add(info["command"])
    add("```")
    if info.get("rerendered"):
        add("")
        add("(This report was written again from that run's results.json by "
            "`bench/run.py --rerender`; the numbers are the run's.)")
    add("")
    add(f"- machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']:.0f} GiB; "
        f"{info['os']}")
    add(f"- torch {info['torch']}, torchvision {info['torchvision']} (Debian's); "
        f"Python {info['python']}; {info['s2t_version']} at commit {info['commit']}")
    add(f"- threads: {info['threads']} on every side (torch.set_num_threads({info['threads']}) "
        f"for tracing and running; `s2t-opt --threads={info['threads']}`; OMP_NUM_THREADS="
        f"{info['threads']} and MKL_NUM_THREADS={info['threads']} for s2t-opt and the floor "
        f"process)")
    la0, la1 = info["load_start"], info["load_end"]
    during = [x for r in good for x in r.get("load1", []) + r.get("load_samples", [])]
    add(f"- load average (1, 5, 15 min): {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f} at the start, "
        f"{la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f} at the end; the 1-minute load sampled during "
        f"the run was {min(during):.2f}–{max(during):.2f} (median {median(during):.2f}) on "
        f"{info['cores']} cores: other work was running" if during else "")
    probes = info.get("probe_start"), info.get("probe_end")
    if all(probes):
        n = max(probes[0])
        add(f"- contention probe (eager mobilenet_v3_large forward, median of 5): "
            f"{ms(probes[0][1])} on 1 thread, {ms(probes[0][n])} on {n} at the start; "
            f"{ms(probes[1][1])} and {ms(probes[1][n])} at the end"
            + (". More threads were slower: the machine was oversubscribed, so the "
               "kernel-bound numbers below (tracing, forward, kernels that s2t-opt runs) "
               "are inflated, while s2t-opt's pass (which runs no kernel on the classification "
               "models), load and save are not: "
               "pass / trace ratios look better than on an idle machine"
               if n > 1 and info["threads"] > 1 and
               max(probes[0][n] / probes[0][1], probes[1][n] / probes[1][1]) > 1
               else ". More threads were slower: the machine was oversubscribed; this run "
               "uses one thread" if n > 1 and
               max(probes[0][n] / probes[0][1], probes[1][n] / probes[1][1]) > 1
               else ""))
    add(f"- {args.reps} repetitions of everything (at most 3 for the 100,000-iteration loop, "
        f"whose trace takes half a minute; the loops' converted archives are run up to "
        f"{getattr(args, 'loop_runtime_max', 10000):,} iterations); {info['date']}; the run took "
        f"{total_seconds / 60:.0f} min")
    add("- trace: `torch.jit.trace(eager, sample, check_trace=False, strict=False)` under "
        "`torch.no_grad()` (the check would run the model twice more); pass: s2t-opt's "
        "`specialize` + `cleanup` seconds from `--stats-json`; end to end: wall time of the "
        "process, start to exit; floor: `bench-load-save` (bench/load_save.cpp), a LibTorch "
        "process that loads the archive and saves it; peak memory: max RSS from GNU time; "
        "run time: forward on the sample after 2 warm-up calls")
    add("- models: torchvision with weights=None (random weights, nothing downloaded); "
        "classification at 1x3x224x224, detection on one 3x240x320 image; the loop is "
        "`for _ in range(n): x = x + 1` on `tensor([0.0])`, scripted with `n` an argument "
        "(`--specialize-input=n=N`) and traced eagerly with the same `n`")
    add("")
    add("![pass time vs trace per model, and the loop scaling](performance.png)")
    add("")
    add("## Pass time against tracing")
    add("")
    add("| model | nodes in → out | decisions (const/shape/data) | kernels run | "
        "torch.jit.trace | s2t pass | specialize | cleanup | pass / trace |")
    add("|---|---|---|---|---|---|---|---|---|")
    for r in good:
        d = r["decisions"]
        add(f"| {r['name']} | {r['nodes_in']:,} → {r['nodes_out']:,} | "
            f"{d['constant']}/{d['shape']}/{d['data']} | {r['kernels_run']} | "
            f"{ms_spread(r['trace_all'])} | {ms_spread(r['pass_all'])} | {ms(r['specialize'])} | {ms(r['cleanup'])} | "
            f"{r['pass'] / r['trace']:.4f} (1/{r['trace'] / r['pass']:.0f}) |")
    add("")
    add("## End to end and peak memory against the floor")
    add("")
    add("| model | s2t-opt wall | floor wall | ratio | s2t-opt CPU | floor CPU | "
        "s2t-opt peak | floor peak | ratio |")
    add("|---|---|---|---|---|---|---|---|---|")
    for r in good:
        add(f"| {r['name']} | {ms_spread(r['s2t_wall_all'])} | {ms_spread(r['floor_wall_all'])} | "
            f"{fx(ratio(r['s2t_wall'], r['floor_wall']))} | {ms(r['s2t_cpu'])} | "
            f"{ms(r['floor_cpu'])} | {mib(r['s2t_rss'])} | {mib(r['floor_rss'])} | "
            f"{fx(ratio(r['s2t_rss'], r['floor_rss']))} |")
    add("")
    add("Times are the median ± half the range of the repetitions, over the median. "
        "CPU is user + system time of the process (less sensitive to other load than wall "
        "time). The floor of a loop is the load and save of the small scripted loop "
        "archive.")
    add("")
    add("### Where the time goes")
    add("")
    add("s2t-opt's stages from `--stats-json` (\"load\" counts from the start of `main`'s work "
        "to the loaded graph; \"emit\" writes the archive) next to the floor's own load and "
        "save; \"process\" is the wall time outside them: starting the process, loading "
        "the shared libraries, registering operators, exiting.")
    add("")
    add("| model | s2t process | s2t load | specialize | cleanup | s2t emit | "
        "floor process | floor load | floor save |")
    add("|---|---|---|---|---|---|---|---|---|")
    for r in good:
        add(f"| {r['name']} | {ms(r['s2t_wall'] - r['total'])} | {ms(r['load'])} | "
            f"{ms(r['specialize'])} | {ms(r['cleanup'])} | {ms(r['emit'])} | "
            f"{ms(r['floor_wall'] - r['floor_load'] - r['floor_save'])} | "
            f"{ms(r['floor_load'])} | {ms(r['floor_save'])} |")
    add("")
    add("## Run time of the converted archive")
    add("")
    add("| model | converted | scripted | eager trace | calls each | converted / trace | "
        "converted / scripted | same output as scripted |")
    add("|---|---|---|---|---|---|---|---|")
    for r in good:
        if r.get("run_flat") is None:
            continue
        same = r.get("same_output")
        add(f"| {r['name']} | {ms_spread(r['run_flat_all'])} | "
            f"{ms_spread(r['run_scripted_all'])} | {ms_spread(r['run_trace_all'])} | "
            f"{len(r['run_flat_all'])} | {fx(ratio(r['run_flat'], r['run_trace']))} | "
            f"{fx(ratio(r['run_flat'], r['run_scripted']))} | "
            f"{'yes' if same is True else ('no: ' + str(same) if same else 'no')} |")
    add("")
    if loops:
        add("## Loop scaling")
        add("")
        add("| iterations | s2t-opt wall | s2t pass | s2t load / specialize / cleanup / emit | "
            "s2t-opt peak | trace | trace / pass | trace / end to end |")
        add("|---|---|---|---|---|---|---|---|")
        for r in loops:
            add(f"| {r['n']:,} | {ms(r['s2t_wall'])} | {ms(r['pass'])} | {ms(r['load'])} / "
                f"{ms(r['specialize'])} / {ms(r['cleanup'])} / {ms(r['emit'])} | "
                f"{mib(r['s2t_rss'])} | {ms(r['trace'])} | {r['trace'] / r['pass']:.1f}x | "
                f"{r['trace'] / r['s2t_wall']:.1f}x |")
        add("")
    add("## Targets (issue 5, part 5)")
    add("")
    add("| target | subject | measured | | detail (gap when missed) |")
    add("|---|---|---|---|---|")
    for target, subject, measured, met, gap in targets(results):
        add(f"| {target} | {subject} | {measured} | {verdict(met, measured)} | {gap} |")
    add("")
    add("\"Within noise\" for the run time: met when the ratio is at most 1 + the larger of "
        "5% and the spread (max − min over the median) of either side's repetitions. The "
        "scaling rows (part 3) compare the cost per iteration from 1k to 10k with that from "
        "10k to 100k; linear within 1.5x counts as met.")
    add("")
    lines.extend(obstacles(results))
    errors = [r for r in results if "error" in r]
    if errors:
        add("")
        add("## Failures in this run")
        add("")
        for r in errors:
            add(f"- {r['name']}: {r['error']}")
    add("")
    with open(doc_path, "w") as f:
        f.write("\n".join(lines))


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


def gc_models():
    import gc
    gc.collect()


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
