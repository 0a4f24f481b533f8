"""The bundled example: the three modules s2t was first asked about.

`python3 examples/modules.py OUTDIR` scripts each module and saves it as
OUTDIR/NAME.pt; examples/run.sh converts them with s2t-opt.
"""
import os
import sys

import torch


class Multiplier(torch.nn.Module):
    """No control flow at all: the flat graph is the scripted one."""

    def __init__(self, multiplier: float = 2.0):
        super().__init__()
        self.multiplier = multiplier

    def forward(self, x):
        return x * self.multiplier


class Threshold(torch.nn.Module):
    """A branch on the data: sample 3.0 keeps aten::add, 1.0 keeps aten::sub."""

    def __init__(self, threshold: float = 2.0):
        super().__init__()
        self.threshold = threshold

    def forward(self, x):
        if x > self.threshold:
            return x + 1
        else:
            return x - 1


class Iterations(torch.nn.Module):
    """A loop counted by an attribute: unrolled into that many aten::add."""

    def __init__(self, iterations: int = 3):
        super().__init__()
        self.iterations = iterations

    def forward(self, x):
        for _ in range(self.iterations):
            x = x + 1
        return x


EXAMPLES = {"multiplier": Multiplier, "threshold": Threshold, "iterations": Iterations}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, cls in EXAMPLES.items():
        torch.jit.script(cls()).save(os.path.join(out, name + ".pt"))


if __name__ == "__main__":
    main()
