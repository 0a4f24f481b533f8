# RUN: %python %s
"""More kinds of decision: on a string argument, on torch.jit.is_scripting(),
on a tensor's implicit truth value, on an Optional that a data branch set."""
import warnings
from typing import Optional

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class StringMode(nn.Module):
    def forward(self, x, mode: str):
        if mode.startswith("sc"):
            return x * float(len(mode))
        return x


def test_string_argument_decision():
    flat = check_conversion(StringMode(), (torch.tensor([1.0]), "scale"),
                            others=[(torch.tensor([2.0]), "scale")], trace=False)
    FileCheck().check("aten::mul").run(flat.graph)
    flat = check_conversion(StringMode(), (torch.tensor([1.0]), "plain"),
                            others=[(torch.tensor([2.0]), "plain")], trace=False)
    FileCheck().check_not("aten::mul").run(flat.graph)


class ImplicitBool(nn.Module):
    def forward(self, x):
        if not torch.jit.is_scripting():
            x = x * 1000
        if (x > 0).any():
            return torch.where(x > 0, x, x * 0.1)
        return x


def test_is_scripting_and_implicit_bool():
    flat = check_conversion(ImplicitBool(), (torch.tensor([1.0, -2.0]),),
                            others=[(torch.tensor([-1.0, 2.0]),)], trace=False)
    FileCheck().check_not("aten::is_scripting").check("aten::where").run(flat.graph)
    assert torch.equal(flat(torch.tensor([-1.0, 2.0])), torch.tensor([-0.1, 2.0]))


class OptionalFromData(nn.Module):
    def forward(self, x):
        y: Optional[torch.Tensor] = None
        if bool(x.sum() > 0):
            y = x * 2
        if y is None:
            return x
        return y + 1


def test_optional_decided_by_data():
    flat = check_conversion(OptionalFromData(), (torch.tensor([1.0]),),
                            others=[(torch.tensor([2.0]),)])
    FileCheck().check("aten::mul").check("aten::add").run(flat.graph)
    flat = check_conversion(OptionalFromData(), (torch.tensor([-1.0]),),
                            others=[(torch.tensor([-2.0]),)])
    FileCheck().check_not("aten::mul").check_not("aten::add").run(flat.graph)


if __name__ == "__main__":
    main([test_string_argument_decision, test_is_scripting_and_implicit_bool,
          test_optional_decided_by_data])
