#!/usr/bin/python3
"""The measuring half of bench/run.py: the timed processes, traces and forwards.

Bench.prepare() builds and scripts a model once; Bench.model() and Bench.loop() return
one result dict per thread count (the keys render.py reads); Bench.instructions() counts
s2t-opt's instructions under callgrind (instructions.py). Nothing here writes a report.
See run.py for what a run measures and how to start one.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import instructions
from common import DETECTION, REPO, median, n_threads, run_timed
from models import BY_NAME, EagerLoop, Traced, _rand, shapes, torch

from s2t_e2e import assert_same  # noqa: E402  (test/lib, on the path through models)

HERE = os.path.dirname(os.path.abspath(__file__))
TIME = "/usr/bin/time"
SEED = 67280421310721  # LibTorch's default seed, as s2t-opt uses


# --------------------------------------------------------------------------- measuring

def load1():
    return os.getloadavg()[0]


def run_process(cmd, env, workdir):
    """Runs cmd under GNU time; returns wall, user, sys seconds, max RSS (KiB) and stderr."""
    rss_file = os.path.join(workdir, "time.out")
    full = [TIME, "-f", "%U %S %M", "-o", rss_file] + cmd
    proc, wall = run_timed(full, env, " ".join(cmd))
    user, system, rss = open(rss_file).read().split()[-3:]
    return {"wall": wall, "user": float(user), "sys": float(system), "rss_kib": int(rss),
            "stderr": proc.stderr}


def run_writing(cmd, output, env, workdir):
    """run_process for a process that writes `output`, removed first: every process of
    the run writes a file that does not exist yet. s2t-opt writes beside its output and
    renames over it, so an old output keeps its pages until the end, where the floor's
    in-place truncation frees them just before it writes and writes into them again; on
    a machine that hands freed memory back to its host (fresh_page_probe), new pages can
    cost more than those just freed."""
    if os.path.lexists(output):
        os.remove(output)
    return run_process(cmd, env, workdir)


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


def thread_env(threads):
    return dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))


class Prepared:
    """A model built, scripted and saved once for every thread count."""

    def __init__(self, model, out_dir, eager, archive, inputs, sample):
        self.model = model
        self.out_dir = out_dir
        self.eager = eager
        self.archive = archive
        self.inputs = inputs
        self.sample = sample


class Bench:
    def __init__(self, args, s2t_opt, floor, build_floor, workdir):
        self.args = args
        self.s2t_opt = s2t_opt
        self.floor = floor
        self.build_floor = build_floor
        self.workdir = workdir
        self.stub = None

    def log(self, text):
        print(text, flush=True)

    def convert_and_floor(self, archive, spec_args, libraries, out_dir, threads, reps):
        """Runs s2t-opt and the floor alternately, reps times each."""
        s2t_runs, floor_runs = [], []
        stats_file = os.path.join(out_dir, f"stats.{threads}.json")
        flat = os.path.join(out_dir, "flat.pt")
        loads = [f"--load={lib}" for lib in libraries]
        s2t_cmd = [self.s2t_opt, archive, *spec_args, *loads, "-o", flat,
                   f"--threads={threads}", f"--stats-json={stats_file}"]
        floor_out = os.path.join(out_dir, "floor.pt")
        floor_cmd = [self.floor, archive, floor_out, *loads, "--time"]
        env = thread_env(threads)
        for r in range(reps):
            order = [("s2t", s2t_cmd, flat), ("floor", floor_cmd, floor_out)]
            if r % 2:
                order.reverse()
            for which, cmd, output in order:
                run = run_writing(cmd, output, env, out_dir)
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
        result = {
            "pass": median(passes), "pass_all": passes,
            "specialize": median(seconds("specialize")), "cleanup": median(seconds("cleanup")),
            "load": median(seconds("load")), "emit": median(seconds("emit")),
            "total": median(seconds("total")),
            "s2t_wall": median([r["wall"] for r in s2t_runs]),
            "s2t_wall_all": [r["wall"] for r in s2t_runs],
            "s2t_cpu": median([r["user"] + r["sys"] for r in s2t_runs]),
            "s2t_sys": median([r["sys"] for r in s2t_runs]),
            "s2t_rss": median([r["rss_kib"] for r in s2t_runs]),
            "floor_wall": median([r["wall"] for r in floor_runs]),
            "floor_wall_all": [r["wall"] for r in floor_runs],
            "floor_cpu": median([r["user"] + r["sys"] for r in floor_runs]),
            "floor_sys": median([r["sys"] for r in floor_runs]),
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
        # Newer s2t-opt: how many metadata questions a formula answered, how many
        # dispatched a meta kernel, and how many were answered as a meta kernel had
        # answered the same before.
        for key in ("metadata_formula", "metadata_dispatch", "metadata_reused"):
            if key in stats:
                result[key] = stats[key]
        return result

    def prepare(self, model):
        out_dir = os.path.join(self.workdir, model.name)
        os.makedirs(out_dir, exist_ok=True)
        torch.manual_seed(0)
        eager = quietly(model.build).eval()
        scripted = quietly(torch.jit.script, eager)
        archive = os.path.join(out_dir, "model.pt")
        scripted.save(archive)
        sample = model.sample()
        inputs = os.path.join(out_dir, "inputs.pt")
        torch.save(tuple(sample), inputs)
        quietly(eager, *sample)  # one eager call first: lazy initialization is not tracing
        return Prepared(model, out_dir, eager, archive, inputs, sample)

    def model(self, prepared, threads):
        model, sample, reps = prepared.model, prepared.sample, self.args.reps
        torch.set_num_threads(threads)
        result = {"name": model.name, "kind": model.kind, "threads": threads,
                  "sample": shapes(sample), "note": model.note}

        self.log(f"  {n_threads(threads)}: trace x{reps}")
        result["load_samples"] = [load1()]
        target = Traced(prepared.eager) if model.kind == DETECTION else prepared.eager
        trace_times, traced = time_trace(target, sample, reps)
        result["trace"] = median(trace_times)
        result["trace_all"] = trace_times

        runs = self.args.process_reps
        self.log(f"  {n_threads(threads)}: s2t-opt and floor x{runs}")
        s2t_runs, floor_runs, flat_path = self.convert_and_floor(
            prepared.archive, ["--specialize-input=@" + prepared.inputs], model.libraries,
            prepared.out_dir, threads, runs)
        result.update(self.summarize_processes(s2t_runs, floor_runs))

        self.log(f"  {n_threads(threads)}: forward (converted, scripted, trace, eager)")
        result["load_samples"].append(load1())
        flat = torch.jit.load(flat_path)
        reloaded = torch.jit.load(prepared.archive)
        try:
            torch.manual_seed(SEED)
            want = quietly(reloaded, *sample)
            torch.manual_seed(SEED)
            assert_same(quietly(flat, *sample), want, "sample")
            result["same_output"] = True
        except AssertionError as e:
            result["same_output"] = str(e)
        modules = {"flat": flat, "scripted": reloaded, "trace": traced,
                   "eager": prepared.eager}
        if self.args.no_runtime:  # the eager forward only (the detection target)
            modules = {"eager": prepared.eager}
        times = time_forward(modules, sample, reps)
        for name, values in times.items():
            result[f"run_{name}"] = median(values)
            result[f"run_{name}_all"] = values
        if model.kind == DETECTION:
            self.log(f"  {n_threads(threads)}: first forward in a fresh process x{reps}")
            for key, flags in (("first_forward", ()), ("first_forward_no_grad", ("--no-grad",))):
                firsts = [self.first_forward(prepared, threads, flags) for _ in range(reps)]
                result[key] = median(firsts)
                result[f"{key}_all"] = firsts
        return result

    def first_forward(self, prepared, threads, flags):
        """Seconds of the eager model's first forward in a fresh process (the pass is
        one: its kernels allocate everything for the first time), in grad mode as the
        pass evaluates, or with --no-grad."""
        script = os.path.join(REPO, "bench", "first_forward.py")
        proc = subprocess.run([sys.executable, script, prepared.model.name, prepared.inputs,
                               str(threads), *flags], env=thread_env(threads),
                              capture_output=True, text=True, check=True)
        return float(proc.stdout.split()[-1])

    def loop(self, n, archive, threads):
        out_dir = os.path.join(self.workdir, f"loop-{n}")
        os.makedirs(out_dir, exist_ok=True)
        torch.set_num_threads(threads)
        result = {"name": f"loop {n:,}", "kind": "loop", "n": n, "threads": threads}
        x = torch.tensor([0.0])
        # Tracing 100,000 iterations takes half a minute: fewer repetitions there.
        reps = self.args.reps if n < 100000 else min(self.args.reps, 3)
        result["reps"] = reps

        self.log(f"  {n_threads(threads)}: trace x{reps}")
        result["load_samples"] = [load1()]
        trace_times, traced = time_trace(EagerLoop(n), (x,), reps)
        result["trace"] = median(trace_times)
        result["trace_all"] = trace_times

        runs = self.args.process_reps if n < 100000 else reps
        self.log(f"  {n_threads(threads)}: s2t-opt and floor x{runs}")
        s2t_runs, floor_runs, flat_path = self.convert_and_floor(
            archive, loop_spec(n), (), out_dir, threads, runs)
        result.update(self.summarize_processes(s2t_runs, floor_runs))
        # LibTorch's own floor for the flat graph: loading and saving the converted
        # archive (the save of n nodes is most of s2t-opt's emit).
        self.log(f"  {n_threads(threads)}: floor of the flat archive")
        flat_floor_out = os.path.join(out_dir, "flat-floor.pt")
        flat_floor = run_writing([self.floor, flat_path, flat_floor_out, "--time"],
                                 flat_floor_out, thread_env(threads), out_dir)
        words = flat_floor["stderr"].split()
        result["flat_floor"] = {"wall": flat_floor["wall"], "rss": flat_floor["rss_kib"],
                                "load": float(words[words.index("load") + 1]),
                                "save": float(words[words.index("save") + 1])}
        # And for its peak memory: building the same flat graph node by node, and saving it.
        self.log(f"  {n_threads(threads)}: floor of the flat graph, built and saved")
        built_out = os.path.join(out_dir, "build-floor.pt")
        built = run_writing([self.build_floor, str(n), built_out], built_out,
                            thread_env(threads), out_dir)
        result["build_floor"] = {"wall": built["wall"], "rss": built["rss_kib"]}

        if not self.args.no_loop_runtime and n <= self.args.loop_runtime_max:
            self.log(f"  {n_threads(threads)}: forward (converted, scripted, trace, eager)")
            result["load_samples"].append(load1())
            flat = torch.jit.load(flat_path)
            scripted = torch.jit.load(archive)
            result["same_output"] = torch.equal(quietly(flat, x, n), quietly(scripted, x, n))
            times = time_forward({"flat": lambda t: flat(t, n),
                                  "scripted": lambda t: scripted(t, n),
                                  "trace": traced, "eager": EagerLoop(n)}, (x,), reps)
            for name, values in times.items():
                result[f"run_{name}"] = median(values)
                result[f"run_{name}_all"] = values
        return result

    def instructions(self, row):
        """s2t-opt's instructions on the subject of a measured row (its archive and
        inputs are still in the work folder), on one thread, under callgrind."""
        if self.stub is None:
            self.stub = instructions.build_stub(self.workdir)
        floor_cmd = None
        if row["kind"] == "loop":
            out_dir = os.path.join(self.workdir, f"loop-{row['n']}")
            args = [os.path.join(self.workdir, "loop.pt"), *loop_spec(row["n"])]
        else:
            out_dir = os.path.join(self.workdir, row["name"])
            loads = [f"--load={lib}" for lib in BY_NAME[row["name"]].libraries]
            args = [os.path.join(out_dir, "model.pt"),
                    "--specialize-input=@" + os.path.join(out_dir, "inputs.pt"), *loads]
            floor_cmd = [self.floor, os.path.join(out_dir, "model.pt"),
                         os.path.join(out_dir, "floor.callgrind.pt"), *loads]
        args += ["-o", os.path.join(out_dir, "flat.callgrind.pt")]
        return instructions.measure(self.s2t_opt, args, self.stub, out_dir,
                                    self.args.instructions_runs, floor_cmd)


def loop_spec(n):
    return ["--specialize-input=x=tensor([0.0])", f"--specialize-input=n={n}"]


def contention_probe(thread_counts):
    """Median eager forward of mobilenet_v3_large on 1 thread and on each thread count:
    on an oversubscribed machine more threads are slower, not faster (each parallel
    region waits for a core), and every kernel-bound number of the run is inflated."""
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_large(weights=None).eval()
    x = _rand(1, 3, 224, 224)
    result = {}
    for n in sorted({1, *thread_counts, os.cpu_count()}):
        torch.set_num_threads(n)
        times = []
        for i in range(7):
            start = time.perf_counter()
            quietly(model, x)
            if i >= 2:
                times.append(time.perf_counter() - start)
        result[n] = median(times)
    return result


HUGE_PAGE = 2 << 20


def fresh_page_probe(pages=8):
    """Milliseconds to fill each of `pages` 2 MiB pages of new memory (mmap, transparent
    huge pages asked for with madvise, one memset each: the kernel's zeroing of the page
    and the fill), and how many the kernel gave as huge pages. On a virtual machine whose
    guest reports freed memory to its host (virtio-balloon free page reporting,
    page_reporting_facts), a page the host took back is backed again on this first touch,
    off the guest's CPU: a fresh process's first touches are fast or slow as a whole."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    prot_rw, map_private_anonymous, madv_hugepage = 3, 0x22, 14
    size = (pages + 1) * HUGE_PAGE
    base = libc.mmap(None, size, prot_rw, map_private_anonymous, -1, 0)
    if base in (None, ctypes.c_void_p(-1).value):
        return {"ms": [], "huge": 0}
    try:
        start = (base + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
        libc.madvise(start, pages * HUGE_PAGE, madv_hugepage)
        huge_before = _vmstat("thp_fault_alloc")
        times = []
        for i in range(pages):
            begin = time.perf_counter()
            ctypes.memset(start + i * HUGE_PAGE, 1, HUGE_PAGE)
            times.append((time.perf_counter() - begin) * 1e3)
        return {"ms": times, "huge": _vmstat("thp_fault_alloc") - huge_before}
    finally:
        libc.munmap(base, size)


def _vmstat(key):
    try:
        for line in open("/proc/vmstat"):
            name, value = line.split()
            if name == key:
                return int(value)
    except OSError:
        pass
    return 0


def page_reporting_facts():
    """The guest's free page reporting, if it has it: the order of the blocks it reports
    (9: 2 MiB) and how much it has reported since boot, from /sys/module/page_reporting;
    None without it."""
    folder = "/sys/module/page_reporting/parameters"
    try:
        read = lambda name: open(os.path.join(folder, name)).read().strip()  # noqa: E731
        return {"order": int(read("page_reporting_order")),
                "reported_gib": int(read("reported_kib")) / 2**20}
    except (OSError, ValueError):
        return None


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


def find_floors(args):
    """The floor programs: bench-load-save (--floor, else build/bin's) and bench-build-save
    beside it; where one is missing, both are built from bench/ in /tmp/s2t-bench-build."""
    if args.floor:
        wait_for(args.floor, "the floor program")
    load_save = args.floor or os.path.join(REPO, "build", "bin", "bench-load-save")
    build_save = os.path.join(os.path.dirname(load_save), "bench-build-save")
    if os.access(load_save, os.X_OK) and os.access(build_save, os.X_OK):
        return load_save, build_save
    build_dir = "/tmp/s2t-bench-build"
    print(f"bench: building the floor programs in {build_dir}", flush=True)
    subprocess.run(["cmake", "-S", HERE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir], check=True, stdout=subprocess.DEVNULL)
    built = os.path.join(build_dir, "bin")
    return (args.floor or os.path.join(built, "bench-load-save"),
            os.path.join(built, "bench-build-save"))


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
        "threads": args.threads, "loop_threads": args.loop_threads,
        "s2t_version": text([s2t_opt, "--version"]),
        "commit": text(["git", "rev-parse", "--short", "HEAD"]) + (" (+ local changes)"
                                                                    if dirty else ""),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load_start": os.getloadavg(),
    }


def gc_models():
    import gc
    gc.collect()
