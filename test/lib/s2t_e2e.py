"""Helpers for s2t's end-to-end tests (test/e2e/*.py, run by lit).

check_conversion() scripts a module, saves it, converts it with s2t-opt on a
sample, loads the result and checks what docs/semantics.md promises:
  - flat: no prim::If, prim::Loop, prim::CallMethod, prim::CallFunction;
  - sample-exact: bit-identical to the scripted module on the sample;
  - path-equivalent: on other inputs of the same shapes, equal to the scripted
    module and to torch.jit.trace of the eager module.
"""
import os
import subprocess
import sys
import tempfile

import torch

import unfused  # noqa: F401  (the oracles run unfused kernels: test/lib/unfused.py)

S2T_OPT = os.environ.get("S2T_OPT", "s2t-opt")
CONTROL_FLOW = ("prim::If", "prim::Loop", "prim::CallMethod", "prim::CallFunction")


def leaves(value):
    """The tensors and scalars of a nested output, in order, with their paths."""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            for path, leaf in leaves(item):
                yield (i,) + path, leaf
    elif isinstance(value, dict):
        for key in value:
            for path, leaf in leaves(value[key]):
                yield (key,) + path, leaf
    else:
        yield (), value


def assert_same(actual, expected, what):
    a, e = list(leaves(actual)), list(leaves(expected))
    assert len(a) == len(e), f"{what}: {len(a)} leaves, expected {len(e)}"
    for (path_a, leaf_a), (path_e, leaf_e) in zip(a, e):
        assert path_a == path_e, f"{what}: structure differs at {path_a} vs {path_e}"
        if isinstance(leaf_e, torch.Tensor):
            assert isinstance(leaf_a, torch.Tensor), f"{what}{list(path_a)}: not a tensor"
            assert leaf_a.dtype == leaf_e.dtype and leaf_a.shape == leaf_e.shape, (
                f"{what}{list(path_a)}: {leaf_a.dtype}{list(leaf_a.shape)} vs "
                f"{leaf_e.dtype}{list(leaf_e.shape)}")
            assert torch.equal(leaf_a, leaf_e), f"{what}{list(path_a)}: values differ"
        else:
            assert leaf_a == leaf_e, f"{what}{list(path_a)}: {leaf_a!r} != {leaf_e!r}"


def save_sample(path, sample):
    torch.save(tuple(sample), path)


def convert(scripted, sample, extra_args=(), workdir=None):
    """Saves `scripted`, converts it on `sample` and returns the loaded result."""
    workdir = workdir or tempfile.mkdtemp(prefix="s2t-e2e-")
    model = os.path.join(workdir, "model.pt")
    inputs = os.path.join(workdir, "inputs.pt")
    flat = os.path.join(workdir, "flat.pt")
    scripted.save(model)
    save_sample(inputs, sample)
    cmd = [S2T_OPT, model, "--specialize-input=@" + inputs, "-o", flat, *extra_args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
    return torch.jit.load(flat)


def assert_flat(module, method="forward"):
    graph = getattr(module, method).graph
    for node in graph.nodes():
        assert node.kind() not in CONTROL_FLOW, f"not flat: {node}"


def node_count(graph):
    return sum(1 for _ in graph.nodes())


def check_conversion(eager, sample, others=(), trace=True, extra_args=()):
    """Runs the three checks; returns the converted module."""
    eager.eval()
    scripted = torch.jit.script(eager)
    flat = convert(scripted, sample, extra_args)
    assert_flat(flat)
    assert_same(flat(*sample), scripted(*sample), "on the sample")
    traced = torch.jit.trace(eager, tuple(sample), check_trace=False) if trace else None
    for i, other in enumerate(others):
        expected = scripted(*other)
        assert_same(flat(*other), expected, f"on other input {i}")
        if traced is not None:
            assert_same(flat(*other), traced(*other), f"against the trace on input {i}")
    return flat


def source_line(path, text):
    """The 1-based line of the file `path` that holds `text` (a marker comment
    such as `# decision: data`), for the locations decisions report."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if text in line and "source_line" not in line and "line_of" not in line:
                return number
    raise AssertionError(f"{text!r} not in {path}")


def main(tests):
    """Runs each test function, printing one line per test; exits non-zero on failure."""
    failed = 0
    for test in tests:
        try:
            test()
            print(f"PASS: {test.__name__}")
        except Exception as e:  # report every failure, not just the first
            failed += 1
            print(f"FAIL: {test.__name__}: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)
