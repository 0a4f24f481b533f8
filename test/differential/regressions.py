"""Reduced programs from differential runs (run.py), checked the same way:
flat and bit-identical to the scripted module on the sample, or the same
error when the scripted module raises.

Each case records where it was found. A case marked `open` is a failure not
fixed yet: it is expected to fail (XFAIL); if it passes (XPASS) this script
fails, so that the case gets marked fixed and keeps guarding the fix.

    /usr/bin/python3 test/differential/regressions.py [NAME...]
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from run import check_source  # noqa: E402

HEADER = """import torch
from torch import Tensor
from typing import Dict, List, Optional, Tuple


"""

CASES = []


def case(name, found, source, sample, open=False):
    CASES.append(dict(name=name, found=found, source=HEADER + source, sample=sample,
                      open=open))


# Two aten::cat of the same list argument, one before and one after an
# in-place write to an element the list received by append: the clean-up
# merged them (CSE across the write), so the second cat read stale values.
case("cse-cat-of-list-argument-across-inplace", "seed 6, program 97", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor, zs: List[Tensor]) -> Tensor:
        zs.append(x)
        y = torch.cat(zs)
        x.add_(1.0)
        return y + torch.cat(zs)
""", lambda: (torch.tensor([1.0, 2.0]), [torch.zeros(2)]))

# The dtype of torch.where(cond, a, b) was taken from the bool condition:
# `t.dtype == torch.bool` was decided true, and `t[0] = -1.0` (which builds
# aten::tensor(-1.0, dtype=prim::dtype(t))) wrote True, i.e. 1.0. LibTorch
# has no meta kernel for where (Python registers one), so its size came from
# torch's shape function, which gives no dtype; the first input's was taken.
case("where-dtype-is-not-the-condition's", "seed 9, program 19", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, bool]:
        t = torch.where(x > 0.0, x, x.mean())
        is_bool = t.dtype == torch.bool
        t[0] = -1.0
        return t, is_bool
""", lambda: (torch.tensor([[0.75, -1.5], [-1.25, -1.75]]),))

# The same through a loop condition, with a 0-d operand of another dtype
# (promotion: a 0-d tensor does not win over a dimensioned one).
case("where-dtype-promotes-as-eager", "seed 1, program 14, reduced by hand", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor) -> Tuple[Tensor, int]:
        n = 0
        h = x.half()
        while torch.where(torch.tensor(1.5) > x.amax(0), torch.tensor(1.5), x.amax(0)).dtype == torch.float32 and n < 4:
            n += 1
        w = torch.where(x > 0.0, h, torch.tensor(2.0, dtype=torch.float64))
        if w.dtype == torch.float16:
            w = w * 2
        return w.float(), n
""", lambda: (torch.tensor([[0.5, -1.0], [2.0, 0.25]]),))

# Arguments that share memory (a sample holding the same tensor twice, as
# torch.save keeps it): the write through y is a write to x, but the data
# decision on x was computed as if it were not. Alias classes now start from
# the samples' storages.
case("arguments-sharing-memory", "seed 9, program 111", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        y.mul_(-1.0)
        if bool(x.sum() > 0):
            return x + 1
        return x - 1
""", lambda: ((lambda t: (t, t))(torch.tensor([1.0, 2.0]))))

# The same with views: y is a row of x, and zs holds a column of x.
case("arguments-that-are-views-of-one-tensor", "variant of seed 9, program 111", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor, y: Tensor, zs: List[Tensor]) -> Tensor:
        y.mul_(-4.0)
        if bool(x.sum() > 0):
            x = x + 1
        zs[0].add_(10.0)
        if bool(x[1, 0] > 5.0):
            return x * 2
        return x - 1
""", lambda: ((lambda t: (t, t[0], [t[:, 0]]))(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))))

# The interpreter raises on the sample (an in-place add whose operand
# overlaps its target; it is kept because the value went through a tuple),
# but no decision needs that op, and the clean-up drops it as dead: s2t-opt
# succeeded and the flat module returned. Every operation no decision needed
# is now run on meta tensors at the end, which sees the overlap.
case("dead-op-that-raises-on-the-sample", "seed 7, program 6", """
def h1(a: Tensor) -> Tuple[Tensor, int]:
    return a, 1


class Program(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        a = x * 2.0
        t, k = h1(a)
        t += a.select(0, -1)
        return x
""", lambda: (torch.tensor([[1.0], [2.0]]),))

# A dead view to an impossible shape, and a dead matmul of mismatched sizes
# behind a data decision: both fail on the sample's metadata.
case("dead-ops-with-shape-errors", "by hand, after seed 7, program 6", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor, flag: bool) -> Tensor:
        if bool(x.sum() > 0.0):
            y = x * 2.0
        else:
            y = x
        if flag:
            z = y.view(4, -1)
        else:
            z = y @ y
        return x + 1
""", lambda: (torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), False))

# `with torch.no_grad():` (prim::Enter / prim::Exit) stopped the conversion:
# "unsupported: prim::Enter: the operator is not registered in this LibTorch".
case("with-no-grad", "generator construct tried by hand", """
class Program(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            x = x * 2
        return x
""", lambda: (torch.tensor([1.0, -2.0]),))


def main():
    names = sys.argv[1:]
    failed = 0
    for c in CASES:
        if names and c["name"] not in names:
            continue
        result = check_source(c["source"], c["sample"](), c["name"])
        if c["open"]:
            if result is None:
                failed += 1
                print(f"XPASS: {c['name']} ({c['found']}): it passes now; mark it fixed "
                      f"(drop open=True) in {__file__}")
            else:
                print(f"XFAIL: {c['name']} ({c['found']}): still open")
        elif result is None:
            print(f"PASS: {c['name']}")
        else:
            failed += 1
            print(f"FAIL: {c['name']} ({c['found']})\n{result}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
