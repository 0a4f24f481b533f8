"""`scripted_loop.py OUT.pt`: saves the scripted counted loop
`for _ in range(n): x = x + 1` (x a tensor, n an argument)."""
import sys

import torch


class Loop(torch.nn.Module):
    def forward(self, x, n: int):
        for _ in range(n):
            x = x + 1
        return x


torch.jit.script(Loop()).save(sys.argv[1])
