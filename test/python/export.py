# REQUIRES: torch-2
# RUN: %python %s
"""s2t.export: a scripted module with control flow into an ExportedProgram with
no torch.cond and no loop, equal to the scripted module on the sample bit for
bit; and, on the same modules, what TS2EPConverter alone does (it keeps a data
`if` as torch.cond and refuses loops that are not counted by a constant), so
the test documents the difference (docs/torch-export.md).
"""
import os
import sys
from typing import List, Optional, Tuple

import torch
from torch._export.converter import TS2EPConverter

import s2t
from s2t_e2e import assert_same, main

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))

import gate  # noqa: E402  (examples/gate.py, the README's control-flow example)


class DataIf(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x - 1


class SizeLoop(torch.nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            acc = acc + x[i] * i
        return acc


class WhileData(torch.nn.Module):
    def forward(self, x):
        while bool(x.abs().sum() < 100):
            x = x * 3
        return x


class ListAppend(torch.nn.Module):
    def forward(self, x):
        rows: List[torch.Tensor] = []
        for i in range(x.size(0)):
            rows.append(x[i] + i)
        return torch.stack(rows)


class OptionalBias(torch.nn.Module):
    def forward(self, x, bias: Optional[torch.Tensor] = None):
        if bias is not None:
            x = x + bias
        return x * 2


class Everything(torch.nn.Module):
    """All of the above in one method, with a tuple output."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)

    def forward(self, x, bias: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        if x.sum() > 0:
            x = self.lin(x)
        else:
            x = -x
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            acc = acc + x[i]
        while bool(acc.abs().sum() < 100):
            acc = acc * 3
        rows: List[torch.Tensor] = []
        for i in range(x.size(0)):
            rows.append(x[i] * i)
        stacked = torch.stack(rows)
        if bias is not None:
            stacked = stacked + bias
        return acc, stacked


class Keywords(torch.nn.Module):
    def forward(self, x, n: int = 1, bias: Optional[torch.Tensor] = None):
        for _ in range(n):
            x = x * 2
        if bias is not None:
            x = x + bias
        return x


class SizeFromData(torch.nn.Module):
    """A size read from the data: s2t keeps the read (aten::Int) and the int
    arithmetic on it; TS2EPConverter's retrace makes the read a SymInt that
    aten::add.int refuses."""

    def forward(self, x):
        return torch.zeros(int(x.abs().sum()) + 1)


def sample():
    return torch.arange(6.0).reshape(3, 2) - 1.0


def control_flow_left(program):
    """The higher-order operators (cond, while_loop, ...) and subgraphs of the
    program's graph, as names."""
    found = []
    for name, module in program.graph_module.named_modules():
        if name:
            found.append(f"subgraph {name}")
        if not isinstance(module, torch.fx.GraphModule):
            continue
        for node in module.graph.nodes:
            if node.op == "call_function" and isinstance(node.target, torch._ops.HigherOrderOperator):
                found.append(node.target.name())
    return found


def check_export(module, args, kwargs=None):
    """s2t.export's program: flat, and bit-identical to the scripted module."""
    scripted = torch.jit.script(module.eval())
    with torch.no_grad():
        expected = scripted(*args, **(kwargs or {}))
        program = s2t.export(scripted, args, example_kwarg_inputs=kwargs)
        assert isinstance(program, torch.export.ExportedProgram), type(program)
        assert control_flow_left(program) == [], (control_flow_left(program), program.graph)
        positional = tuple(args) + tuple(
            a.default_value if kwargs is None or a.name not in kwargs else kwargs[a.name]
            for a in scripted.forward.schema.arguments[1 + len(args):])
        actual = program.module()(*positional)
    assert_same(actual, expected, type(module).__name__)
    return scripted, program


def ts2ep_alone(scripted, args):
    """TS2EPConverter on the scripted module: the program, or the error's
    innermost message."""
    try:
        with torch.no_grad():
            return TS2EPConverter(scripted, args).convert()
    except Exception as e:
        while e.__cause__ is not None:
            e = e.__cause__
        return str(e).splitlines()[0]


DYNAMIC_COUNT = "prim::Loop currently cannot run with dynamic value of number of iterations."
DYNAMIC_CONDITION = "prim::Loop currently cannot run with dynamic value of condition."


def test_data_if():
    x = sample()
    scripted, program = check_export(DataIf(), (x,))
    alone = ts2ep_alone(scripted, (x,))
    assert isinstance(alone, torch.export.ExportedProgram), alone
    assert sorted(control_flow_left(alone)) == [
        "cond", "subgraph false_graph_0", "subgraph true_graph_0"], control_flow_left(alone)
    # Both are right on the sample; s2t's program has the branch baked in, as
    # a trace has: on a negative input it still doubles, where TS2EP's cond
    # takes the other branch.
    assert_same(alone.module()(x), scripted(x), "TS2EP alone")
    assert_same(alone.module()(-x), scripted(-x), "TS2EP alone, other branch")
    assert torch.equal(program.module()(-x), -x * 2)
    assert torch.equal(scripted(-x), -x - 1)


def test_size_loop():
    x = sample()
    scripted, program = check_export(SizeLoop(), (x,))
    assert ts2ep_alone(scripted, (x,)) == DYNAMIC_COUNT


def test_while_on_data():
    x = sample()
    scripted, program = check_export(WhileData(), (x,))
    assert ts2ep_alone(scripted, (x,)) == DYNAMIC_CONDITION


def test_list_appended_in_a_loop():
    x = sample()
    scripted, program = check_export(ListAppend(), (x,))
    assert ts2ep_alone(scripted, (x,)) == DYNAMIC_COUNT


def test_optional_given_a_tensor():
    x, b = sample(), torch.tensor([0.5, -0.25])
    scripted, program = check_export(OptionalBias(), (x, b))
    # The flat graph types the argument Tensor (no prim::unchecked_cast) ...
    flat = s2t.script_to_trace(scripted, (x, b))
    assert str(list(flat.graph.inputs())[2].type()) == "Tensor", flat.graph
    assert "prim::unchecked_cast" not in str(flat.graph), flat.graph
    # ... while TS2EP alone turns `is not None` into a cond whose branch holds
    # the cast, which it cannot run.
    alone = ts2ep_alone(scripted, (x, b))
    assert isinstance(alone, str) and "prim::unchecked_cast()" in alone, alone


def test_optional_given_none():
    # TS2EPConverter (torch 2.6) cannot take None as a sample: both ways fail
    # in its input-shape propagation, before any conversion.
    x = sample()
    scripted = torch.jit.script(OptionalBias())
    alone = ts2ep_alone(scripted, (x, None))
    assert isinstance(alone, str) and alone.startswith("Expected Tensor but got"), alone
    message = raised(s2t.export, scripted, (x, None))
    assert message.startswith("torch.export's converter (TS2EPConverter) failed on the "
                              "flat module: RuntimeError: Expected Tensor but got"), message


def test_everything_tuple_output():
    torch.manual_seed(0)
    x, b = sample(), torch.tensor([0.5, -0.25])
    module = Everything()
    scripted, program = check_export(module, (x, b))
    assert ts2ep_alone(scripted, (x, b)) == DYNAMIC_COUNT
    # The other branch of the data `if`, the other path of everything.
    scripted, program = check_export(module, (-x, b))
    assert len(list(program.module()(-x, b))) == 2


def test_gate_example():
    torch.manual_seed(0)
    (x,) = gate.sample()
    scripted, program = check_export(gate.Gate(), (x,))
    # The loop over the batch (range(y.size(0))) stops TS2EP alone.
    assert ts2ep_alone(scripted, (x,)) == DYNAMIC_COUNT
    # s2t decided the rank test, ran the loop once (a batch of one) and took
    # the head's data branch: one conv, one linear, no cond.
    ops = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
    assert ops.count("aten.conv2d.default") == 1 and ops.count("aten.linear.default") == 1, ops


def test_example_kwarg_inputs():
    x, b = torch.arange(3.0), torch.tensor([1.0, 2.0, 3.0])

    def ops(program):
        return [str(n.target) for n in program.graph.nodes if n.op == "call_function"]

    scripted, program = check_export(Keywords(), (x,), {"bias": b, "n": 3})
    assert ops(program).count("aten.mul.Tensor") + ops(program).count("aten.mul.Scalar") == 3
    assert len([n for n in program.graph.nodes if n.op == "placeholder"]) == 3
    # Only keywords, out of order; the default fills the rest (n=1).
    scripted, program = check_export(Keywords(), (), {"bias": b, "x": x})
    assert ops(program).count("aten.mul.Tensor") + ops(program).count("aten.mul.Scalar") == 1
    assert torch.equal(program.module()(x, 1, b), x * 2 + b)


def raised(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except s2t.Error as e:
        assert isinstance(e, RuntimeError)
        assert "\n" not in str(e), str(e)
        return str(e)
    raise AssertionError("no s2t.Error")


def test_ts2ep_failure_is_s2t_error():
    scripted = torch.jit.script(SizeFromData())
    x = sample()
    flat = s2t.script_to_trace(scripted, (x,))
    assert "aten::Int" in str(flat.graph), flat.graph
    message = raised(s2t.export, scripted, (x,))
    assert message.startswith(
        "torch.export's converter (TS2EPConverter) failed on the flat module: "
        "RuntimeError: aten::add() Expected a value of type 'int' for argument 'a' but "
        "instead found type 'SymInt'"), message


def test_ts2ep_error_chain_in_message():
    """TS2EP wraps its reason ("TS2EPConverter failed for node X" from the
    reason): the message has the first line of each."""
    def convert(self):
        try:
            raise ValueError("the reason\nmore detail")
        except ValueError as e:
            raise RuntimeError("TS2EPConverter failed for node aten::thing") from e

    original = TS2EPConverter.convert
    TS2EPConverter.convert = convert
    try:
        message = raised(s2t.export, torch.jit.script(DataIf()), (sample(),))
    finally:
        TS2EPConverter.convert = original
    assert message == (
        "torch.export's converter (TS2EPConverter) failed on the flat module: "
        "RuntimeError: TS2EPConverter failed for node aten::thing, "
        "from ValueError: the reason"), message


def test_s2t_errors_stay_s2t_errors():
    scripted = torch.jit.script(SizeLoop())
    message = raised(s2t.export, scripted, (sample(),), max_unroll=2)
    assert "TS2EPConverter" not in message, message


if __name__ == "__main__":
    main([test_data_if, test_size_loop, test_while_on_data, test_list_appended_in_a_loop,
          test_optional_given_a_tensor, test_optional_given_none,
          test_everything_tuple_output, test_gate_example, test_example_kwarg_inputs,
          test_ts2ep_failure_is_s2t_error, test_ts2ep_error_chain_in_message,
          test_s2t_errors_stay_s2t_errors])
