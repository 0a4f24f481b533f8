# RUN: %python %s
"""A limit's error names it as Python spells it, `max_unroll=2`, never as
s2t-opt's flag `--max-unroll=2` (issue 16: errors without flag names)."""
import torch

import s2t
from s2t_e2e import main


class Counted(torch.nn.Module):
    def forward(self, x):
        for _ in range(10):
            x = x + 1
        return x


def test_max_unroll_named_as_a_keyword():
    try:
        s2t.script_to_trace(torch.jit.script(Counted()), (torch.ones(1),), max_unroll=2,
                            quiet=True)
    except s2t.ConversionError as e:
        assert "max_unroll=2" in e.message, e.message
        assert "--max-unroll" not in e.message, e.message
    else:
        raise AssertionError("no ConversionError")


if __name__ == "__main__":
    main([test_max_unroll_named_as_a_keyword])
