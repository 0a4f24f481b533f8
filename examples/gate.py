"""A model with all three kinds of decision, for pictures and ONNX export.

`python3 examples/gate.py OUTDIR` saves the scripted module as OUTDIR/gate.pt
and a sample (one 3x5x5 image) as OUTDIR/gate-input.pt:
  - shape: a single image (3 dims) gets a batch dimension;
  - shape: a loop runs once per image of the batch;
  - data: the head negates its input when the sum is not positive;
  - constant: the output is scaled unless the scale attribute is 1.
"""
import os
import sys

import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, z):
        if z.sum() > 0:
            z = torch.relu(z)
        else:
            z = -z
        return self.fc(z)


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = Head()
        self.scale = 2.0

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(0)
        y = self.conv(x)
        rows = []
        for i in range(y.size(0)):
            rows.append(y[i].mean(dim=(1, 2)))
        z = torch.stack(rows)
        if self.scale != 1.0:
            z = z * self.scale
        return self.head(z)


def sample():
    torch.manual_seed(0)
    return (torch.randn(3, 5, 5),)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.jit.script(Gate().eval()).save(os.path.join(out, "gate.pt"))
    torch.save(sample(), os.path.join(out, "gate-input.pt"))


if __name__ == "__main__":
    main()
