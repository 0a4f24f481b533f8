"""Instruction counts for bench/run.py --instructions: s2t-opt under callgrind.

One valgrind run per subject (s2t-opt on one thread, OMP_NUM_THREADS=MKL_NUM_THREADS=1)
gives both numbers:
  - the pass: the inclusive counts of the calls of the two stage functions of
    passes/Pipeline.cpp, `s2t::(anonymous namespace)::specialize(s2t::PipelineState&)`
    and `...::cleanup(s2t::PipelineState&)` (what --stats-json times as "specialize" and
    "cleanup"), read from the `calls=` records of callgrind's output file. (The listing
    of `callgrind_annotate --inclusive=yes` gives the same numbers on the stage
    functions' own lines, but lists the code inlined into a function from headers as
    further "file:function" entries, and the caller's view of a function under another
    spelling of its path: the call records are the unambiguous source.)
  - the process: callgrind's total (start-up, loading libraries and registering
    operators, load, pass, emit, exit).
And, for a model, the floor's process under callgrind the same way (bench-load-save on
the same archive, one thread): the end-to-end ratio in instructions, which the machine's
speed does not move.
The pass counts are exact and the same from run to run; the process total moves by a few
parts in a hundred thousand (`--instructions-runs 2` records both runs to show it).

libhwy's static constructor (a dependency of LibTorch's) runs an instruction valgrind
does not know and valgrind dies with SIGILL, unless bench/hwy_stub.cpp is preloaded:
it is compiled once into the work folder with g++.
"""
import os
import shutil
import subprocess

from common import run_timed

HERE = os.path.dirname(os.path.abspath(__file__))
STAGES = {
    "specialize": "s2t::(anonymous namespace)::specialize(s2t::PipelineState&)",
    "cleanup": "s2t::(anonymous namespace)::cleanup(s2t::PipelineState&)",
}
PIPELINE = "s2t::specializeProgram("


def missing_tools():
    """What --instructions needs and this machine lacks."""
    return [tool for tool in ("valgrind", "g++")
            if shutil.which(tool) is None]


def build_stub(workdir):
    stub = os.path.join(workdir, "hwy_stub.so")
    if not os.path.exists(stub):
        subprocess.run(["g++", "-shared", "-fPIC", "-O2", "-o", stub,
                        os.path.join(HERE, "hwy_stub.cpp")], check=True)
    return stub


def parse_callgrind(path):
    """{"process", "specialize", "cleanup", "pipeline"} from a callgrind output file:
    the total, and the summed costs of the `calls=` records whose callee (`cfn=`) is a
    stage function or specializeProgram. Names are compressed: `(id) name` the first
    time, `(id)` after."""
    names, found, callee, expect_cost = {}, {}, None, False
    wanted = {name: key for key, name in STAGES.items()}
    with open(path, errors="replace") as f:
        for line in f:
            if expect_cost:
                expect_cost = False
                key = wanted.get(callee) or ("pipeline" if callee and callee.startswith(
                    PIPELINE) else None)
                if key:
                    found[key] = found.get(key, 0) + int(line.split()[1])
            elif line.startswith("cfn="):
                ref, _, name = line[4:].rstrip("\n").partition(" ")
                if name:
                    names[ref] = name
                callee = names.get(ref)
            elif line.startswith("fn="):
                ref, _, name = line[3:].rstrip("\n").partition(" ")
                if name:
                    names[ref] = name
            elif line.startswith("calls="):
                expect_cost = True
            elif line.startswith("totals:") or line.startswith("summary:"):
                found["process"] = int(line.split()[1])
    return found


def callgrind(cmd, stub, out, what):
    """Runs `cmd` under callgrind on one thread into `out`; returns parse_callgrind's
    counts and the run's seconds."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", LD_PRELOAD=stub)
    _, seconds = run_timed(["valgrind", "--tool=callgrind", "--dump-instr=no",
                            f"--callgrind-out-file={out}", *cmd],
                           env, f"{what} under valgrind", stdout=subprocess.DEVNULL, tail=1500)
    return parse_callgrind(out), seconds


def count(s2t_opt, args, stub, out_dir, tag):
    """Runs `s2t-opt ARGS` under callgrind once; returns the counts and the run's seconds."""
    out = os.path.join(out_dir, f"callgrind.{tag}.out")
    found, seconds = callgrind([s2t_opt, *args, "--threads=1"], stub, out, "s2t-opt")
    missing = [k for k in ("process", *STAGES) if k not in found]
    if missing:
        raise RuntimeError(f"{out}: no calls of {', '.join(missing)} "
                           f"(is s2t-opt built with symbols, and are the stages still "
                           f"{' and '.join(STAGES.values())}?)")
    os.remove(out)  # tens of MB for a model
    found["pass"] = found["specialize"] + found["cleanup"]
    found["seconds"] = seconds
    return found


def count_floor(floor_cmd, stub, out_dir):
    """The instructions of the floor process `floor_cmd` under callgrind, one thread."""
    out = os.path.join(out_dir, "callgrind.floor.out")
    found, _ = callgrind(floor_cmd, stub, out, "the floor")
    if "process" not in found:
        raise RuntimeError(f"{out}: no total")
    os.remove(out)
    return found["process"]


def measure(s2t_opt, args, stub, out_dir, runs=1, floor_cmd=None):
    """The counts of `runs` valgrind runs: the first run's, with every run's listed
    under "runs" when there are several; with `floor_cmd`, the floor process's total
    as "floor_process"."""
    counts = [count(s2t_opt, args, stub, out_dir, i) for i in range(runs)]
    result = dict(counts[0])
    if runs > 1:
        result["runs"] = counts
    if floor_cmd:
        result["floor_process"] = count_floor(floor_cmd, stub, out_dir)
    return result


def per_iteration(loops):
    """From {n: instructions result} of the loops: (n_a, n_b, pass per iteration,
    process per iteration) over the two largest counts, or None."""
    ns = sorted(loops)
    if len(ns) < 2:
        return None
    a, b = ns[-2], ns[-1]
    return (a, b, (loops[b]["pass"] - loops[a]["pass"]) / (b - a),
            (loops[b]["process"] - loops[a]["process"]) / (b - a))
