"""s2t: turn a scripted TorchScript module into a flat, trace-equivalent one.

    import torch, s2t
    flat = s2t.script_to_trace(torch.jit.script(model), example_inputs)
    flat(*example_inputs)

`script_to_trace` decides every `if` and unrolls every loop of the scripted
method for the example inputs and returns a `torch.jit.ScriptModule` whose
method is the straight-line graph a trace of that path would record
(docs/python.md). `report` says what was decided; `export` goes on to a
torch.export.ExportedProgram (torch 2.5 or newer). Errors raise `s2t.Error`
(a RuntimeError) with the one-line message s2t-opt prints.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import torch

from . import _C
from ._C import Error

Error.__module__ = "s2t"

__all__ = ["Error", "Decision", "Report", "script_to_trace", "report", "export"]


@dataclass(frozen=True)
class Decision:
    """One decided `if`, unrolled loop, or baked-in value (a list index that
    depends on an argument) of the scripted method (docs/report.md)."""

    kind: str  # "if", "loop" or "value"
    category: str  # "constant", "shape" or "data" (docs/semantics.md)
    location: str  # file:line:col of the model's code
    outcome: int  # branch taken (0 then, 1 else), or iterations run
    outcome_text: str = ""  # "then", "else", "3 iterations", "residual", ...
    depends_on: Tuple[str, ...] = ()  # "x.size(0)", "x.dim()", "x", "n", ...
    checked: bool = False  # a guard checks it (guards="assert"/"fallback")
    residual: bool = False  # kept in the graph (allow_residual=True)
    reason: str = ""  # why it is residual


@dataclass(frozen=True)
class Report:
    """What a conversion did; iterating it gives the decisions."""

    decisions: List[Decision] = field(default_factory=list)
    iterations_unrolled: int = 0
    calls_inlined: int = 0
    kernels_run: int = 0

    def __iter__(self):
        return iter(self.decisions)

    def __len__(self):
        return len(self.decisions)

    def __getitem__(self, index):
        return self.decisions[index]


def _text(value: Any) -> str:
    """A value as error messages name it: one line, short."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _samples(example_inputs, example_kwarg_inputs):
    """(name, value, text) per argument, as torch.jit.trace takes them: a
    tuple or list is the positional arguments, anything else (a tensor, a
    dict, a number) is the one argument."""
    if example_inputs is None:
        positional = ()
    elif isinstance(example_inputs, (tuple, list)):
        positional = tuple(example_inputs)
    else:
        positional = (example_inputs,)
    samples = [("", value, _text(value)) for value in positional]
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise Error("example_kwarg_inputs must be a dict of argument name "
                        f"to value, got {type(example_kwarg_inputs).__name__}")
        for name, value in example_kwarg_inputs.items():
            samples.append((str(name), value, f"{name}={_text(value)}"))
    return samples


def _cpp_module(module) -> torch._C.ScriptModule:
    if isinstance(module, torch.jit.ScriptModule):
        return module._c
    if isinstance(module, torch._C.ScriptModule):
        return module
    kind = type(module).__name__
    hint = (" (script it first: torch.jit.script(module))"
            if isinstance(module, torch.nn.Module) else "")
    raise Error(f"expected a torch.jit.ScriptModule, got {kind}{hint}")


def _convert(module, example_inputs, example_kwarg_inputs, method, guards,
             max_unroll, max_nodes, seed, freeze, allow_residual, want_module):
    return _C.convert(_cpp_module(module), method,
                      _samples(example_inputs, example_kwarg_inputs), guards,
                      max_unroll, max_nodes, seed, freeze, allow_residual,
                      want_module)


def script_to_trace(module, example_inputs=None, *,
                    example_kwarg_inputs: Optional[Dict[str, Any]] = None,
                    method: str = "forward", guards: str = "none",
                    max_unroll: int = 100000, max_nodes: int = 1000000,
                    seed: Optional[int] = None,
                    freeze: bool = False,
                    allow_residual: bool = False) -> torch.jit.ScriptModule:
    """The flat module of `module.<method>` for the example inputs.

    example_inputs: a tuple (or list) of positional arguments, or a tensor (or
    other value) for a one-argument method, as torch.jit.trace takes them;
    example_kwarg_inputs: arguments by name. The options mirror s2t-opt's
    flags: max_unroll, max_nodes, seed (None leaves torch's random generator
    alone), freeze, allow_residual. guards: "none" (as a trace), "assert"
    (a check per shape or data decision raises, naming its source line) or
    "fallback" (a failing check runs the scripted method instead). The result shares `module`'s parameters and buffers
    (freeze copies them into constants); `module` itself is not changed.
    """
    flat, _, _ = _convert(module, example_inputs, example_kwarg_inputs, method,
                          guards, max_unroll, max_nodes, seed, freeze,
                          allow_residual, True)
    return torch.jit._recursive.wrap_cpp_module(flat)


def report(module, example_inputs=None, *,
           example_kwarg_inputs: Optional[Dict[str, Any]] = None,
           method: str = "forward", guards: str = "none",
           max_unroll: int = 100000, max_nodes: int = 1000000,
           seed: Optional[int] = None,
           allow_residual: bool = False) -> Report:
    """What script_to_trace decides for the same arguments: a Report whose
    decisions are in the order the walk made them."""
    _, decisions, counts = _convert(module, example_inputs,
                                    example_kwarg_inputs, method, guards,
                                    max_unroll, max_nodes, seed, False,
                                    allow_residual, False)
    return Report([Decision(*d[:5], tuple(d[5]), *d[6:]) for d in decisions],
                  **counts)


from ._export import export  # noqa: E402  (it uses script_to_trace)
