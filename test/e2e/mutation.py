# RUN: %python %s
"""In-place ops and aliasing: a decision reads the mutated value, through
views, list elements, helpers that mutate their argument, and dicts updated in
a loop. Other inputs take the sample's path."""
import warnings
from typing import Dict, List

import torch
from torch import nn
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)


class AliasThroughList(nn.Module):
    def forward(self, x):
        y = x.clone()
        xs = [y]
        xs[0].mul_(-1)  # mutates y
        if bool(y.sum() > 0):
            return y + 100
        return y - 100


def test_mutation_through_list_element():
    # sum(x) = 3 > 0, but y = -x: the decision must see -3.
    flat = check_conversion(AliasThroughList(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([3.0, -2.0]),)])
    FileCheck().check("aten::mul_").check_not("aten::add").check("aten::sub") \
        .run(flat.graph)


class IndexAssign(nn.Module):
    def forward(self, x):
        y = x.clone()
        y[0] = 50.0
        if bool(y.sum() > 20):
            return y * 2
        return y


def test_index_assignment_then_decision():
    flat = check_conversion(IndexAssign(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([3.0, -2.0]),)])
    FileCheck().check("aten::copy_").check("aten::mul").run(flat.graph)


class InplaceInLoop(nn.Module):
    def forward(self, x):
        y = x.clone()
        for i in range(4):
            y.add_(i)
            if bool(y.sum() > 10):
                y.mul_(0.5)
        return y


def test_inplace_in_loop():
    # y = [1, 2]: +0 -> 3; +1 -> 5; +2 -> 9; +3 -> 15 > 10, halved: one mul_.
    flat = check_conversion(InplaceInLoop(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([1.5, 2.0]),)])
    FileCheck().check_count("aten::add_", 4, exactly=True).run(flat.graph)
    FileCheck().check_count("aten::mul_", 1, exactly=True).run(flat.graph)


def append_twice(xs: List[torch.Tensor], v: torch.Tensor):
    xs.append(v)
    xs.append(v * 2)


class ListMutatedInHelper(nn.Module):
    def forward(self, x):
        xs = [x]
        append_twice(xs, x + 1)
        if len(xs) == 3:
            return torch.cat(xs)
        return x


def test_list_mutated_in_helper():
    flat = check_conversion(ListMutatedInHelper(), (torch.tensor([1.0]),),
                            others=[(torch.tensor([2.0]),)])
    FileCheck().check_not("aten::append").check("prim::ListConstruct") \
        .check_count("aten::cat", 1, exactly=True).run(flat.graph)


class DictUpdatedInLoop(nn.Module):
    def forward(self, x):
        d: Dict[str, torch.Tensor] = {}
        for i in range(3):
            key = "k" + str(i % 2)
            if key in d:
                d[key] = d[key] + x * i
            else:
                d[key] = x * i
        return d["k0"] + d["k1"]


def test_dict_updated_in_loop():
    flat = check_conversion(DictUpdatedInLoop(), (torch.tensor([1.0]),),
                            others=[(torch.tensor([2.0]),)])
    FileCheck().check_not("prim::DictConstruct").check_not("aten::_set_item") \
        .check_not("aten::str").run(flat.graph)


class GrowWhileSmall(nn.Module):
    def forward(self, x):
        out = [x]
        while bool(out[-1].sum() < 20):
            out.append(out[-1] * 2)
        return torch.stack(out)


def test_list_grown_by_data_dependent_loop():
    # sums 3, 6, 12, 24: four elements.
    flat = check_conversion(GrowWhileSmall(), (torch.tensor([1.0, 2.0]),),
                            others=[(torch.tensor([1.5, 1.0]),)])
    (lst,) = [n for n in flat.graph.nodes() if n.kind() == "prim::ListConstruct"]
    assert len(list(lst.inputs())) == 4, lst


class SortSizes(nn.Module):
    def forward(self, x):
        sizes = [x.size(1), x.size(0), 3]
        sizes.sort()
        return x.reshape(sizes[0], -1)


def test_sort_int_list_of_sizes():
    # list.sort() on a list of sizes mutates a structure in place.
    flat = check_conversion(SortSizes(), (torch.randn(2, 6),), others=[(torch.randn(2, 6),)])
    FileCheck().check_not("aten::sort").check("aten::reshape").run(flat.graph)


if __name__ == "__main__":
    main([test_mutation_through_list_element, test_index_assignment_then_decision,
          test_inplace_in_loop, test_list_mutated_in_helper, test_dict_updated_in_loop,
          test_list_grown_by_data_dependent_loop, test_sort_int_list_of_sizes])
