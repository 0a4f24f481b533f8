"""s2t: turn a scripted TorchScript module into a flat, trace-equivalent one.

    import torch, s2t
    flat = s2t.script_to_trace(torch.jit.script(model), example_inputs)
    flat(*example_inputs)

`script_to_trace` decides every `if` and unrolls every loop of the scripted
method for the example inputs and returns a `torch.jit.ScriptModule` whose
method is the straight-line graph a trace of that path would record
(docs/python.md). `report` says what was decided; `export` goes on to a
torch.export.ExportedProgram (torch 2.5 or newer). Shape and data decisions
are announced as `DecisionWarning`s; `check_inputs=` checks other inputs.
Errors raise `s2t.Error` (`UsageError`, `ConversionError`, `CheckError`) with
the one-line message s2t-opt prints.
"""

from . import _C
from ._api import Decision, Report, report, script_to_trace
from ._errors import (CheckError, ConversionError, DecisionWarning, Error,
                      UsageError)
from ._export import export

__version__ = _C.__version__


def _apply_warning_options():
    """Python drops `-W ACTION::s2t.DecisionWarning` (and PYTHONWARNINGS) at
    startup, when s2t cannot be imported yet: apply those options now."""
    import sys
    import warnings
    actions = ("default", "error", "ignore", "always", "module", "once")
    for option in sys.warnoptions:
        fields = [f.strip() for f in option.split(":")] + [""] * 5
        action, message, category, module, lineno = fields[:5]
        if category not in ("s2t.DecisionWarning", "s2t._errors.DecisionWarning"):
            continue
        matches = [a for a in actions if action and a.startswith(action)] or ["default"]
        warnings.filterwarnings(matches[0], message, DecisionWarning, module,
                                int(lineno) if lineno.isdigit() else 0)


_apply_warning_options()

__all__ = [
    "CheckError", "ConversionError", "Decision", "DecisionWarning", "Error",
    "Report", "UsageError", "export", "report", "script_to_trace",
]
