# RUN: %python %s
"""Errors and notes name options as Python spells them (issue 16): the keyword
as a call writes it (`guards='assert'`, `max_unroll=2`), never s2t-opt's flag
(`--guards=assert`); s2t-opt keeps its flags for the same messages
(test/tools/guards.test)."""
import os
import subprocess
import tempfile

import torch

import s2t
from s2t_e2e import main

S2T_OPT = os.environ.get("S2T_OPT", "s2t-opt")


class WritesFirst(torch.nn.Module):
    """An in-place write to the input before a data decision: the fallback
    would run it twice."""

    def forward(self, x):
        x.add_(1)
        if x.sum() > 0:
            return x * 2
        return x


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x):
        if self.scale != 1.0:  # a constant decision: the note counts it
            x = x * self.scale
        return x


def raised(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except s2t.Error as e:
        return str(e)
    raise AssertionError("no s2t.Error")


def test_guards_named_as_keywords():
    scripted = torch.jit.script(WritesFirst())
    message = raised(s2t.script_to_trace, scripted, (torch.ones(1),), guards="fallback",
                     quiet=True)
    assert "falling back to the scripted method would run it twice (use guards='assert')" \
        in message, message
    assert "--guards" not in message, message


def test_cli_keeps_its_flags():
    scripted = torch.jit.script(WritesFirst())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        scripted.save(path)
        proc = subprocess.run([S2T_OPT, path, "--specialize-input=tensor([1.])",
                               "--guards=fallback", "-o", os.path.join(tmp, "flat.pt")],
                              capture_output=True, text=True)
    assert proc.returncode == 1, proc
    assert proc.stderr.endswith("(use --guards=assert)\n"), proc.stderr


def test_note_names_the_report_function():
    report = s2t.report(torch.jit.script(Mixed()), (torch.ones(2),), quiet=True)
    assert report.warnings == ["note: 1 constant decision (s2t.report() lists every decision)"], \
        report.warnings


if __name__ == "__main__":
    main([test_guards_named_as_keywords, test_cli_keeps_its_flags,
          test_note_names_the_report_function])
