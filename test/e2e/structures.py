# RUN: %python %s
"""Lists, tuples, dicts and Optionals handled as structures: lists grown in
loops, tuple and dict outputs, enumerate/zip, Optional arguments."""
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import assert_same, check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class GrowThenStack(nn.Module):
    def forward(self, x):
        xs: List[torch.Tensor] = []
        for i in range(x.size(0)):
            xs.append(x[i] * (i + 1))
        return torch.stack(xs), torch.cat(xs)


def test_list_grown_in_loop_then_stack_and_cat():
    flat = check_conversion(GrowThenStack(), (torch.randn(4, 3),),
                            others=[(torch.randn(4, 3),)])
    # One list of four, built once, consumed by both.
    FileCheck().check_count("prim::ListConstruct", 1, exactly=True) \
        .run(flat.graph)
    FileCheck().check_not("aten::append").check("aten::stack").check("aten::cat") \
        .run(flat.graph)
    (lst,) = [n for n in flat.graph.nodes() if n.kind() == "prim::ListConstruct"]
    assert len(list(lst.inputs())) == 4, lst


class ListOps(nn.Module):
    def forward(self, x):
        xs = [x, x + 1, x * 2, x - 3]
        ys = xs[1:3]
        ys.append(xs[-1])
        ys.insert(0, xs[len(xs) - 4])
        total = ys[0]
        for y in ys[1:]:
            total = total + y
        return total, len(ys)


def test_list_len_getitem_slice_insert():
    flat = check_conversion(ListOps(), (torch.randn(3),), others=[(torch.randn(3),)],
                            trace=False)
    FileCheck().check_not("prim::ListConstruct").check_not("aten::len") \
        .check_not("aten::slice").check_not("aten::__getitem__").run(flat.graph)
    assert flat(torch.randn(3))[1] == 4


class TupleOut(nn.Module):
    def forward(self, x) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        pair = (x.relu(), x.sigmoid())
        a, b = pair
        return a + b, (pair[1], a * 2)


def test_tuple_output():
    flat = check_conversion(TupleOut(), (torch.randn(2, 3),), others=[(torch.randn(2, 3),)])
    FileCheck().check_not("prim::TupleUnpack").check_not("prim::TupleIndex") \
        .check("prim::TupleConstruct").run(flat.graph)


class DictOut(nn.Module):
    def forward(self, x) -> Dict[str, torch.Tensor]:
        d: Dict[str, torch.Tensor] = {"a": x, "b": x * 2}
        d["c"] = d["a"] + d["b"]
        out: Dict[str, torch.Tensor] = {}
        for k in d.keys():
            if k != "b":
                out[k] = d[k].neg()
        if "b" in d:
            out["sum"] = d["b"].sum()
        return out


def test_dict_output():
    x = torch.randn(3)
    flat = check_conversion(DictOut(), (x,), others=[(torch.randn(3),)], trace=False)
    # A trace of a dict output needs strict=False.
    traced = torch.jit.trace(DictOut(), (x,), strict=False, check_trace=False)
    other = torch.randn(3)
    assert_same(flat(other), traced(other), "against the trace")
    assert list(flat(other).keys()) == ["a", "c", "sum"]
    FileCheck().check_count("prim::DictConstruct", 1, exactly=True) \
        .check_not("aten::keys").check_not("aten::__contains__").run(flat.graph)


class EnumerateZip(nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = [0.5, 2.0, -1.0]

    def forward(self, xs: List[torch.Tensor]):
        total = torch.zeros_like(xs[0])
        for i, (x, s) in enumerate(zip(xs, self.scales)):
            total = total + x * s + i
        return total


def test_enumerate_zip():
    # zip stops at the shorter list: two tensors, two steps. A list argument
    # is unpacked in the flat graph as a trace would.
    sample = ([torch.randn(2), torch.randn(2)],)
    flat = check_conversion(EnumerateZip(), sample,
                            others=[([torch.randn(2), torch.randn(2)],)])
    FileCheck().check_count("aten::mul", 2, exactly=True).run(flat.graph)


class OptionalArg(nn.Module):
    def forward(self, x, bias: Optional[torch.Tensor] = None):
        if bias is None:
            return x.relu()
        y = x + bias
        if bias.dim() > 0:
            y = y * bias.size(0)
        return y


def test_optional_given_none():
    flat = check_conversion(OptionalArg(), (torch.randn(3), None),
                            others=[(torch.randn(3), None)], trace=False)
    FileCheck().check("aten::relu").check_not("aten::add").run(flat.graph)


def test_optional_given_tensor():
    flat = check_conversion(OptionalArg(), (torch.randn(3), torch.randn(3)),
                            others=[(torch.randn(3), torch.randn(3))])
    FileCheck().check_not("aten::relu").check_not("aten::__is__").check("aten::add") \
        .check("aten::mul").run(flat.graph)


class Pair(NamedTuple):
    low: torch.Tensor
    high: torch.Tensor


class NamedAndListOut(nn.Module):
    def forward(self, x) -> Tuple[Pair, List[torch.Tensor]]:
        parts: List[torch.Tensor] = []
        for i in range(3):
            parts.append(x + i)
        return Pair(x.clamp(max=0), x.clamp(min=0)), parts


def test_named_tuple_and_list_outputs():
    flat = check_conversion(NamedAndListOut(), (torch.randn(3),), others=[(torch.randn(3),)])
    out = flat(torch.randn(3))
    assert type(out[0]).__name__ == "Pair" and out[0]._fields == ("low", "high"), out[0]
    assert isinstance(out[1], list) and len(out[1]) == 3, out[1]


class DictArgument(nn.Module):
    def forward(self, d: Dict[str, torch.Tensor]):
        out = d["a"]
        if "b" in d:
            out = out + d["b"]
        for k in d.keys():
            if k.startswith("c"):
                out = out * d[k]
        return out


def test_dict_argument():
    # A dict argument comes from a saved file; its keys are decided on.
    sample = ({"a": torch.tensor([1.0]), "b": torch.tensor([2.0]), "c1": torch.tensor([3.0])},)
    other = ({"a": torch.tensor([4.0]), "b": torch.tensor([5.0]), "c1": torch.tensor([6.0])},)
    flat = check_conversion(DictArgument(), sample, others=[other], trace=False)
    FileCheck().check_not("aten::__contains__").check_not("aten::keys") \
        .check("aten::add").check("aten::mul").run(flat.graph)


if __name__ == "__main__":
    main([test_list_grown_in_loop_then_stack_and_cat, test_list_len_getitem_slice_insert,
          test_tuple_output, test_dict_output, test_enumerate_zip, test_optional_given_none,
          test_optional_given_tensor, test_named_tuple_and_list_outputs, test_dict_argument])
