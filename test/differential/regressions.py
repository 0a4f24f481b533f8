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
