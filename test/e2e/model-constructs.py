# RUN: %python %s
"""Constructs found in torchvision and torchaudio graphs, each reduced to a
small module: OrderedDict outputs, dicts read on metadata and then on data,
f-strings decided on sizes, data flowing through a tuple into a decision,
parameters held in a list attribute (nn.LSTM), `is` on tensors, and shapes
read after nn.MultiheadAttention's fast path."""
import json
import os
import subprocess
import tempfile
from collections import OrderedDict
from typing import Dict

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import S2T_OPT, check_conversion, main


class OrderedOutput(nn.Module):
    def forward(self, x):
        result = OrderedDict()
        result["out"] = x + 1
        result["aux"] = x * 2
        return result


def test_ordered_dict_output():
    flat = check_conversion(OrderedOutput(), (torch.randn(2, 3),), others=[(torch.randn(2, 3),)],
                            trace=False)
    out = flat(torch.ones(1))
    assert list(out.keys()) == ["out", "aux"], out


class DictMetaThenData(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        d = OrderedDict([("a", x + 1)])
        if d["a"].size(-1) == 7:
            x = x * 2
        if bool(self.conv(d["a"]).sum() > 0):
            return x + 1
        return x - 1


def test_dict_of_meta_values_then_data_decision():
    x = torch.randn(1, 3, 7, 7)
    check_conversion(DictMetaThenData(), (x,), others=[], trace=False)


class FormatKey(nn.Module):
    def forward(self, x):
        key = f"n{x.size(0)}"
        if key == "n3":
            return x + 1
        return x - 1


def test_format_decided_on_sizes():
    flat = check_conversion(FormatKey(), (torch.randn(3),), others=[(torch.randn(3),)])
    FileCheck().check("aten::add").check_not("aten::sub").run(flat.graph)


class CatThenDecide(nn.Module):
    def forward(self, m):
        y = torch.cat((m, m), -1)
        if bool(y.sum() > 0.5):
            return y + 1
        return y - 1


def stats_of(module, sample):
    workdir = tempfile.mkdtemp(prefix="s2t-e2e-")
    model, inputs, stats = (os.path.join(workdir, n) for n in ("m.pt", "in.pt", "s.json"))
    torch.jit.script(module).save(model)
    torch.save(tuple(sample), inputs)
    subprocess.run([S2T_OPT, model, "--specialize-input=@" + inputs, "--stats-json=" + stats],
                   check=True, capture_output=True)
    with open(stats) as f:
        return json.load(f)


def test_data_through_a_tuple_is_data():
    stats = stats_of(CatThenDecide(), (torch.ones(2),))
    assert stats["decisions"] == {"constant": 0, "shape": 0, "data": 1}, stats


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 3)

    def forward(self, x):
        return self.lstm(x)[0]


def test_lstm_weights_stay_attributes():
    x = torch.randn(5, 1, 4)
    flat = check_conversion(Recurrent(), (x,), others=[(torch.randn(5, 1, 4),)], trace=False)
    FileCheck().check("prim::GetAttr[name=\"_flat_weights\"]").check("aten::lstm").run(flat.graph)
    for node in flat.graph.nodes():
        if node.kind() == "prim::Constant":
            assert node.output().type().kind() != "TensorType", f"parameter baked: {node}"


class SelfAttentionCheck(nn.Module):
    def forward(self, q, k):
        if q is k:
            return q + 1
        return q - k


def test_tensor_identity():
    flat = check_conversion(SelfAttentionCheck(), (torch.ones(2), torch.zeros(2)),
                            others=[(torch.randn(2), torch.randn(2))], trace=False)
    FileCheck().check("aten::sub").check_not("aten::add").run(flat.graph)


class UpdateAndDelete(nn.Module):
    def forward(self, x):
        d: Dict[str, torch.Tensor] = {"a": x}
        e: Dict[str, torch.Tensor] = {"b": x + 1, "a": x * 2}
        d.update(e)
        xs = [x, x + 3, x + 4]
        del xs[1]
        del d["b"]
        return d, xs


def test_dict_update_and_del():
    flat = check_conversion(UpdateAndDelete(), (torch.randn(2),), others=[(torch.randn(2),)],
                            trace=False)
    FileCheck().check_not("aten::update").check_not("aten::Delete").run(flat.graph)


class Attention(nn.Module):
    """nn.MultiheadAttention's fast path (aten::_native_multi_head_attention, no meta
    kernel in LibTorch 1.13), then decisions on its output's shape, as in vit_b_16.
    The fast path is taken when no weight requires grad, or under torch.no_grad();
    s2t decides with grad mode on, so the weights are frozen, as for inference
    (the slow path gives other bits in torch 2.6: scaled_dot_product_attention)."""

    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        y, _ = self.attention(x, x, x, need_weights=False)
        torch._assert(y.dim() == 3, f"expected a batch of sequences, got {y.shape}")
        return self.norm(y)[:, 0]


def test_attention_shapes_run_no_kernel():
    sample = (torch.rand(2, 5, 8),)
    with torch.no_grad():
        flat = check_conversion(Attention().requires_grad_(False), sample,
                                others=[(torch.rand(2, 5, 8),)], trace=False)
    FileCheck().check("aten::_native_multi_head_attention").run(flat.graph)
    stats = stats_of(Attention().eval().requires_grad_(False), sample)
    assert stats["kernels_run"] == 0, stats


if __name__ == "__main__":
    main([test_ordered_dict_output, test_dict_of_meta_values_then_data_decision,
          test_format_decided_on_sizes, test_data_through_a_tuple_is_data,
          test_lstm_weights_stay_attributes, test_tensor_identity, test_dict_update_and_del,
          test_attention_shapes_run_no_kernel])
