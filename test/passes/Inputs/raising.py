"""Scripts functions whose graphs hold prim::RaiseException, which parseIR
cannot read (it takes no outputs), and saves each as OUTDIR/NAME.pt for the
raise-*.test pass tests. Line numbers are checked by those tests: keep them."""
import os
import sys

import torch


class RaiseIfNot2d(torch.nn.Module):
    def forward(self, x):
        if x.dim() != 2:
            raise ValueError("expected a 2-d input")
        return x.t()


class AssertPositive(torch.nn.Module):
    def forward(self, x):
        assert bool(x.min() > 0), "x must be positive"
        return x.log()


class RaiseInLoop(torch.nn.Module):
    def forward(self, x, n: int):
        for i in range(n):
            if i >= 3:
                raise RuntimeError("at most 3 steps")
            x = x * 2
        return x


MODULES = {"raise_if_not_2d": RaiseIfNot2d, "assert_positive": AssertPositive,
           "raise_in_loop": RaiseInLoop}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, cls in MODULES.items():
        torch.jit.script(cls()).save(os.path.join(out, name + ".pt"))
