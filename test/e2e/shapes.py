# RUN: %python %s
"""Shape reads and the scalar arithmetic on them that no decision depends on
stay in the flat graph, so it follows inputs of other sizes that take the
same path; shape decisions are baked in."""
import warnings

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class Flatten(nn.Module):
    def forward(self, x):
        b = x.shape[0]
        n = max(x.size(1), x.size(2))
        return x.view(b, -1).sum(1) + x.new_zeros(b) + n


def test_sizes_stay_dynamic():
    # Compared with the scripted module on other batch sizes and widths.
    flat = check_conversion(Flatten(), (torch.randn(2, 3, 4),),
                            others=[(torch.randn(5, 3, 4),), (torch.randn(1, 7, 2),)],
                            trace=False)
    FileCheck().check("aten::size").check("aten::view").run(flat.graph)


class ChunkPair(nn.Module):
    def forward(self, x):
        a, b = x.chunk(2)
        if a.size(0) == b.size(0):
            return a - b
        return a


def test_shape_decision_on_op_results():
    # An even length: equal halves (a shape decision on the chunks).
    flat = check_conversion(ChunkPair(), (torch.randn(4),),
                            others=[(torch.randn(4),), (torch.randn(8),)])
    FileCheck().check("aten::chunk").check("aten::sub").run(flat.graph)
    # An odd length takes the other branch.
    flat = check_conversion(ChunkPair(), (torch.randn(5),), others=[(torch.randn(7),)])
    FileCheck().check_not("aten::sub").run(flat.graph)


class DtypeAndDevice(nn.Module):
    def forward(self, x):
        if x.dtype == torch.float64:
            x = x.float()
        if x.is_floating_point() and x.device.type == "cpu":
            return x * 2
        return x


def test_dtype_and_device_decisions():
    flat = check_conversion(DtypeAndDevice(), (torch.randn(3, dtype=torch.float64),),
                            others=[(torch.randn(2, dtype=torch.float64),)])
    FileCheck().check("aten::to").check("aten::mul").run(flat.graph)
    flat = check_conversion(DtypeAndDevice(), (torch.arange(3),), others=[(torch.arange(5),)])
    FileCheck().check_not("aten::to").check_not("aten::mul").run(flat.graph)


if __name__ == "__main__":
    main([test_sizes_stay_dynamic, test_shape_decision_on_op_results,
          test_dtype_and_device_decisions])
