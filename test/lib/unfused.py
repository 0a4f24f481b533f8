"""Importing this module makes TorchScript run every operation with its own
kernel in this process: the oracles compare like with like.

s2t promises bit-identical results where the kernels are the same
(docs/semantics.md). torch 2's graph executor, from the second call of a
scripted or traced module on, fuses chains of elementwise operations on CPU
into one TensorExpr kernel (torch 1.13's did not fuse on CPU), which may use a
fused multiply-add and so round differently in the last bit: the first call
of a trace and the third call of the scripted module then differ (seen on
torch 2.6 with `acc + r * i`). Without CPU fusion both run the same kernels as
s2t's flat graph.
"""
import torch

torch._C._jit_override_can_fuse_on_cpu(False)
