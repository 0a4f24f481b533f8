"""Scripts the modules the decision-report, guard and shape-only tests use
into the folder given as the only argument. The tests name source lines of
this file: keep the line numbers of the forward methods stable."""
import os
import sys
from typing import Optional

import torch


class Decisions(torch.nn.Module):
    """One decision of each category, and a constant one."""

    def __init__(self):
        super().__init__()
        self.double = True

    def forward(self, x, n: int, y: Optional[torch.Tensor] = None):
        if x.dim() == 2:  # line 19: shape
            x = x * 2
        if x.size(0) > 2:  # line 21: shape
            x = x + 1
        else:
            x = x - 1
        for i in range(n):  # line 25: shape (an int argument)
            x = x + i
        if y is not None:  # line 27: shape (None-ness)
            x = x + y
        if self.double:  # line 29: constant
            x = x * 2
        if x.sum() > 0:  # line 31: data
            x = x.relu()
        return x


class RepeatedCheck(torch.nn.Module):
    """The same size test twice (x + 1 has the sizes of x): one check."""

    def forward(self, x):
        if x.size(0) == 3:  # line 40
            x = x + 1
        if x.size(0) == 3:  # line 42: x + 1 has x's sizes
            x = x * 2
        return x


class ShapesOnly(torch.nn.Module):
    """Control flow on rank, sizes and dtype only."""

    def forward(self, x):
        if x.dim() == 4:  # line 51
            x = x.flatten(1)
        for _ in range(x.size(1) // 4):  # line 53
            x = torch.cat([x, x], 1)
        if x.dtype == torch.float16:  # line 55
            x = x.float()
        return x.sum(1)


class WhileData(torch.nn.Module):
    """A while loop on data: residual with a shape-only input."""

    def forward(self, x):
        x = x * 2
        while bool(x.sum() > 1):  # line 65
            x = x / 2
        return x


class WritesFirst(torch.nn.Module):
    """An in-place write to the input before a data decision."""

    def forward(self, x):
        x.add_(1)
        if x.sum() > 0:  # line 75
            return x * 2
        return x


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for cls in (Decisions, RepeatedCheck, ShapesOnly, WhileData, WritesFirst):
        torch.jit.script(cls()).save(os.path.join(out, cls.__name__.lower() + ".pt"))
