# RUN: %python %s
"""Calls of every kind inlined: chains of helper functions with default and
keyword arguments, TorchScript classes, a submodule called twice,
nn.ModuleDict iteration; converting a method other than forward."""
import os
import subprocess
import tempfile
import warnings
from typing import List, Tuple

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import S2T_OPT, assert_flat, check_conversion, convert, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def count(graph, kind):
    return sum(1 for n in graph.nodes() if n.kind() == kind)


def outer(x, n: int):
    if n == 0:
        return x
    return middle(x + n, n - 1)


def middle(x, n: int):
    return inner(x * 2, n)


def inner(x, n: int, scale: float = 3.0, shift: int = 1):
    if n <= 0:
        return x
    return (x - n) * scale + shift


class HelperChain(nn.Module):
    def forward(self, x):
        return outer(x, 5) + inner(x, 1, shift=7)


def test_chain_of_helpers_with_defaults_and_keywords():
    flat = check_conversion(HelperChain(), (torch.tensor([1.0]),), others=[(torch.tensor([2.0]),)])
    FileCheck().check_not("prim::CallFunction").run(flat.graph)
    assert count(flat.graph, "aten::mul") == 3, flat.graph


@torch.jit.script
class Accumulator:
    def __init__(self, x: torch.Tensor):
        self.total = x
        self.count = 0

    def add(self, y: torch.Tensor):
        self.total = self.total + y
        self.count += 1


class UsesClass(nn.Module):
    def forward(self, x):
        acc = Accumulator(x)
        for i in range(3):
            acc.add(x * i)
        return acc.total / acc.count


def test_torchscript_class_object():
    flat = check_conversion(UsesClass(), (torch.tensor([1.0]),), others=[(torch.tensor([2.0]),)])
    FileCheck().check_not("prim::CreateObject").check_not("prim::SetAttr") \
        .check_not("prim::CallMethod").check("aten::div").run(flat.graph)


class SharedLayer(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(2, 2)
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 3)})

    def forward(self, x):
        h = self.lin(self.lin(x).relu())
        outs: List[torch.Tensor] = []
        for name, head in self.heads.items():
            outs.append(head(h).sum(-1))
        return torch.stack(outs)


def test_submodule_called_twice_and_module_dict():
    flat = check_conversion(SharedLayer(), (torch.randn(2),), others=[(torch.randn(2),)])
    assert count(flat.graph, "aten::linear") == 4, flat.graph
    FileCheck().check_not("prim::CallMethod").run(flat.graph)


class TwoMethods(nn.Module):
    @torch.jit.export
    def encode(self, x):
        if x.size(-1) > 2:
            return x[..., :2]
        return x

    def forward(self, x):
        return self.encode(x) * 2


def test_other_method():
    scripted = torch.jit.script(TwoMethods())
    sample = torch.randn(2, 4)
    flat = convert(scripted, (sample,), extra_args=["--method=encode"])
    assert_flat(flat, "encode")
    FileCheck().check("aten::slice").run(flat.encode.graph)
    for x in (sample, torch.randn(3, 5)):
        assert torch.equal(flat.encode(x), scripted.encode(x))
    # forward was not asked for and is left as it was, and still runs.
    FileCheck().check("prim::CallMethod").run(flat.forward.graph)
    assert torch.equal(flat(sample), scripted(sample))


class TupleArgument(nn.Module):
    def forward(self, p: Tuple[torch.Tensor, torch.Tensor]):
        a, b = p
        if a.size(0) == b.size(0):
            return a * b
        return a


def test_single_tuple_argument_from_file():
    # The method's one argument is a tuple: a saved tuple is that argument.
    scripted = torch.jit.script(TupleArgument())
    workdir = tempfile.mkdtemp(prefix="s2t-e2e-")
    model, inputs, out = (os.path.join(workdir, n) for n in ("m.pt", "in.pt", "flat.pt"))
    scripted.save(model)
    p = (torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    torch.save(p, inputs)
    proc = subprocess.run([S2T_OPT, model, "--specialize-input=@" + inputs, "-o", out],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    flat = torch.jit.load(out)
    assert_flat(flat)
    FileCheck().check("prim::TupleUnpack").check("aten::mul").run(flat.graph)
    other = (torch.tensor([-1.0, 0.5]), torch.tensor([2.0, 2.0]))
    assert torch.equal(flat(other), scripted(other))


if __name__ == "__main__":
    main([test_chain_of_helpers_with_defaults_and_keywords, test_torchscript_class_object,
          test_submodule_called_twice_and_module_dict, test_other_method,
          test_single_tuple_argument_from_file])
