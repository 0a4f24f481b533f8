"""Runs the scripted module and its --guards=assert / --guards=fallback
conversions (on the sample x = [[1, 2], [3, 4], [5, 6]], n = 2) on inputs that
take the sample's path and on inputs that take another one, and prints one
line per input. Usage: check_guards.py SCRIPTED ASSERT FALLBACK"""
import re
import sys

import torch

import unfused  # noqa: F401  (the oracles run unfused kernels: test/lib/unfused.py)

scripted, asserting, falling_back = (torch.jit.load(p) for p in sys.argv[1:4])

cases = [
    ("same path", (torch.tensor([[7., 1.], [2., 3.], [4., 5.]]), 2)),
    ("x.dim() == 1", (torch.tensor([1., 2., 3.]), 2)),
    ("x.size(0) == 2", (torch.tensor([[1., 2.], [3., 4.]]), 2)),
    ("n == 3", (torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), 3)),
    ("y given", (torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), 2, torch.tensor([1., 1.]))),
    ("x.sum() <= 0", (-torch.ones(3, 2) * 10, 2)),
]
for name, args in cases:
    expected = scripted(*args)
    try:
        got = asserting(*args)
        assert torch.equal(got, expected), f"{name}: assert archive differs"
        assert_result = "assert ok"
    except torch.jit.Error as e:
        where = re.search(r"s2t guard failed at \S*?(decisions\.py:\d+:\d+)", str(e))
        assert where, f"{name}: not a guard failure: {e}"
        assert_result = "assert raises at " + where.group(1)
    got = falling_back(*args)
    assert torch.equal(got, expected), f"{name}: fallback archive differs"
    print(f"{name}: {assert_result}; fallback ok")
