# RUN: %python %s
# RUN: not %python -W error::s2t.DecisionWarning %s --expect-error 2>&1 | FileCheck %s --check-prefix=AS-ERROR
# AS-ERROR: s2t.DecisionWarning: data decision: if took then (on x)
"""s2t.DecisionWarning: one per shape or data decision, with s2t-opt's text,
attributed to the model's source file and line, filtered as warnings are."""
import subprocess
import sys
import warnings

import torch

import s2t
from s2t_e2e import main, source_line

THIS = __file__


def line_of(text):
    return source_line(THIS, text)


class Threshold(torch.nn.Module):
    """The README's data-branch example."""

    def forward(self, x):
        if x > 2.0:  # decision: data
            return x + 1
        return x - 1


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x, n: int):
        if self.scale != 1.0:  # constant: no warning
            x = x * self.scale
        for _ in range(n):  # decision: shape loop
            x = x + 1
        if x.dim() == 2:  # decision: shape if
            x = x.sum(1)
        return x


def converted(module, inputs, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s2t.script_to_trace(torch.jit.script(module), inputs, **kwargs)
    return [w for w in caught if issubclass(w.category, s2t.DecisionWarning)]


def test_data_branch_warns_once_at_its_line():
    caught = converted(Threshold(), (torch.tensor(3.0),))
    assert len(caught) == 1, [str(w.message) for w in caught]
    w = caught[0]
    assert w.filename == THIS and w.lineno == line_of("decision: data"), (w.filename, w.lineno)
    assert str(w.message) == "data decision: if took then (on x)", str(w.message)
    assert w.message.location == f"{THIS}:{line_of('decision: data')}:8", w.message.location
    assert w.message.line == f"{w.message.location}: warning: {w.message}"
    assert issubclass(s2t.DecisionWarning, UserWarning)


def test_one_warning_per_shape_or_data_site_none_for_constants():
    caught = converted(Mixed(), (torch.ones(2, 3), 3))
    lines = sorted(w.lineno for w in caught)
    assert lines == [line_of("decision: shape loop"), line_of("decision: shape if")], lines
    texts = sorted(str(w.message) for w in caught)
    assert texts == ["shape decision: if took then (on x.shape)",
                     "shape decision: loop ran 3 iterations (on n)"], texts


def test_same_lines_as_s2t_opt():
    scripted = torch.jit.script(Mixed())
    report = s2t.report(scripted, (torch.ones(2, 3), 3), quiet=True)
    caught = converted(Mixed(), (torch.ones(2, 3), 3))
    assert [w.message.line for w in caught] == [
        line for line in report.warnings if ": warning: " in line]
    assert report.warnings[-1] == "note: 1 constant decision (s2t.report() lists every decision)"


def test_quiet_and_filters():
    assert converted(Threshold(), (torch.tensor(3.0),), quiet=True) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=s2t.DecisionWarning)
        s2t.script_to_trace(torch.jit.script(Threshold()), (torch.tensor(3.0),))
    assert caught == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", s2t.DecisionWarning)
        try:
            s2t.report(torch.jit.script(Threshold()), (torch.tensor(3.0),))
        except s2t.DecisionWarning as e:
            assert e.location.endswith(f":{line_of('decision: data')}:8")
        else:
            raise AssertionError("no DecisionWarning raised")


if __name__ == "__main__":
    if "--expect-error" in sys.argv:
        # Run under -W error::s2t.DecisionWarning: the warning is raised.
        s2t.script_to_trace(torch.jit.script(Threshold()), (torch.tensor(3.0),))
        sys.exit(0)
    main([test_data_branch_warns_once_at_its_line,
          test_one_warning_per_shape_or_data_site_none_for_constants,
          test_same_lines_as_s2t_opt, test_quiet_and_filters])
