"""Writes early-return.pt to the folder given: a loop that returns early on
the data of its argument. TorchScript's exit transform turns the `return`
into flags and a `prim::If` of its own, which the user's source never wrote:
that `if` maps back only to the archive's serialized code."""
import os
import sys

import torch


class EarlyReturn(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(x.size(0)):
            if bool(x[i] > 0):
                return x[i]
        return x.sum()


os.makedirs(sys.argv[1], exist_ok=True)
torch.jit.script(EarlyReturn()).save(os.path.join(sys.argv[1], "early-return.pt"))
