# Saves a scripted module with a 64 KiB parameter to the path given: its
# archive holds a record large enough to be written in several pieces.
#
#   with_parameter.py OUTPUT.pt
import sys

import torch


class WithParameter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(16384))

    def forward(self, x):
        return x + self.w[0]


torch.jit.script(WithParameter()).save(sys.argv[1])
