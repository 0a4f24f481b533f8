# RUN: %python %s
"""Loops over what TorchScript can iterate: tensors, lists returned by ops,
ranges with steps, lists of tuples, dict items, module attribute lists;
nested break/continue; a trip count read from the data."""
import warnings
from typing import List, Optional

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


def count(graph, kind):
    return sum(1 for n in graph.nodes() if n.kind() == kind)


class OverRows(nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for row in x:
            acc = acc + row
        for i, r in enumerate(x.unbind(0)):
            acc = acc + r * i
        return acc


def test_loop_over_tensor_rows_and_unbind():
    flat = check_conversion(OverRows(), (torch.randn(4, 3),), others=[(torch.randn(4, 3),)])
    assert count(flat.graph, "aten::add") == 8, flat.graph


class OverSplit(nn.Module):
    def forward(self, x):
        outs: List[torch.Tensor] = []
        for part in x.split(2):
            outs.append(part.sum(0))
        return torch.stack(outs)


def test_loop_over_list_from_an_op():
    # x.split(2) on 6 rows: 3 parts, unpacked from the op's list as a trace does.
    flat = check_conversion(OverSplit(), (torch.randn(6, 3),), others=[(torch.randn(6, 3),)])
    FileCheck().check("aten::split").check("prim::ListUnpack").run(flat.graph)
    assert count(flat.graph, "aten::sum") == 3, flat.graph


class RangeSteps(nn.Module):
    def forward(self, x):
        for i in range(10, 0, -3):  # 10, 7, 4, 1
            x = x * i
        ys = [x, x * 2, x * 3]
        out: List[torch.Tensor] = []
        for i in range(len(ys) - 1, -1, -1):
            out.append(ys[i])
        ys.reverse()
        return torch.cat(out) + torch.cat(ys)


def test_range_with_negative_step_and_reverse():
    flat = check_conversion(RangeSteps(), (torch.tensor([1.0]),), others=[(torch.tensor([2.0]),)])
    assert count(flat.graph, "aten::mul") == 6, flat.graph


class OverStructures(nn.Module):
    def __init__(self):
        super().__init__()
        self.flags = [True, False, True]

    def forward(self, x):
        for t, k in [(x, 1), (x * 2, 2), (x * 3, 3)]:
            x = x + t * k
        d = {1: x, 2: x * 2}
        for k, v in d.items():
            x = x + v * k
        for v in d.values():
            x = x - v
        x = x + d.get(3, x)
        for f in self.flags:
            if f:
                x = x + 1
            else:
                x = x * 2
        return x


def test_loop_over_tuples_dict_items_attribute_list():
    flat = check_conversion(OverStructures(), (torch.tensor([1.0]),),
                            others=[(torch.tensor([-2.0]),)])
    FileCheck().check_not("aten::items").check_not("aten::values") \
        .check_not("aten::get").check_not("prim::DictConstruct").run(flat.graph)


class NestedBreakContinue(nn.Module):
    def forward(self, x):
        for i in range(3):
            for j in range(3):
                if j > i:
                    break
                if (i + j) % 2 == 1:
                    continue
                x = x + i * 10 + j
        return x


def test_nested_break_continue():
    # (i, j) in (0, 0), (1, 1), (2, 0), (2, 2): x + i * 10 + j four times,
    # two additions each.
    flat = check_conversion(NestedBreakContinue(), (torch.tensor([1.0]),),
                            others=[(torch.tensor([2.0]),)])
    assert count(flat.graph, "aten::add") == 8, flat.graph
    added = [n.inputsAt(1).toIValue() for n in flat.graph.nodes() if n.kind() == "aten::add"]
    assert added == [0, 0, 10, 1, 20, 0, 20, 2], added


class CountFromData(nn.Module):
    def forward(self, x):
        n = int(x.sum().item())
        for _ in range(n):
            x = x + 1
        return x


def test_trip_count_from_data():
    # sum 3: three iterations, a data decision; inputs summing to 3 agree.
    flat = check_conversion(CountFromData(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([2.5, 0.5]),)])
    assert count(flat.graph, "aten::add") == 3, flat.graph


class BestOf(nn.Module):
    def forward(self, x):
        best: Optional[torch.Tensor] = None
        for i in range(3):
            y = x * i
            if best is None:
                best = y
            elif bool(y.sum() > best.sum()):
                best = y
        assert best is not None
        return best


def test_optional_carried_by_loop():
    flat = check_conversion(BestOf(), (torch.tensor([1.0]),), others=[(torch.tensor([2.0]),)])
    FileCheck().check_not("aten::__is__").check_not("aten::__isnot__") \
        .check_not("prim::unchecked_cast").run(flat.graph)


class FinalCount(nn.Module):
    k: torch.jit.Final[int]

    def __init__(self):
        super().__init__()
        self.k = 3

    def forward(self, x):
        for _ in range(self.k):
            x = x.sin()
        return x


def test_final_constant_trip_count():
    flat = check_conversion(FinalCount(), (torch.tensor([1.0]),), others=[(torch.tensor([2.0]),)])
    assert count(flat.graph, "aten::sin") == 3, flat.graph


if __name__ == "__main__":
    main([test_loop_over_tensor_rows_and_unbind, test_loop_over_list_from_an_op,
          test_range_with_negative_step_and_reverse, test_loop_over_tuples_dict_items_attribute_list,
          test_nested_break_continue, test_trip_count_from_data, test_optional_carried_by_loop,
          test_final_constant_trip_count])
