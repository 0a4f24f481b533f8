"""s2t.export: a scripted module into a torch.export.ExportedProgram, through
s2t's flat graph (docs/torch-export.md)."""

from typing import Any, Dict, Optional

import torch

from ._api import _DEFAULTS
from ._errors import ConversionError, UsageError

# TS2EPConverter (torch._export.converter) first worked on ordinary modules in
# torch 2.5.
_MIN_TORCH = (2, 5)


def _torch_release():
    parts = torch.__version__.split("+")[0].split(".")
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in parts[:2])


def _positional(module, example_inputs, example_kwarg_inputs):
    """The arguments as one positional tuple, in the scripted forward's order,
    defaults filled from its schema (the flat forward drops the defaults of
    the arguments before one it retyped): TS2EPConverter re-traces with
    positional arguments only."""
    if example_inputs is None:
        args = []
    elif isinstance(example_inputs, (tuple, list)):
        args = list(example_inputs)
    else:
        args = [example_inputs]
    if not example_kwarg_inputs:
        return tuple(args)
    scripted = module._c if hasattr(module, "_c") else module
    schema = scripted._get_method("forward").schema
    for argument in schema.arguments[1 + len(args):]:
        if argument.name in example_kwarg_inputs:
            args.append(example_kwarg_inputs[argument.name])
        elif argument.default_value is not None or argument.has_default_value():
            args.append(argument.default_value)
        else:
            raise UsageError(f"no example input for argument '{argument.name}'")
    return tuple(args)


def export(module, example_inputs=None, *,
           example_kwarg_inputs: Optional[Dict[str, Any]] = None,
           max_unroll: int = _DEFAULTS.max_unroll,
           max_nodes: int = _DEFAULTS.max_nodes,
           seed: Optional[int] = _DEFAULTS.seed,
           quiet: bool = False) -> "torch.export.ExportedProgram":
    """The ExportedProgram of `module.forward` for the example inputs:
    s2t.script_to_trace, then torch's TorchScript converter (TS2EPConverter).

    What it adds over TS2EPConverter alone: TS2EP keeps an `if` on tensor data
    as `torch.cond` and fails on every loop whose trip count or condition is
    not a constant ("prim::Loop currently cannot run with dynamic value of
    number of iterations"). s2t decides each `if` and unrolls each loop for
    the example inputs first, so the program has no `cond` and no loop: it is
    what `torch.export.export` of the eager model on those inputs would give,
    with the decisions baked in as a trace bakes them (docs/semantics.md).

        import torch, s2t
        scripted = torch.jit.script(model)
        program = s2t.export(scripted, (x,))
        program.module()(x)            # equals scripted(x)

    example_inputs, example_kwarg_inputs, max_unroll, max_nodes, seed and
    quiet are script_to_trace's. Needs torch 2.5 or newer; raises s2t.Error otherwise,
    and when the conversion or TS2EPConverter fails.
    """
    if _torch_release() < _MIN_TORCH:
        raise ConversionError(f"s2t.export needs torch {_MIN_TORCH[0]}.{_MIN_TORCH[1]} or newer "
                              f"(torch.export's TorchScript converter); this is torch "
                              f"{torch.__version__}: use s2t.script_to_trace")
    from . import script_to_trace
    from torch._export.converter import TS2EPConverter

    flat = script_to_trace(module, example_inputs,
                           example_kwarg_inputs=example_kwarg_inputs,
                           max_unroll=max_unroll, max_nodes=max_nodes, seed=seed,
                           quiet=quiet)
    args = _positional(module, example_inputs, example_kwarg_inputs)
    try:
        return TS2EPConverter(flat, args).convert()
    except Exception as e:  # TS2EP raises many kinds; the user gets one
        raise ConversionError("torch.export's converter (TS2EPConverter) failed on "
                              f"the flat module: {_first_lines(e)}") from e


def _first_lines(error):
    """The first line of an exception and of each one it was raised from, on
    one line: TS2EP wraps the reason ("prim::Loop currently cannot run with
    dynamic value of number of iterations.") in "TS2EPConverter failed for
    node prim::Loop"."""
    parts = []
    while error is not None:
        line = next((l.strip() for l in str(error).splitlines() if l.strip()), "")
        if not parts or line not in parts[-1]:
            parts.append(f"{type(error).__name__}: {line}" if line else type(error).__name__)
        error = error.__cause__
    return ", from ".join(parts)
