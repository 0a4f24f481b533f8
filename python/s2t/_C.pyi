# Type stubs of s2t's extension module (python/PythonModule.cpp). Users call
# the package's functions (s2t.script_to_trace, s2t.report, s2t.export).
from typing import Any, List, Optional, Tuple

import torch

from ._api import Report

__version__: str

class Options:
    """s2t::Options, the one options struct: its defaults are s2t's."""
    max_unroll: int
    max_nodes: int
    seed: Optional[int]
    freeze: bool
    guards: str  # "none", "assert" or "fallback"; another raises s2t.UsageError
    allow_residual: bool
    def __init__(self) -> None: ...

def convert(
    module: torch._C.ScriptModule,
    method: str,
    samples: List[Tuple[str, Any, str]],
    options: Options,
    want_module: bool,
) -> Tuple[Optional[torch._C.ScriptModule], Report]:
    """Converts `module.<method>` for `samples` ((name or "", value, text) per
    argument): the flat module (None unless want_module) and the s2t.Report
    of what was decided, its warnings worded for Python. Raises
    s2t.UsageError or s2t.ConversionError."""
    ...
