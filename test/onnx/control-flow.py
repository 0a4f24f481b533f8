# RUN: %python %s | FileCheck %s
"""examples/gate.py: a shape decision (x.dim()), a loop over a size and a
data decision (z.sum() > 0) in a submodule. Its scripted archive exports to
ONNX with If and Loop nodes; the archive s2t-opt converts exports with
neither, and gives the scripted module's result on the sample."""
import os
import sys

import torch

from onnx_export import control_flow_counts, convert_archive, export_ops

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
from gate import Gate, sample  # noqa: E402

torch.manual_seed(0)
scripted = torch.jit.script(Gate().eval())
x = sample()

# CHECK: scripted: If=1 Loop=1
print("scripted:", control_flow_counts(export_ops(scripted, x)))

flat = convert_archive(scripted, x)
assert torch.equal(flat(*x), scripted(*x))
# CHECK-NEXT: converted: If=0 Loop=0
print("converted:", control_flow_counts(export_ops(flat, x)))
