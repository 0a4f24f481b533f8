"""script_to_trace and report: the conversion, its decisions, its warnings and
its checks (docs/python.md)."""

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from . import _C
from ._errors import CheckError, DecisionWarning, Error, UsageError


# The options' defaults, from the one options struct (s2t::Options).
_DEFAULTS = _C.Options()


@dataclass(frozen=True)
class Decision:
    """One decided `if`, unrolled loop, or baked-in value (a list index that
    depends on an argument) of the scripted method (docs/report.md): the
    fields of the C++ API's s2t::DecisionReport, which fills it."""

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
    """What a conversion did; iterating it gives the decisions. `warnings`
    holds the lines s2t-opt prints about them."""

    decisions: List[Decision] = field(default_factory=list)
    iterations_unrolled: int = 0
    calls_inlined: int = 0
    kernels_run: int = 0
    metadata_formula: int = 0  # tensor metadata computed by formula
    metadata_dispatch: int = 0  # by a meta kernel or a shape function
    metadata_reused: int = 0  # as a meta kernel gave it before
    warnings: List[str] = field(default_factory=list)

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


def _positional(example_inputs) -> tuple:
    """example_inputs as torch.jit.trace takes them: a tuple or list is the
    positional arguments, anything else (a tensor, a dict, a number) the one
    argument."""
    if example_inputs is None:
        return ()
    if isinstance(example_inputs, (tuple, list)):
        return tuple(example_inputs)
    return (example_inputs,)


def _samples(example_inputs, example_kwarg_inputs):
    """(name, value, text) per argument."""
    samples = [("", value, _text(value)) for value in _positional(example_inputs)]
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise UsageError("example_kwarg_inputs must be a dict of argument name "
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
    raise UsageError(f"expected a torch.jit.ScriptModule, got {kind}{hint}")


def _warn(lines: Sequence[str]) -> None:
    """One DecisionWarning per warning line of s2t-opt, attributed to the
    model's file and line, so that warnings filters apply as users expect."""
    for line in lines:
        location, separator, text = line.partition(": warning: ")
        if not separator:
            continue  # the note counting constant decisions
        filename, lineno = location, 0
        parts = location.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit():
            filename, lineno = parts[0], int(parts[1])
        warnings.warn_explicit(DecisionWarning(text, location, line),
                               DecisionWarning, filename, lineno)


def _options(**keywords) -> "_C.Options":
    """The keywords as the one options struct (s2t::Options)."""
    options = _C.Options()
    for name, value in keywords.items():
        setattr(options, name, value)
    return options


def _convert(module, example_inputs, example_kwarg_inputs, method, want_module,
             quiet, **options):
    """The flat module (or None) and its Report; warns unless quiet."""
    cpp_module = _cpp_module(module)
    samples = _samples(example_inputs, example_kwarg_inputs)
    flat, report = _C.convert(cpp_module, method, samples, _options(**options),
                              want_module)
    if not quiet:
        _warn(report.warnings)
    flat = torch.jit._recursive.wrap_cpp_module(flat) if flat is not None else None
    return flat, report


# --------------------------------------------------------------- check_inputs

def _leaves(value, path=()):
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, path + (i,))
    elif isinstance(value, dict):
        for key in value:
            yield from _leaves(value[key], path + (key,))
    else:
        yield path, value


def _difference(actual, expected) -> Tuple[bool, Optional[float], str]:
    """(same, largest absolute difference or None, what differs)."""
    a, e = list(_leaves(actual)), list(_leaves(expected))
    if [p for p, _ in a] != [p for p, _ in e]:
        return False, None, "the outputs differ in structure"
    largest, what = None, ""
    for (path, x), (_, y) in zip(a, e):
        where = "output" + "".join(f"[{p!r}]" for p in path)
        if isinstance(y, torch.Tensor):
            if not isinstance(x, torch.Tensor) or x.shape != y.shape or x.dtype != y.dtype:
                return False, None, f"{where} differs in type or shape"
            if torch.equal(x, y):
                continue
            both = torch.stack([x.detach().double().reshape(-1), y.detach().double().reshape(-1)])
            gap = float((both[0] - both[1]).abs().nan_to_num(float("inf")).max())
            if largest is None or gap > largest:
                largest, what = gap, where
        elif x != y:
            return False, None, f"{where} is {x!r}, expected {y!r}"
    return largest is None, largest, what


def _first_other_decision(taken: Report, other: Report):
    """The first decision the other input makes differently, with both
    outcomes: (decision, (examples' outcome, input's outcome)) or None."""
    for mine, theirs in zip(taken.decisions, other.decisions):
        if (mine.kind, mine.location, mine.outcome) != (theirs.kind, theirs.location, theirs.outcome):
            return mine, (mine.outcome_text, theirs.outcome_text)
    if len(taken.decisions) != len(other.decisions):
        longer = taken if len(taken.decisions) > len(other.decisions) else other
        extra = longer.decisions[min(len(taken.decisions), len(other.decisions))]
        mine = extra.outcome_text if longer is taken else "(not reached)"
        theirs = extra.outcome_text if longer is other else "(not reached)"
        return extra, (mine, theirs)
    return None


def _check(module, flat, report, check_inputs, method, convert_options):
    """Runs every check input through the scripted method and the flat one;
    raises CheckError on the first that disagrees or takes another path."""
    scripted = getattr(torch.jit._recursive.wrap_cpp_module(_cpp_module(module)), method)
    flat_method = getattr(flat, method)
    for index, inputs in enumerate(check_inputs):
        args = _positional(inputs)
        try:
            _, other = _convert(module, args, None, method, want_module=False,
                                quiet=True, **convert_options)
        except Error as e:
            raise CheckError(f"check input {index}: {e.message}", index) from e
        decision = _first_other_decision(report, other)
        # Unoptimized, so that both run the same kernels (torch 2's executor
        # fuses elementwise chains from the second call on).
        with torch.jit.optimized_execution(False), torch.no_grad():
            expected = scripted(*args)
            actual = flat_method(*args)
        same, largest, what = _difference(actual, expected)
        if same and decision is None:
            continue
        message = f"check input {index}"
        if decision is not None:
            d, (mine, theirs) = decision
            message += (f" takes another path at {d.location}: {d.kind} took {theirs} "
                        f"where the example inputs took {mine}")
        if same:
            message += "; the outputs happen to agree"
        elif largest is not None:
            message += f"; the outputs differ by up to {largest:g} ({what})"
        else:
            message += f"; {what}"
        raise CheckError(message, index,
                         decision[0] if decision else None,
                         decision[1] if decision else None, largest)


# ------------------------------------------------------------------- the API

def script_to_trace(module, example_inputs=None, *,
                    example_kwarg_inputs: Optional[Dict[str, Any]] = None,
                    method: str = "forward", guards: str = _DEFAULTS.guards,
                    max_unroll: int = _DEFAULTS.max_unroll,
                    max_nodes: int = _DEFAULTS.max_nodes,
                    seed: Optional[int] = _DEFAULTS.seed,
                    freeze: bool = _DEFAULTS.freeze,
                    allow_residual: bool = _DEFAULTS.allow_residual,
                    check_inputs: Optional[Sequence[Any]] = None,
                    quiet: bool = False) -> torch.jit.ScriptModule:
    """The flat module of `module.<method>` for the example inputs: every `if`
    decided and every loop unrolled, the graph a trace of that path records.

        >>> import torch, s2t
        >>> class Threshold(torch.nn.Module):
        ...     def forward(self, x):
        ...         return x + 1 if bool(x > 2) else x - 1
        >>> scripted = torch.jit.script(Threshold())
        >>> flat = s2t.script_to_trace(scripted, (torch.tensor(3.0),), quiet=True)
        >>> flat(torch.tensor(3.0))
        tensor(4.)

    example_inputs: a tuple (or list) of positional arguments, or a tensor (or
    other value) for a one-argument method, as torch.jit.trace takes them;
    example_kwarg_inputs: arguments by name. The options mirror s2t-opt's
    flags: max_unroll, max_nodes, seed (None leaves torch's random generator
    alone), freeze, allow_residual. guards: "none" (as a trace), "assert"
    (a check per shape or data decision raises, naming its source line) or
    "fallback" (a failing check runs the scripted method instead).

    Each shape and data decision is announced by an s2t.DecisionWarning at
    the model's source line, as s2t-opt prints it (quiet=True: none).
    check_inputs: other inputs (each as example_inputs) run through the
    scripted method and the flat one; one that takes another path or gives
    another result raises s2t.CheckError, as torch.jit.trace's check_inputs.

    The result shares `module`'s parameters and buffers (freeze copies them
    into constants); `module` itself is not changed. Errors raise
    s2t.UsageError (bad arguments or samples) or s2t.ConversionError.
    """
    options = dict(guards=guards, max_unroll=max_unroll, max_nodes=max_nodes,
                   seed=seed, freeze=freeze, allow_residual=allow_residual)
    flat, report = _convert(module, example_inputs, example_kwarg_inputs, method,
                            want_module=True, quiet=quiet, **options)
    if check_inputs:
        _check(module, flat, report, check_inputs, method, options)
    return flat


def report(module, example_inputs=None, *,
           example_kwarg_inputs: Optional[Dict[str, Any]] = None,
           method: str = "forward", guards: str = _DEFAULTS.guards,
           max_unroll: int = _DEFAULTS.max_unroll,
           max_nodes: int = _DEFAULTS.max_nodes,
           seed: Optional[int] = _DEFAULTS.seed,
           allow_residual: bool = _DEFAULTS.allow_residual,
           check_inputs: Optional[Sequence[Any]] = None,
           quiet: bool = False) -> Report:
    """What script_to_trace decides for the same arguments: a Report whose
    decisions are in the order the walk made them.

        >>> # scripted as in script_to_trace's example
        >>> [(d.category, d.outcome_text)
        ...  for d in s2t.report(scripted, (torch.tensor(3.0),), quiet=True)]
        [('data', 'then')]

    Warns and checks as script_to_trace does (quiet, check_inputs).
    """
    options = dict(guards=guards, max_unroll=max_unroll, max_nodes=max_nodes,
                   seed=seed, freeze=False, allow_residual=allow_residual)
    flat, result = _convert(module, example_inputs, example_kwarg_inputs, method,
                            want_module=bool(check_inputs), quiet=quiet, **options)
    if check_inputs:
        _check(module, flat, result, check_inputs, method, options)
    return result
