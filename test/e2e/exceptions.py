# RUN: %python %s
"""Exceptions: a raise in a branch the sample does not take disappears; a
sample whose own path raises is a conversion error (exit 1) reported on one
line that names the raise in the model's source."""
import inspect
import os
import subprocess
import tempfile
import warnings

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import S2T_OPT, check_conversion, main, save_sample

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class Checked(nn.Module):
    def forward(self, x, k: int):
        if x.dim() != 2:
            raise ValueError("expected a matrix")
        assert k >= 0, "k must not be negative"
        for i in range(k):
            if bool(x.isnan().any()):
                raise RuntimeError("nan in step")
            x = x @ x.t()
        return x


class Inner(nn.Module):
    def forward(self, x):
        return nn.functional.layer_norm(x, [4])  # inner call


class Outer(nn.Module):
    """A failure inside a library function, reached through a submodule."""

    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        y = self.inner(x)  # outer call
        return y + 1


def line_of(text, cls=None):
    """Line number in this file of the first line of `cls` (Checked by
    default) containing `text`."""
    lines, start = inspect.getsourcelines(cls or Checked)
    for offset, line in enumerate(lines):
        if text in line:
            return start + offset
    raise AssertionError(text)


def test_raise_in_untaken_branches():
    x = torch.tensor([[1.0, 0.5], [-0.5, 1.0]])
    flat = check_conversion(Checked(), (x, 2),
                            others=[(torch.tensor([[0.1, 0.2], [0.3, 0.4]]), 2)],
                            trace=False)
    FileCheck().check_not("prim::RaiseException").check_not("aten::isnan") \
        .check_count("aten::matmul", 2, exactly=True).run(flat.graph)


def run_failing(sample, module=None):
    workdir = tempfile.mkdtemp(prefix="s2t-e2e-")
    model, inputs, out = (os.path.join(workdir, name)
                          for name in ("model.pt", "inputs.pt", "flat.pt"))
    torch.jit.script(module or Checked()).save(model)
    save_sample(inputs, sample)
    proc = subprocess.run([S2T_OPT, model, "--specialize-input=@" + inputs, "-o", out],
                          capture_output=True, text=True)
    assert not os.path.exists(out), "a failed conversion left its output"
    return proc


def check_raises(sample, marker, exception, message):
    proc = run_failing(sample)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == "", proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    where = f"{__file__}:{line_of(marker)}:"
    assert lines[0].startswith(f"s2t-opt: error: {where}"), (lines[0], where)
    assert "the sample's path raises" in lines[0], lines[0]
    assert exception in lines[0] and lines[0].endswith(message), lines[0]


def test_sample_path_raises_value_error():
    check_raises((torch.ones(3), 1), 'raise ValueError', "ValueError", "expected a matrix")


def test_sample_path_fails_assert():
    check_raises((torch.ones(2, 2), -1), "assert k >= 0", "AssertionError",
                 "k must not be negative")


def test_sample_path_raises_in_a_later_iteration():
    # The first product of a matrix holding inf makes nan; the second step raises.
    x = torch.tensor([[float("inf"), 0.0], [0.0, 1.0]])
    check_raises((x, 3), 'raise RuntimeError', "RuntimeError", "nan in step")


def test_failure_in_a_callee_names_its_call_sites():
    # The failing operation is in torch.nn.functional; the line also names
    # the calls that reached it, innermost first, as a traceback would.
    proc = run_failing((torch.ones(2, 3),), Outer())
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    functional = nn.functional.__file__
    inner = f"{__file__}:{line_of('# inner call', Inner)}:"
    outer = f"{__file__}:{line_of('# outer call', Outer)}:"
    assert lines[0].startswith(f"s2t-opt: error: {functional}:"), lines[0]
    assert f" (called from {inner}" in lines[0], (lines[0], inner)
    assert f", from {outer}" in lines[0], (lines[0], outer)
    assert lines[0].index(inner) < lines[0].index(outer), lines[0]
    assert ("): running aten::layer_norm on the sample failed: Given "
            "normalized_shape=[4], expected input with shape [*, 4]") in lines[0], lines[0]


if __name__ == "__main__":
    main([test_raise_in_untaken_branches, test_sample_path_raises_value_error,
          test_sample_path_fails_assert, test_sample_path_raises_in_a_later_iteration,
          test_failure_in_a_callee_names_its_call_sites])
