# RUN: %python %s
"""`with` on TorchScript class objects: __enter__ and __exit__ are walked as
method calls, with their effects on attributes and on tensors, and `as` binds
what __enter__ returns. TorchScript's exit transform leaves prim::Exit after
the body on every path out of it, so __exit__ also runs after a `return`,
`break` or `continue` inside the body. (TorchScript 1.13 fails to compile an
early exit that is followed by more statements of the body, so the cases below
exit from one branch of an if/else that ends the body.) `with torch.no_grad():`
is still walked through, its grad-mode switch left out, as a trace leaves it."""
import warnings
from typing import Any

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


@torch.jit.script
class Offset(object):
    """Adds 0.3 to an attribute while entered."""

    def __init__(self):
        self.v = 0.0

    def __enter__(self):
        self.v = self.v + 0.3

    def __exit__(self, kind: Any, value: Any, traceback: Any):
        self.v = self.v - 0.3


@torch.jit.script
class Counted(object):
    """Counts entries and exits in place in two tensors; `as` gets the depth."""

    def __init__(self, entered: torch.Tensor, exited: torch.Tensor):
        self.entered = entered
        self.exited = exited
        self.depth = 0.0

    def __enter__(self):
        self.entered.add_(1.0)
        self.depth = self.depth + 1.0
        return self.depth

    def __exit__(self, kind: Any, value: Any, traceback: Any):
        self.exited.add_(1.0)
        self.depth = self.depth - 1.0


@torch.jit.script
class Scaled(object):
    """`as` gets a tensor computed by __enter__."""

    def __init__(self, base: torch.Tensor):
        self.base = base

    def __enter__(self):
        return self.base * 2.0

    def __exit__(self, kind: Any, value: Any, traceback: Any):
        pass


@torch.jit.script
class Step(object):
    """Multiplies a shared tensor by k on entry and adds k on exit: the result
    shows the order of the calls."""

    def __init__(self, t: torch.Tensor, k: float):
        self.t = t
        self.k = k

    def __enter__(self):
        self.t.mul_(self.k)

    def __exit__(self, kind: Any, value: Any, traceback: Any):
        self.t.add_(self.k)


def counters():
    return Counted(torch.zeros(1), torch.zeros(1))


class AttributeInBody(nn.Module):
    def forward(self, x):
        c = Offset()
        with c:
            y = x + 1 + c.v
        return y + c.v * 10


def test_enter_and_exit_change_an_attribute():
    # x + 1.3 inside, and the attribute back to 0 after the block.
    flat = check_conversion(AttributeInBody(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([-4.0, 0.5]),)])
    assert torch.equal(flat(torch.zeros(1)), torch.zeros(1) + 1 + 0.3 + 0.0)
    FileCheck().check_not("prim::Enter").check_not("prim::Exit").run(flat.graph)


class AsTensor(nn.Module):
    def forward(self, x):
        with Scaled(x.sum(0)) as m:
            y = x + m
        return y


def test_as_binds_what_enter_returns():
    flat = check_conversion(AsTensor(), (torch.tensor([[1.0, 2.0], [3.0, 4.0]]),),
                            others=[(torch.tensor([[0.5, -1.0], [2.0, 7.0]]),)])
    FileCheck().check("aten::sum").check("aten::mul").check("aten::add").run(flat.graph)


class InPlaceOnAttributes(nn.Module):
    def forward(self, x):
        c = Counted(torch.zeros_like(x), x.clone())
        with c:
            y = x * c.entered + c.depth
        return y, c.entered, c.exited


def test_enter_and_exit_update_tensors_in_place():
    flat = check_conversion(InPlaceOnAttributes(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([3.0, -1.0]),)])
    FileCheck().check_count("aten::add_", 2, exactly=True).run(flat.graph)


class ReturnInside(nn.Module):
    def forward(self, x):
        c = counters()
        with c:
            if bool(x.sum() > 0):
                return x * c.depth, c.entered, c.exited
            else:
                x = x + c.depth
        return x - c.depth, c.entered, c.exited


def test_exit_runs_after_return_inside():
    # Both paths; on the first, the returned counter is updated by __exit__
    # after the return value was made.
    check_conversion(ReturnInside(), (torch.tensor([1.0, 2.0]),),
                     others=[(torch.tensor([3.0, -1.0]),)])
    check_conversion(ReturnInside(), (torch.tensor([-1.0, -2.0]),),
                     others=[(torch.tensor([-3.0, 1.0]),)])


class BreakInside(nn.Module):
    def forward(self, x):
        c = counters()
        for i in range(4):
            with c:
                if i == 2:
                    x = x * c.depth
                    break
                else:
                    x = x + c.entered
            x = x - c.exited
        return x + c.depth, c.entered, c.exited


def test_exit_runs_after_break_inside():
    check_conversion(BreakInside(), (torch.tensor([1.0, 2.0]),),
                     others=[(torch.tensor([3.0, -1.0]),)])


class ContinueInside(nn.Module):
    def forward(self, x):
        c = counters()
        for i in range(4):
            with c:
                if i == 1:
                    x = x * 2 + c.depth
                    continue
                else:
                    x = x + c.entered
            x = x - c.exited
        return x + c.depth, c.entered, c.exited


def test_exit_runs_after_continue_inside():
    check_conversion(ContinueInside(), (torch.tensor([1.0, 2.0]),),
                     others=[(torch.tensor([3.0, -1.0]),)])


class Nested(nn.Module):
    def forward(self, x):
        t = x.clone()
        a = Step(t, 2.0)
        b = Step(t, 3.0)
        with a:
            with b:
                y = x + t
        with b, a:
            y = y * t
        c = counters()
        with c:
            y = y + c.depth * 10
            with c:
                y = y + c.depth
        return y, t, c.entered, c.exited


def test_nested_withs_exit_in_reverse_order():
    check_conversion(Nested(), (torch.tensor([1.0, 2.0]),),
                     others=[(torch.tensor([3.0, -1.0]),)])


class NoGradAndObject(nn.Module):
    def forward(self, x):
        c = Offset()
        with torch.no_grad(), c:
            y = x * 2 + c.v
        with torch.no_grad():
            y = y + c.v
        return y


def test_no_grad_still_walked_through():
    flat = check_conversion(NoGradAndObject(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([3.0, -1.0]),)])
    FileCheck().check_not("grad_enabled").check("aten::mul").run(flat.graph)


class Profiled(nn.Module):
    def forward(self, x):
        with torch.autograd.profiler.record_function("block"):
            y = x + 1
        return y


def test_record_function_kept_as_a_trace_keeps_it():
    # torch's own context class: its __enter__ and __exit__ call the
    # profiler's operators, which a trace records too.
    flat = check_conversion(Profiled(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([3.0, -1.0]),)])
    FileCheck().check("profiler::_record_function_enter").check("aten::add") \
        .check("profiler::_record_function_exit").run(flat.graph)


if __name__ == "__main__":
    main([test_enter_and_exit_change_an_attribute, test_as_binds_what_enter_returns,
          test_enter_and_exit_update_tensors_in_place, test_exit_runs_after_return_inside,
          test_exit_runs_after_break_inside, test_exit_runs_after_continue_inside,
          test_nested_withs_exit_in_reverse_order, test_no_grad_still_walked_through,
          test_record_function_kept_as_a_trace_keeps_it])
