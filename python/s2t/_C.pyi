# Type stubs of s2t's extension module (python/PythonModule.cpp). Users call
# the package's functions (s2t.script_to_trace, s2t.report, s2t.export).
from typing import Any, Dict, List, Optional, Tuple

import torch

__version__: str

# (kind, category, location, outcome, outcome_text, depends_on, checked,
#  residual, reason): the fields of s2t.Decision, in order.
_Decision = Tuple[str, str, str, int, str, List[str], bool, bool, str]

def convert(
    module: torch._C.ScriptModule,
    method: str,
    samples: List[Tuple[str, Any, str]],
    guards: str,
    max_unroll: int,
    max_nodes: int,
    seed: Optional[int],
    freeze: bool,
    allow_residual: bool,
    want_module: bool,
) -> Tuple[Optional[torch._C.ScriptModule], List[_Decision], Dict[str, int], List[str]]:
    """Converts `module.<method>` for `samples` ((name or "", value, text) per
    argument): the flat module (None unless want_module), the decisions, the
    counts (iterations_unrolled, calls_inlined, kernels_run) and s2t-opt's
    warning lines. Raises s2t.UsageError or s2t.ConversionError."""
    ...
