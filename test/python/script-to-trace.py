# RUN: %python %s
"""The Python API: s2t.script_to_trace and s2t.report on scripted modules.

Each conversion is checked for flatness (exact op counts) and bit equality with
the scripted module on the sample; errors must be s2t.Error with the very line
s2t-opt prints.
"""
import os
import subprocess
import tempfile
from typing import Optional

import torch
from torch.testing import FileCheck

import s2t
from s2t_e2e import CONTROL_FLOW, main

S2T_OPT = os.environ.get("S2T_OPT", "s2t-opt")
THIS = os.path.abspath(__file__)


def t(value):
    return torch.tensor(value)


def line_of(text):
    """The 1-based line of this file holding `text`, for decision locations."""
    with open(THIS) as f:
        for number, line in enumerate(f, 1):
            if text in line and "line_of" not in line:
                return number
    raise AssertionError(f"{text!r} not in {THIS}")


class Threshold(torch.nn.Module):
    def forward(self, x):
        if x > 2.0:  # decision: threshold
            return x + 1
        return x - 1


class Stack(torch.nn.Module):
    """A loop over a scalar argument, then a branch on the data."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x, n: int):
        for _ in range(n):  # decision: stack loop
            x = self.lin(x)
        if bool(x.sum() > 0):  # decision: stack if
            return x * 2
        return -x


class Keywords(torch.nn.Module):
    def forward(self, x, scale: float = 1.0, bias: Optional[torch.Tensor] = None):
        if bias is None:  # decision: keywords bias
            return x * scale
        return x * scale + bias


class Counted(torch.nn.Module):
    def forward(self, x):
        for _ in range(3):
            x = x + 1
        return x


class Coin(torch.nn.Module):
    def forward(self, x):
        if bool(torch.rand(1) > 0.5):
            return x + 1
        return x - 1


def assert_flat(module):
    for node in module.graph.nodes():
        assert node.kind() not in CONTROL_FLOW, f"not flat: {node}"


def test_three_lines():
    scripted = torch.jit.script(Threshold())
    flat = s2t.script_to_trace(scripted, t(3.0))
    out = flat(t(3.0))
    assert isinstance(flat, torch.jit.ScriptModule), type(flat)
    assert_flat(flat)
    FileCheck().check_not("aten::sub").check_count("aten::add", 1, exactly=True) \
        .check_not("aten::sub").run(flat.graph)
    assert torch.equal(out, scripted(t(3.0)))
    # The decision is baked in, as in a trace; the scripted module still branches.
    assert torch.equal(flat(t(0.0)), t(1.0))
    assert torch.equal(scripted(t(0.0)), t(-1.0))
    FileCheck().check("prim::If").run(scripted.graph)


def test_tuple_of_arguments():
    torch.manual_seed(0)
    scripted = torch.jit.script(Stack().eval())
    x = torch.randn(2, 4)
    flat = s2t.script_to_trace(scripted, (x, 3))
    assert_flat(flat)
    FileCheck().check_count("aten::linear", 3, exactly=True).run(flat.graph)
    expected = scripted(x, 3)
    assert torch.equal(flat(x, 3), expected)
    # A list is the positional arguments too, as for torch.jit.trace.
    as_list = s2t.script_to_trace(scripted, [x, 3])
    FileCheck().check_count("aten::linear", 3, exactly=True).run(as_list.graph)
    assert torch.equal(as_list(x, 3), expected)
    # Parameters are shared with the scripted module, not copied.
    assert flat.lin.weight.data_ptr() == scripted.lin.weight.data_ptr()


def test_kwarg_inputs():
    scripted = torch.jit.script(Keywords())
    x, b = torch.arange(3.0), t([1.0, 2.0, 3.0])
    flat = s2t.script_to_trace(scripted, (x,),
                               example_kwarg_inputs={"bias": b, "scale": 2.5})
    assert_flat(flat)
    FileCheck().check("aten::mul").check("aten::add").run(flat.graph)
    assert torch.equal(flat(x, 2.5, b), scripted(x, bias=b, scale=2.5))
    # Only keywords; defaults fill the rest (bias=None: no aten::add).
    flat = s2t.script_to_trace(scripted, example_kwarg_inputs={"x": x})
    FileCheck().check("aten::mul").check_not("aten::add").run(flat.graph)
    assert torch.equal(flat(x), scripted(x))


def test_single_tensor_and_method():
    class Two(torch.nn.Module):
        def forward(self, x):
            return x

        @torch.jit.export
        def twice(self, x):
            if x.dim() == 1:
                return x * 2
            return x

    scripted = torch.jit.script(Two())
    x = torch.ones(4)
    flat = s2t.script_to_trace(scripted, x, method="twice")
    assert_flat(flat.twice)
    FileCheck().check_count("aten::mul", 1, exactly=True).run(flat.twice.graph)
    assert torch.equal(flat.twice(x), scripted.twice(x))


def test_freeze():
    scripted = torch.jit.script(Stack().eval())
    x = torch.randn(2, 4)
    flat = s2t.script_to_trace(scripted, (x, 1), freeze=True)
    FileCheck().check_not("prim::GetAttr").check("aten::linear").run(flat.graph)
    assert torch.equal(flat(x, 1), scripted(x, 1))


def test_seed():
    # The branch on torch.rand is decided with the generator seeded as asked.
    scripted = torch.jit.script(Coin())
    outcomes = set()
    for seed in range(6):
        torch.manual_seed(seed)
        heads = bool(torch.rand(1) > 0.5)
        decision = s2t.report(scripted, t(0.0), seed=seed)[0]
        assert decision.outcome == (0 if heads else 1), (seed, decision)
        outcomes.add(decision.outcome)
    assert outcomes == {0, 1}, "seeds 0-5 should take both branches"


def test_report():
    scripted = torch.jit.script(Stack().eval())
    x = torch.ones(2, 4)
    expected_if = 0 if bool(scripted.lin(scripted.lin(x)).sum() > 0) else 1
    report = s2t.report(scripted, (x, 2))
    assert report.decisions == [
        s2t.Decision("loop", "shape", f"{THIS}:{line_of('# decision: stack loop')}:8", 2,
                     "2 iterations", ("n",)),
        s2t.Decision("if", "data", f"{THIS}:{line_of('# decision: stack if')}:8",
                     expected_if, "then" if expected_if == 0 else "else", ("x",)),
    ], report.decisions
    assert (report.iterations_unrolled, report.calls_inlined) == (2, 2), report
    assert report.kernels_run > 0
    report = s2t.report(torch.jit.script(Threshold()), t(1.0))
    assert list(report) == [
        s2t.Decision("if", "data", f"{THIS}:{line_of('# decision: threshold')}:8", 1,
                     "else", ("x",))], list(report)
    report = s2t.report(torch.jit.script(Keywords()), t(1.0))
    assert [d[:5] for d in map(lambda d: (d.kind, d.category, d.location, d.outcome,
                                           d.outcome_text), report)] == [
        ("if", "shape", f"{THIS}:{line_of('# decision: keywords bias')}:8", 0, "then")], \
        list(report)
    assert report.kernels_run == 0


def cli_error(scripted, *args):
    """The message s2t-opt prints after 'error: ' for the same model."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        scripted.save(path)
        proc = subprocess.run([S2T_OPT, path, *args], capture_output=True, text=True)
    assert proc.returncode != 0, proc
    prefix = "s2t-opt: error: "
    assert proc.stderr.startswith(prefix) and proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr[len(prefix):-1]


def raised(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except s2t.Error as e:
        assert isinstance(e, RuntimeError)
        return str(e)
    raise AssertionError("no s2t.Error")


def test_errors_are_the_cli_messages():
    counted = torch.jit.script(Counted())
    message = raised(s2t.script_to_trace, counted, t(1.0), max_unroll=2)
    # The same line, but the option as Python names it.
    assert message == cli_error(counted, "--specialize-input=1.0", "--max-unroll=2").replace(
        "--max-unroll=2", "max_unroll=2"), message

    threshold = torch.jit.script(Threshold())
    message = raised(s2t.script_to_trace, threshold, t(1.0),
                     example_kwarg_inputs={"y": 1})
    assert message == cli_error(threshold, "--specialize-input=1.0",
                                "--specialize-input=y=1"), message
    assert message == ("sample 'y=1' names unknown argument 'y'; "
                       "method 'forward' takes 1 argument (x)"), message

    message = raised(s2t.report, threshold, ("text",))
    assert message == cli_error(threshold, "--specialize-input='text'"), message

    message = raised(s2t.script_to_trace, threshold, (t(1.0), t(2.0)))
    assert message.startswith("too many samples: method 'forward' takes 1 argument (x), got 2"), message


def test_errors_of_the_python_api():
    threshold = torch.jit.script(Threshold())
    assert raised(s2t.script_to_trace, threshold, t(1.0), guards="sometimes") == \
        "guards='sometimes' is not one of none, assert, fallback"
    assert raised(s2t.script_to_trace, Threshold(), t(1.0)) == (
        "expected a torch.jit.ScriptModule, got Threshold "
        "(script it first: torch.jit.script(module))")
    assert raised(s2t.report, threshold, t(1.0), method="backward") == \
        "the module has no method 'backward' (it has: forward)"
    assert raised(s2t.report, threshold, object()).startswith(
        "a sample of Python type 'object' is not supported")


def test_result_saves_and_loads():
    scripted = torch.jit.script(Threshold())
    flat = s2t.script_to_trace(scripted, t(3.0))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "flat.pt")
        flat.save(path)
        loaded = torch.jit.load(path)
    assert_flat(loaded)
    assert torch.equal(loaded(t(3.0)), scripted(t(3.0)))


if __name__ == "__main__":
    main([test_three_lines, test_tuple_of_arguments, test_kwarg_inputs,
          test_single_tensor_and_method, test_freeze, test_seed, test_report,
          test_errors_are_the_cli_messages, test_errors_of_the_python_api,
          test_result_saves_and_loads])


def test_guards_and_the_report():
    """guards="assert" refuses an input that takes another path, naming the
    decision's line; guards="fallback" answers it with the scripted module;
    the report says what each decision read."""
    threshold = torch.jit.script(Threshold())
    sample = t(3.0)
    decisions = s2t.report(threshold, sample).decisions
    assert [(d.kind, d.category, d.outcome_text, d.depends_on) for d in decisions] == \
        [("if", "data", "then", ("x",))], decisions
    asserting = s2t.script_to_trace(threshold, sample, guards="assert")
    falling_back = s2t.script_to_trace(threshold, sample, guards="fallback")
    for x in (t(5.0), t(-1.0)):
        assert torch.equal(falling_back(x), threshold(x))
    assert torch.equal(asserting(t(5.0)), threshold(t(5.0)))
    try:
        asserting(t(-1.0))
        raise AssertionError("the assert guard let another path through")
    except torch.jit.Error as e:
        assert "s2t guard failed at " in str(e) and "then branch" in str(e), str(e)
    assert s2t.report(threshold, sample, guards="assert").decisions[0].checked
