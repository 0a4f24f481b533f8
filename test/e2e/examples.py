# RUN: %python %s
"""The bundled example modules (examples/modules.py) converted end to end."""
import os
import sys
import warnings

import torch
from torch.testing import FileCheck

from s2t_e2e import check_conversion, main

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
from modules import Iterations, Multiplier, Threshold  # noqa: E402


def t(value):
    return torch.tensor(value)


def test_multiplier():
    flat = check_conversion(Multiplier(), (t(3.0),),
                            others=[(t(-1.5),), (t(0.0),), (t(1e30),)])
    FileCheck().check_count("aten::mul", 1, exactly=True).run(flat.graph)


def test_threshold_taken():
    # 3.0 > 2.0: x + 1; other inputs above the threshold take the same path.
    flat = check_conversion(Threshold(), (t(3.0),), others=[(t(5.0),), (t(2.5),)])
    FileCheck().check_not("aten::sub").check_count("aten::add", 1, exactly=True) \
        .check_not("aten::sub").run(flat.graph)


def test_threshold_not_taken():
    # 1.0 <= 2.0: x - 1, for other inputs at or below the threshold too.
    flat = check_conversion(Threshold(), (t(1.0),), others=[(t(-1.0),), (t(2.0),)])
    FileCheck().check_not("aten::add").check_count("aten::sub", 1, exactly=True) \
        .check_not("aten::add").run(flat.graph)


def test_threshold_bakes_the_decision_in():
    # Like a trace: an input on the other side still takes the sample's path.
    eager = Threshold()
    flat = check_conversion(eager, (t(3.0),))
    assert torch.equal(flat(t(0.0)), t(1.0))
    traced = torch.jit.trace(eager, (t(3.0),), check_trace=False)
    assert torch.equal(flat(t(0.0)), traced(t(0.0)))


def test_iterations():
    flat = check_conversion(Iterations(), (t(3.0),), others=[(t(-7.25),), (t([1.0, 2.0]),)])
    FileCheck().check_count("aten::add", 3, exactly=True).run(flat.graph)


if __name__ == "__main__":
    main([test_multiplier, test_threshold_taken, test_threshold_not_taken,
          test_threshold_bakes_the_decision_in, test_iterations])
