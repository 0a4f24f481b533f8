# RUN: %python %s
"""check_inputs=: other inputs run through the scripted method and the flat
one; one that takes another path or disagrees raises s2t.CheckError naming
the input, the decision it takes differently and the largest difference."""
import torch

import s2t
from s2t_e2e import main, source_line

THIS = __file__


def line_of(text):
    return source_line(THIS, text)


class Threshold(torch.nn.Module):
    def forward(self, x):
        if x > 2.0:  # decision: threshold
            return x + 1
        return x - 1


class Rows(torch.nn.Module):
    def forward(self, x):
        out = torch.zeros_like(x[0])
        for row in x:  # decision: rows
            out = out * 2 + row
        return out


def raised(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except s2t.CheckError as e:
        assert isinstance(e, s2t.Error) and "\n" not in str(e), repr(e)
        return e
    raise AssertionError("no s2t.CheckError")


def test_inputs_on_the_sample_path_pass():
    scripted = torch.jit.script(Threshold())
    flat = s2t.script_to_trace(scripted, (torch.tensor(3.0),), quiet=True,
                               check_inputs=[(torch.tensor(5.0),), torch.tensor(2.5)])
    assert torch.equal(flat(torch.tensor(4.0)), torch.tensor(5.0))
    report = s2t.report(scripted, (torch.tensor(3.0),), quiet=True,
                        check_inputs=[(torch.tensor(7.0),)])
    assert [d.outcome_text for d in report] == ["then"]


def test_other_branch_names_the_decision_and_difference():
    e = raised(s2t.script_to_trace, torch.jit.script(Threshold()), (torch.tensor(3.0),),
               quiet=True, check_inputs=[(torch.tensor(5.0),), (torch.tensor(1.0),)])
    location = f"{THIS}:{line_of('decision: threshold')}:8"
    assert str(e) == (f"check input 1 takes another path at {location}: if took else where "
                      "the example inputs took then; the outputs differ by up to 2 (output)"), str(e)
    assert e.input_index == 1 and e.location == location
    assert e.decision.kind == "if" and e.outcomes == ("then", "else")
    assert e.max_difference == 2.0


def test_report_checks_too():
    e = raised(s2t.report, torch.jit.script(Threshold()), (torch.tensor(3.0),),
               quiet=True, check_inputs=[(torch.tensor(0.0),)])
    assert e.input_index == 0 and e.outcomes == ("then", "else")


def test_loop_count_differs():
    e = raised(s2t.script_to_trace, torch.jit.script(Rows()), (torch.ones(3, 2),),
               quiet=True, check_inputs=[(torch.ones(4, 2),)])
    assert e.location == f"{THIS}:{line_of('decision: rows')}:8", e.location
    assert e.outcomes == ("3 iterations", "4 iterations"), e.outcomes
    assert "the outputs differ by up to 8" in str(e), str(e)


def test_check_input_that_fails_is_a_check_error():
    e = raised(s2t.script_to_trace, torch.jit.script(Rows()), (torch.ones(3, 2),),
               quiet=True, check_inputs=[(torch.ones(3, 2),), ("text",)])
    assert e.input_index == 1 and str(e).startswith("check input 1: "), str(e)


if __name__ == "__main__":
    main([test_inputs_on_the_sample_path_pass,
          test_other_branch_names_the_decision_and_difference,
          test_report_checks_too, test_loop_count_differs,
          test_check_input_that_fails_is_a_check_error])
