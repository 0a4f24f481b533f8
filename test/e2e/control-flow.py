# RUN: %python %s
"""Branches and loops decided from the sample: nested ifs, shape and scalar
argument decisions, data-dependent while loops, break/continue, early return.
Other inputs are chosen to take the sample's path."""
import warnings

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class NestedIfs(nn.Module):
    def forward(self, x):
        if bool(x.sum() > 0):
            if bool(x.max() > 10):
                y = x * 2
            else:
                y = x + 1
        else:
            y = x - 1
        return y.relu()


def test_nested_ifs_each_path():
    # One sample per path; the others stay on it.
    cases = [
        (torch.tensor([20.0, 1.0]), [torch.tensor([11.0, -3.0])], "aten::mul"),
        (torch.tensor([2.0, 1.0]), [torch.tensor([9.0, -3.0])], "aten::add"),
        (torch.tensor([-2.0, 1.0]), [torch.tensor([-9.0, 3.0])], "aten::sub"),
    ]
    for sample, others, op in cases:
        flat = check_conversion(NestedIfs(), (sample,), others=[(o,) for o in others])
        check = FileCheck()
        for other in {"aten::mul", "aten::add", "aten::sub"} - {op}:
            check = check.check_not(other)
        check.check_count(op, 1, exactly=True).check("aten::relu").run(flat.graph)


class ShapeBranch(nn.Module):
    def forward(self, x):
        if x.size(0) > 2 and x.dim() == 2:
            return x.sum(1)
        return x.flatten().sum(0, keepdim=True)


def test_shape_branch():
    big = check_conversion(ShapeBranch(), (torch.randn(3, 4),),
                           others=[(torch.randn(3, 4),), (torch.randn(5, 2),)])
    FileCheck().check_not("aten::flatten").check("aten::sum").run(big.graph)
    small = check_conversion(ShapeBranch(), (torch.randn(2, 4),),
                             others=[(torch.randn(2, 4),), (torch.randn(1, 7),)])
    FileCheck().check("aten::flatten").check("aten::sum").run(small.graph)


class ScalarBranchAndLoop(nn.Module):
    def forward(self, x, n: int, mode: str):
        if mode == "double":
            x = x * 2
        else:
            x = x + 0.5
        for i in range(n):
            x = x * x + i
        return x


def test_scalar_argument_branch_and_loop():
    # A trace cannot take int or str arguments: compare with the scripted module.
    x = torch.tensor([0.5, -0.25])
    flat = check_conversion(ScalarBranchAndLoop(), (x, 3, "double"),
                            others=[(torch.tensor([0.1, 0.2]), 3, "double")], trace=False)
    # x * 2, then three times x * x + i.
    FileCheck().check_count("aten::mul", 4, exactly=True).run(flat.graph)
    FileCheck().check_count("aten::add", 3, exactly=True).run(flat.graph)
    flat = check_conversion(ScalarBranchAndLoop(), (x, 0, "other"),
                            others=[(torch.tensor([3.0]), 0, "other")], trace=False)
    FileCheck().check_not("aten::mul").check_count("aten::add", 1, exactly=True) \
        .run(flat.graph)


class WhileData(nn.Module):
    def forward(self, x):
        while bool(x.abs().max() < 100.0):
            x = x * 3
        return x


def test_data_dependent_while():
    # 1 -> 3 -> 9 -> 27 -> 81 -> 243: five multiplications; inputs whose
    # maximum lies in [100/243, 100/81) also take five.
    flat = check_conversion(WhileData(), (torch.tensor([1.0, -0.5]),),
                            others=[(torch.tensor([0.5, 1.2]),), (torch.tensor([-1.1, 0.0]),)])
    FileCheck().check_count("aten::mul", 5, exactly=True).run(flat.graph)


class BreakContinue(nn.Module):
    def forward(self, x):
        for i in range(10):
            if i % 3 == 1:
                continue
            if bool(x.sum() > 50):
                break
            x = x * 2 + i
        return x


def test_break_and_continue():
    # i = 1 and 4 continue; i = 0, 2, 3, 5 compute 2x + i; at i = 6 the sum
    # passes 50 and the loop breaks (sample: sums 3, 6, 16, 38, 86).
    sample = torch.tensor([1.0, 2.0])
    flat = check_conversion(BreakContinue(), (sample,),
                            others=[(torch.tensor([1.5, 1.0]),)])
    FileCheck().check_count("aten::mul", 4, exactly=True).run(flat.graph)
    FileCheck().check_count("aten::add", 4, exactly=True).run(flat.graph)


class EarlyReturn(nn.Module):
    def forward(self, x):
        if x.size(0) == 1:
            return x
        for i in range(4):
            if i == x.size(0):
                return x * i
        return x + 1


def test_early_return():
    for rows, op in [(1, None), (3, "aten::mul"), (6, "aten::add")]:
        sample = torch.randn(rows, 2)
        flat = check_conversion(EarlyReturn(), (sample,), others=[(torch.randn(rows, 2),)])
        if op is None:
            assert sum(1 for n in flat.graph.nodes() if n.kind().startswith("aten::")) == 0
        else:
            FileCheck().check_count(op, 1, exactly=True).run(flat.graph)


if __name__ == "__main__":
    main([test_nested_ifs_each_path, test_shape_branch, test_scalar_argument_branch_and_loop,
          test_data_dependent_while, test_break_and_continue, test_early_return])
