"""Differential test of s2t-opt on generated TorchScript programs.

    /usr/bin/python3 test/differential/run.py [--seed S] [--count N] [--keep DIR]
                                              [--only I] [--jobs J] [--quiet]

For each program (generate.py, seeded by "S:I" for I in 0..N-1): script it,
save it, draw a random sample, convert it with
`s2t-opt model.pt --specialize-input=@inputs.pt -o flat.pt`, load the result
and check that
  - it is flat: no prim::If / prim::Loop / prim::CallMethod / prim::CallFunction
    in forward;
  - it is bit-identical to the scripted module on the sample: the same output
    structure (tuple / list / dict, keys in order), tensors of the same dtype
    and shape that are torch.equal (or have the same bits, so that NaN
    matches NaN), int / float / bool / str / None leaves equal and of the same
    type; and the tensors the arguments held (some programs write to them in
    place) end up the same; writes to the structure of a list or dict
    argument are not replayed by a trace, nor by s2t, and are not compared.
    Eager Python runs with torch.jit.is_scripting() true. Each run reads the sample from inputs.pt, as s2t-opt does,
    so arguments that share memory share it in every run. A zero of the
    other sign (torch.equal holds, the bits differ) is printed as a NOTE, not
    counted as a failure: torch's executor folds `t + 0` into `t` in the flat
    graph once s2t has made the 0 a constant;
  - when the scripted module raises on the sample, s2t-opt exits 1 with no
    output file, nothing on stdout and one line on stderr,
    `s2t-opt: error: FILE:LINE:...`, naming the line where the interpreter
    raised. (The one exception the docs allow, docs/semantics.md: an op that
    no decision needs is not run, so its error may only show when the flat
    graph runs; then s2t-opt may succeed, and the flat module must raise too.)

When the flat module and the interpreter disagree but the flat module agrees
with eager Python (the same source run as a plain nn.Module) and the
interpreter does not, the interpreter is wrong (TorchScript 1.13 has such
bugs): the program is printed under `==== TORCH:` and counted as passed.

On failure it prints the program, the sample (as Python that rebuilds it, for
reduce.py and regressions.py), the command and its output, and how to rerun
just that program (--only I; the same generate.py gives the same program). It ends with `N passed, M failed`
and exits 1 if any failed.

The long run (docs/design.md, "Differential testing", says how far it got;
about 0.5 s a program with --jobs 2 on an idle 2-core machine, 1 to 3 s on
busy cores):

    for s in $(seq 150 169); do
      /usr/bin/python3 test/differential/run.py --seed $s --count 200 --jobs 2 --quiet
    done

with S2T_OPT pointing at the driver (default: build/bin/s2t-opt of this
checkout).
"""
import argparse
import concurrent.futures
import contextlib
import gc
import importlib.util
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import torch  # noqa: E402
import unfused  # noqa: E402,F401  (the oracles run unfused kernels: test/lib/unfused.py)

from generate import generate  # noqa: E402

DEFAULT_S2T_OPT = os.path.join(HERE, "..", "..", "build", "bin", "s2t-opt")
S2T_OPT = os.environ.get("S2T_OPT", os.path.normpath(DEFAULT_S2T_OPT))
CONTROL_FLOW = ("prim::If", "prim::Loop", "prim::CallMethod", "prim::CallFunction")
TIMEOUT = 300
# With --jobs, everything but s2t-opt runs one thread at a time: generating,
# scripting, running and comparing, and freeing the torch objects of a
# program (a segfault of the runner, once in 1,000 programs, came from
# objects freed outside the lock while another thread ran the interpreter).
# Only the s2t-opt subprocesses run in parallel.
PY_LOCK = threading.Lock()

warnings.filterwarnings("ignore")


class Failure(Exception):
    pass


class Interpreter(Exception):
    """The scripted module's result is wrong (it disagrees with eager Python)."""


# ------------------------------------------------------------------ comparison
def bits(t):
    t = t.detach().contiguous().cpu()
    if not t.is_floating_point():
        return t
    return t.view({torch.float64: torch.int64, torch.float32: torch.int32,
                   torch.float16: torch.int16, torch.bfloat16: torch.int16}[t.dtype])


def tensor_verdict(a, b):
    """'same' (bit for bit; NaN == NaN with the same bits), 'zero-sign' (torch.equal,
    but some zero has the other sign), or None (they differ)."""
    if a.dtype != b.dtype or a.shape != b.shape or a.device != b.device:
        return None
    if torch.equal(bits(a), bits(b)):
        return "same"
    if torch.equal(a, b):
        return "zero-sign"
    return None


def describe(v):
    if isinstance(v, torch.Tensor):
        return f"tensor {v.dtype}{list(v.shape)} {v.tolist()}"
    return repr(v)


def compare(actual, expected, path="out", notes=None):
    """Raises Failure where `actual` and `expected` differ: torch.equal on
    tensors (or the same bits, for NaN), == on scalars, the same types and
    structure. A zero of the other sign (torch.equal holds, the bits differ) is
    not a failure; it is added to `notes`."""
    notes = [] if notes is None else notes
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor):
            raise Failure(f"{path}: {describe(actual)}, expected {describe(expected)}")
        verdict = tensor_verdict(actual, expected)
        if verdict is None:
            raise Failure(f"{path}: values differ:\n  flat:     {describe(actual)}\n"
                          f"  scripted: {describe(expected)}")
        if verdict == "zero-sign":
            notes.append(f"{path}: torch.equal, but zeros of the other sign: "
                         f"flat {describe(actual)}, scripted {describe(expected)}")
        return
    if type(actual) is not type(expected):
        raise Failure(f"{path}: {type(actual).__name__} {describe(actual)}, expected "
                      f"{type(expected).__name__} {describe(expected)}")
    if isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise Failure(f"{path}: length {len(actual)}, expected {len(expected)}: "
                          f"{describe(actual)} vs {describe(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, f"{path}[{i}]", notes)
    elif isinstance(expected, dict):
        if list(actual.keys()) != list(expected.keys()):
            raise Failure(f"{path}: keys {list(actual.keys())}, expected {list(expected.keys())}")
        for k in expected:
            compare(actual[k], expected[k], f"{path}[{k!r}]", notes)
    elif isinstance(expected, float):
        if not (actual == expected or (math.isnan(actual) and math.isnan(expected))):
            raise Failure(f"{path}: {actual!r}, expected {expected!r}")
        if struct.pack("<d", actual) != struct.pack("<d", expected) and actual == expected:
            notes.append(f"{path}: zeros of the other sign: flat {actual!r}, "
                         f"scripted {expected!r}")
    elif actual != expected:
        raise Failure(f"{path}: {actual!r}, expected {expected!r}")


# ------------------------------------------------------------------ one program
def load_source(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def innermost_line(message, path):
    """The line of the innermost frame in `path` of a TorchScript traceback."""
    lines = re.findall(r'File "' + re.escape(path) + r'", line (\d+)', message)
    return int(lines[-1]) if lines else None


def numbered(source):
    return "\n".join(f"{i + 1:4}  {line}" for i, line in enumerate(source.splitlines()))


class Result:
    def __init__(self, index, ok, report, kind, notes=()):
        self.index, self.ok, self.report, self.kind = index, ok, report, kind
        self.notes = list(notes)


class Check:
    """Checks one program on one sample in `workdir`; `run()` raises Failure."""

    def __init__(self, source, sample, workdir, name):
        self.source, self.sample, self.workdir, self.name = source, sample, workdir, name
        self.src_path = os.path.join(workdir, name + ".py")
        self.model, self.inputs, self.flat_path = (os.path.join(workdir, f)
                                                   for f in ("model.pt", "inputs.pt", "flat.pt"))
        self.cmd = [S2T_OPT, self.model, "--specialize-input=@" + self.inputs, "-o",
                    self.flat_path]
        self.proc = None
        self.kind = "ok"
        self.notes = []

    def run(self):
        """Checks the program; called with PY_LOCK held, which it releases
        while s2t-opt runs."""
        with open(self.src_path, "w") as fh:
            fh.write(self.source)
        try:
            try:
                module = load_source(self.src_path, self.name)
                scripted = torch.jit.script(module.Program().eval())
            except Exception as e:  # a bug of the generator, not of s2t
                raise Failure(f"GENERATOR: the program does not script: "
                              f"{type(e).__name__}: {e}")
        finally:
            sys.modules.pop(self.name, None)
        scripted.save(self.model)
        torch.save(tuple(self.sample), self.inputs)
        # Each run gets the sample as s2t-opt reads it, aliasing included.
        expected_args = torch.load(self.inputs)
        expected_held = argument_tensors(expected_args)
        try:
            expected = scripted(*expected_args)
            raised = None
        except Exception as e:
            raised = e

        PY_LOCK.release()
        try:
            self.proc = run_s2t_opt(self.cmd)
        finally:
            PY_LOCK.acquire()

        if raised is not None:
            self.kind = "raises"
            try:
                check_error(self.proc, raised, self.src_path, self.flat_path, self.inputs)
            except Failure as failure:
                self.error_as_eager(module, failure)
                raise
            return
        if self.proc.returncode != 0:
            failure = Failure(f"s2t-opt exited {self.proc.returncode}, the scripted module "
                              f"returns")
            self.error_as_eager(module, failure)
            raise failure
        flat = torch.jit.load(self.flat_path)
        for node in flat.forward.graph.nodes():
            if node.kind() in CONTROL_FLOW:
                raise Failure(f"not flat: {node}".rstrip())
        actual_args = torch.load(self.inputs)
        actual_held = argument_tensors(actual_args)
        try:
            actual = flat(*actual_args)
        except Exception as e:
            raise Failure(f"the flat module raises on the sample: {type(e).__name__}: "
                          f"{str(e).strip().splitlines()[-1]}")
        try:
            compare(actual, expected, "out", self.notes)
            compare(actual_held, expected_held, "argument", self.notes)
        except Failure as failure:
            self.against_eager(module, actual, actual_held, failure)
            raise

    def against_eager(self, module, actual, actual_held, failure):
        """When the flat module and the interpreter disagree, asks eager Python.
        TorchScript 1.13's interpreter has bugs of its own (a tensor written in
        place by a called function, read back through a list built before the
        call, reads the old values); if the flat module agrees with eager
        Python and the interpreter does not, that is the interpreter's bug:
        raise Interpreter instead of the failure."""
        eager_args = torch.load(self.inputs)
        eager_held = argument_tensors(eager_args)
        try:
            with scripting_as_in_torchscript():
                eager = module.Program().eval()(*eager_args)
        except Exception:
            return
        try:
            compare(actual, eager, "out")
            compare(actual_held, eager_held, "argument")
        except Failure:
            # The executor's optimizations (TorchScript 1.13) can be wrong on
            # arguments that share memory, on the flat graph as on any graph:
            # the flat graph run without them must then agree with eager.
            try:
                with torch.jit.optimized_execution(False):
                    flat = torch.jit.load(self.flat_path)
                    plain_args = torch.load(self.inputs)
                    plain_held = argument_tensors(plain_args)
                    plain = flat(*plain_args)
                compare(plain, eager, "out")
                compare(plain_held, eager_held, "argument")
            except Exception:
                return
            raise Interpreter(f"the optimizing executor is wrong on the flat graph: run "
                              f"without its optimizations, the flat graph agrees with "
                              f"eager Python; against the interpreter: {failure}")
        raise Interpreter(f"the interpreter disagrees with eager Python, and s2t agrees "
                          f"with eager Python; against the interpreter: {failure}")


    def error_as_eager(self, module, failure):
        """When s2t-opt fails where the interpreter does not, or at another line,
        asks eager Python. TorchScript's executor removes operations whose
        results nothing uses, errors included (a call whose result is dropped),
        where eager Python (and a trace) runs them; if eager Python raises at
        the line s2t-opt names, that is the interpreter's doing: raise
        Interpreter instead of the failure."""
        if self.proc is None or self.proc.returncode != 1:
            return
        named = re.search(re.escape(self.src_path) + r":(\d+):", self.proc.stderr)
        if not named:
            return
        try:
            with scripting_as_in_torchscript():
                module.Program().eval()(*torch.load(self.inputs))
        except Exception as e:
            lines = [f.lineno for f in traceback.extract_tb(e.__traceback__)
                     if f.filename == self.src_path]
            if lines and lines[-1] == int(named.group(1)):
                raise Interpreter(f"eager Python raises where s2t-opt does "
                                  f"(line {lines[-1]}: {type(e).__name__}); against the "
                                  f"interpreter: {failure}")


def argument_tensors(args):
    """The tensors the sample's arguments hold, taken before a run: after it,
    they show the run's in-place writes. Writes to the structure of a list or
    dict argument (append, item assignment) are not compared: a trace does
    not record them, and neither does s2t's flat graph (docs/semantics.md)."""
    held = []

    def visit(value):
        if isinstance(value, torch.Tensor):
            held.append(value)
        elif isinstance(value, (list, tuple)):
            for element in value:
                visit(element)
        elif isinstance(value, dict):
            for element in value.values():
                visit(element)

    visit(list(args))
    return held


@contextlib.contextmanager
def scripting_as_in_torchscript():
    """Eager Python as the scripted module sees itself: torch.jit.is_scripting()
    is true, so that eager runs take the scripted module's branches."""
    is_scripting = torch.jit.is_scripting
    torch.jit.is_scripting = lambda: True
    try:
        yield
    finally:
        torch.jit.is_scripting = is_scripting


def run_s2t_opt(cmd):
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    for attempt in range(40):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
        except (PermissionError, FileNotFoundError):    # the driver is being rebuilt
            time.sleep(15)
            continue
        except subprocess.TimeoutExpired:
            raise Failure(f"s2t-opt did not finish in {TIMEOUT} s")
        return proc
    raise Failure(f"cannot run {S2T_OPT}")


def check_source(source, sample, label="program"):
    """Checks one program's source on `sample`; returns None if it passes (or
    only the interpreter is wrong), else the failure report. For regression
    tests and for reducing a failure."""
    workdir = tempfile.mkdtemp(prefix="s2t-diff-")
    name = "s2t_diff_" + re.sub(r"\W", "_", label)
    check = Check(source, sample, workdir, name)
    try:
        with PY_LOCK:
            check.run()
        return None
    except Interpreter:
        return None     # the interpreter is wrong, and s2t is right
    except Failure as e:
        return report(label, source, sample, check, str(e))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_one(seed, index, keep):
    with PY_LOCK:
        try:
            return run_one_locked(seed, index, keep)
        finally:
            # Cycles of torch objects are freed here, under the lock: the
            # collector is off (main), as it would run in any thread.
            gc.collect()


def run_one_locked(seed, index, keep):
    program_seed = f"{seed}:{index}"
    program = generate(program_seed)
    sample = program.make_sample(random.Random(f"sample:{program_seed}"))
    workdir = tempfile.mkdtemp(prefix=f"s2t-diff-{seed}-{index}-")
    name = f"s2t_diff_{seed}_{index}".replace("-", "m")
    check = Check(program.source, sample, workdir, name)
    label = f"{seed}:{index} (rerun: {os.path.relpath(__file__)} --seed {seed} --only {index})"
    try:
        check.run()
        return Result(index, True, "", check.kind, check.notes)
    except Interpreter as e:
        return Result(index, True, report(label, program.source, sample, check, str(e),
                                          "TORCH"), "interpreter", check.notes)
    except Failure as e:
        return Result(index, False, report(label, program.source, sample, check, str(e)),
                      "generator" if str(e).startswith("GENERATOR") else check.kind)
    except Exception:
        return Result(index, False, report(label, program.source, sample, check,
                                           "HARNESS: " + traceback.format_exc()), check.kind)
    finally:
        if keep:
            dest = os.path.join(keep, f"{seed}-{index}")
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(workdir, dest)
        shutil.rmtree(workdir, ignore_errors=True)


def check_error(proc, raised, src_path, flat_path, inputs):
    message = str(raised)
    last = message.strip().splitlines()[-1] if message.strip() else type(raised).__name__
    line = innermost_line(message, src_path)
    if proc.returncode == 0:
        # Allowed only for an op that no decision needed; the flat graph must raise it.
        flat = torch.jit.load(flat_path)
        try:
            flat(*torch.load(inputs))
        except Exception:
            return
        kept = line is not None and f"{src_path}:{line}:" in str(flat.forward.graph)
        raise Failure(f"the scripted module raises ({last}) but s2t-opt succeeded and the "
                      f"flat module returns; the flat graph "
                      f"{'has' if kept else 'has no'} node from line {line}, where the "
                      f"interpreter raised")
    if proc.returncode != 1:
        raise Failure(f"s2t-opt exited {proc.returncode}; the scripted module raises ({last}), "
                      f"expected exit 1")
    if os.path.exists(flat_path):
        raise Failure("s2t-opt failed but left its output file")
    if proc.stdout:
        raise Failure("s2t-opt failed and wrote to stdout")
    errors = proc.stderr.splitlines()
    if len(errors) != 1:
        raise Failure(f"expected one error line, got {len(errors)}")
    if not errors[0].startswith("s2t-opt: error: "):
        raise Failure("the error line does not start with 's2t-opt: error: '")
    if line is not None and f"{src_path}:{line}:" not in errors[0]:
        raise Failure(f"the error does not name {os.path.basename(src_path)}:{line}, where the "
                      f"interpreter raised ({last})")


def sample_source(sample):
    """Python source that rebuilds `sample` exactly: values, dtypes, strides,
    requires_grad, and arguments that share memory (named with :=)."""
    storages = {}       # data_ptr of a storage -> name of its first tensor

    def tensor_source(t):
        ptr = t.storage().data_ptr() if t.numel() else None
        if ptr in storages:
            base = storages[ptr]
            return (f"{base}.detach().as_strided({list(t.shape)}, {list(t.stride())}, "
                    f"{t.storage_offset()})")
        if t.dim() == 2 and not t.is_contiguous() and t.t().is_contiguous():
            text = f"torch.tensor({t.detach().t().tolist()!r}, dtype={t.dtype}).t()"
        else:
            text = f"torch.tensor({t.detach().tolist()!r}, dtype={t.dtype})"
        if t.requires_grad:
            text += ".requires_grad_()"
        if ptr is not None:
            name = f"s{len(storages)}"
            storages[ptr] = name
            text = f"({name} := {text})"
        return text

    def source(v):
        if isinstance(v, torch.Tensor):
            return tensor_source(v)
        if isinstance(v, list):
            return "[" + ", ".join(source(e) for e in v) + "]"
        if isinstance(v, tuple):
            return "(" + "".join(source(e) + ", " for e in v) + ")"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {source(e)}" for k, e in v.items()) + "}"
        if isinstance(v, float) and not math.isfinite(v):
            return f"float({str(v)!r})"
        return repr(v)

    return "(" + "".join(source(v) + ",\n " for v in sample).rstrip() + ")"


def report(label, source, sample, check, what, kind="FAIL"):
    proc = check.proc
    out = [f"==== {kind}: program {label}", what,
           "---- program " + check.src_path,
           numbered(source),
           "---- sample (Python)",
           sample_source(sample),
           "---- command",
           " ".join(check.cmd)]
    if proc is not None:
        out += [f"---- s2t-opt exit {proc.returncode}, stderr:", proc.stderr.rstrip()]
        if proc.stdout:
            out += ["---- stdout:", proc.stdout.rstrip()[:2000]]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="1")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--start", type=int, default=0, help="first program index")
    parser.add_argument("--only", type=int, action="append", help="run just this index")
    parser.add_argument("--keep", help="copy each program's folder here")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="no line per passing program")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gc.disable()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    indices = args.only or list(range(args.start, args.start + args.count))
    passed = failed = raising = 0
    start = time.time()

    noted = torch_wrong = 0

    def done(result):
        nonlocal passed, failed, raising, noted, torch_wrong
        for note in result.notes:
            print(f"NOTE: {args.seed}:{result.index}: {note}", flush=True)
        noted += bool(result.notes)
        if result.ok:
            passed += 1
            raising += result.kind == "raises"
            if result.kind == "interpreter":
                torch_wrong += 1
                print(result.report, flush=True)
            elif not args.quiet:
                print(f"PASS: {args.seed}:{result.index}"
                      + (" (raises on the sample)" if result.kind == "raises" else ""),
                      flush=True)
        else:
            failed += 1
            print(result.report, flush=True)

    if args.jobs > 1:
        # Threads: s2t-opt runs in subprocesses; scripting holds a lock.
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for result in pool.map(lambda i: run_one(args.seed, i, args.keep), indices):
                done(result)
    else:
        for i in indices:
            done(run_one(args.seed, i, args.keep))
    print(f"{passed} passed, {failed} failed  (seed {args.seed}, {len(indices)} programs, "
          f"{raising} raising on their sample, {noted} with notes, {torch_wrong} where "
          f"the interpreter is wrong and s2t agrees with eager Python, "
          f"{time.time() - start:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
