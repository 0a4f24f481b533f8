# RUN: %python %s
"""Calls: submodules, helper functions, nn.ModuleList iteration,
nn.Sequential; parameters stay attributes unless --freeze."""
import warnings

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def scaled_softsign(x, scale: float):
    # A plain function called from forward: scripted with it, inlined by s2t.
    if scale > 1.0:
        x = x * scale
    return x / (1 + x.abs())


def clamp_rows(x, limit: int):
    rows = []
    for i in range(min(x.size(0), limit)):
        rows.append(x[i])
    return torch.stack(rows)


class Gate(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.proj = nn.Linear(features, features)

    def forward(self, x):
        h = self.proj(x)
        if bool(h.mean() > 0):
            return h.relu()
        return h.tanh()


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.head = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        self.gate = Gate(4)
        self.register_buffer("offset", torch.arange(4.0))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x) + self.offset * i
        x = self.gate(scaled_softsign(x, 2.0))
        return self.head(clamp_rows(x, 2))


def sample():
    torch.manual_seed(1)
    return (torch.randn(3, 4),)


def gate_branch(model, x):
    """The gate's decision for input x, computed eagerly."""
    for i, layer in enumerate(model.layers):
        x = layer(x) + model.offset * i
    return bool(model.gate.proj(scaled_softsign(x, 2.0)).mean() > 0)


def gate_path_inputs(model, count):
    """Inputs of the sample's shape on which the gate decides as on the sample."""
    want = gate_branch(model, sample()[0])
    found, seed = [], 100
    while len(found) < count:
        torch.manual_seed(seed)
        seed += 1
        x = torch.randn(3, 4)
        if gate_branch(model, x) == want:
            found.append((x,))
    return found


def test_submodules_helpers_modulelist_sequential():
    model = Stack()
    flat = check_conversion(model, sample(), others=gate_path_inputs(model, 2))
    # 3 layers + gate + 2 in the head: six linear layers, all inlined.
    FileCheck().check_count("aten::linear", 6, exactly=True).run(flat.graph)
    FileCheck().check_not("prim::CallMethod").check_not("prim::CallFunction") \
        .check_count("aten::stack", 1, exactly=True).run(flat.graph)


def test_parameters_stay_attributes():
    model = Stack()
    flat = check_conversion(model, sample())
    FileCheck().check("prim::GetAttr[name=\"weight\"]").run(flat.graph)
    # The converted module carries the same parameters and buffers.
    original = torch.jit.script(model).state_dict()
    converted = flat.state_dict()
    assert list(converted.keys()) == list(original.keys()), (list(converted), list(original))
    for name in original:
        assert torch.equal(converted[name], original[name]), name
    # The weights were not folded in: the converted module follows a change
    # of its parameters as the scripted one does.
    scripted = torch.jit.script(model)
    with torch.no_grad():
        for module in (flat, scripted):
            getattr(module.head, "2").bias.add_(1.0)
            getattr(module.layers, "0").weight.mul_(0.5)
    assert torch.equal(flat(*sample()), scripted(*sample()))
    assert not torch.equal(flat(*sample()), torch.jit.script(Stack())(*sample()))


def test_freeze():
    model = Stack()
    flat = check_conversion(model, sample(), others=gate_path_inputs(model, 1),
                            extra_args=["--freeze"])
    FileCheck().check_not("prim::GetAttr").run(flat.graph)
    assert not any(n.kind() == "prim::GetAttr" for n in flat.graph.nodes())


if __name__ == "__main__":
    main([test_submodules_helpers_modulelist_sequential, test_parameters_stay_attributes,
          test_freeze])
