# RUN: %python %s | FileCheck %s
"""mobilenet_v3_small (torchvision, weights=None): the converted archive exports to
ONNX without If or Loop and passes onnx.checker. Its scripted archive exports
without them too: torch.onnx.export folds by itself the branches on module
attributes (s2t's constant decisions) and, for the sample's fixed shapes, the
checks of the input's rank (s2t's shape decisions)."""
import torch
import torchvision

from onnx_export import control_flow_counts, convert_archive, export_ops

torch.manual_seed(0)
scripted = torch.jit.script(torchvision.models.mobilenet_v3_small(weights=None).eval())
sample = (torch.randn(1, 3, 64, 64),)

# CHECK: scripted: If=0 Loop=0
print("scripted:", control_flow_counts(export_ops(scripted, sample)))
flat = convert_archive(scripted, sample)
assert torch.equal(flat(*sample), scripted(*sample))
# CHECK-NEXT: converted: If=0 Loop=0
print("converted:", control_flow_counts(export_ops(flat, sample)))
