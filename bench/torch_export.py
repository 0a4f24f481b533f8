#!/usr/bin/python3
"""torch.export of scripted modules, side by side (issue 14, part 5): torch's
TorchScript converter alone (torch._export.converter.TS2EPConverter) against
s2t.export (s2t.script_to_trace, then the same converter).

Run it where torch is 2.5 or newer, e.g. inside the Debian 13 root, from the top
of the checkout, after building s2t there:

    bash scripts/debian13-root.sh env PYTHONPATH=build-debian13/python:test/lib \\
        /usr/bin/python3 bench/torch_export.py

Options: --doc FILE (where the table goes; default docs/torch-export.md, between
the markers `<!-- bench/torch_export.py begins -->` and `... ends -->`),
--no-doc (print only), --only NAME... (some rows; implies --no-doc), --no-zoo.

The modules: the bundled examples (examples/modules.py, examples/gate.py), small
modules of one control-flow construct each (below), and the fast image and audio
models of the zoo (test/models/zoo.py: torchvision resnet18, mobilenet_v3_small,
shufflenet_v2_x0_5, squeezenet1_0 with weights=None; torchaudio conv_tasnet in
the zoo's small configuration), each scripted with torch.jit.script in eval mode.
For each, both ways, on one sample:
  - converted: "yes", or the error's first line (with the first line of each
    exception it was raised from);
  - no cond/loop: the program's graph (and any subgraph) calls no higher-order
    operator (torch.ops.higher_order.cond, while_loop, ...);
  - exact: ExportedProgram.module() on the sample returns what the scripted
    module returns: torch.equal on every leaf, dtype and shape included.
Nothing is downloaded (weights=None; torch.hub's download functions raise).
"""
import argparse
import os
import re
import sys
import time
import traceback
import warnings
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
for folder in (os.path.join(REPO, "test", "lib"), os.path.join(REPO, "test", "models"),
               os.path.join(REPO, "examples")):
    sys.path.insert(0, folder)

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

import gate  # noqa: E402  (examples/gate.py)
import modules as examples  # noqa: E402  (examples/modules.py)
import s2t  # noqa: E402
import zoo  # noqa: E402  (test/models/zoo.py: also stops downloads)
from s2t_e2e import assert_same  # noqa: E402

COMMAND = ("bash scripts/debian13-root.sh env PYTHONPATH=build-debian13/python:test/lib "
           "/usr/bin/python3 bench/torch_export.py")
BEGIN = "<!-- bench/torch_export.py begins -->"
END = "<!-- bench/torch_export.py ends -->"
SEED = 0


# --------------------------------------------------------------------------- modules

class IfData(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x - 1


class IfDataScalar(torch.nn.Module):
    def forward(self, x):
        y = x * 3
        if bool(y.max() > 5.0):
            y = y / 2
        return y


class IfShapeDim(torch.nn.Module):
    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(0)
        return x.sum(0)


class IfShapeSize(torch.nn.Module):
    def forward(self, x):
        if x.size(0) > 2:
            return x[:2]
        return x + 1


class IfIntArg(torch.nn.Module):
    def forward(self, x, n: int):
        if n > 2:
            return x * n
        return x


class ForArg(torch.nn.Module):
    def forward(self, x, n: int):
        for _ in range(n):
            x = x * 2 + 1
        return x


class ForSize(torch.nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            acc = acc + x[i] * i
        return acc


class ForConstant(torch.nn.Module):
    def forward(self, x):
        for _ in range(3):
            x = x + 1
        return x


class WhileData(torch.nn.Module):
    def forward(self, x):
        while bool(x.abs().sum() < 100):
            x = x * 3
        return x


class WhileCounter(torch.nn.Module):
    def forward(self, x, n: int):
        i = 0
        while i < n:
            x = x + i
            i += 1
        return x


class Break(torch.nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            if bool(x[i].sum() > 2):
                break
            acc = acc + x[i]
        return acc


class Continue(torch.nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            if bool(x[i].sum() < 0):
                continue
            acc = acc + x[i]
        return acc


class Nested(torch.nn.Module):
    def forward(self, x):
        out = torch.zeros_like(x)
        for i in range(x.size(0)):
            for j in range(x.size(1)):
                out[i, j] = x[i, j] * (i + j)
        return out


class IfInLoop(torch.nn.Module):
    def forward(self, x):
        rows: List[Tensor] = []
        for i in range(x.size(0)):
            if bool(x[i].sum() > 0):
                rows.append(x[i] * 2)
            else:
                rows.append(-x[i])
        return torch.stack(rows)


class ListAppend(torch.nn.Module):
    def forward(self, x):
        rows: List[Tensor] = []
        for i in range(x.size(0)):
            rows.append(x[i] + i)
        return torch.cat(rows)


class ListLenIndex(torch.nn.Module):
    def forward(self, x):
        parts = list(x.unbind(0))
        n = len(parts)
        return parts[n - 1] - parts[0] + n


class ListArgument(torch.nn.Module):
    def forward(self, xs: List[Tensor]):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Dict_(torch.nn.Module):
    def forward(self, x):
        d: Dict[str, Tensor] = {}
        d["double"] = x * 2
        d["square"] = x * x
        out = torch.zeros_like(x)
        for key in d.keys():
            out = out + d[key]
        return out


class DictOutput(torch.nn.Module):
    def forward(self, x) -> Dict[str, Tensor]:
        out: Dict[str, Tensor] = {}
        if x.sum() > 0:
            out["pos"] = x
        else:
            out["neg"] = -x
        return out


class OptionalArg(torch.nn.Module):
    def forward(self, x, bias: Optional[Tensor] = None):
        if bias is not None:
            x = x + bias
        return x * 2


class TupleOutput(torch.nn.Module):
    def forward(self, x) -> Tuple[Tensor, Tensor]:
        if x.sum() > 0:
            return x + 1, x.max()
        return x - 1, x.min()


class TupleArgument(torch.nn.Module):
    def forward(self, pair: Tuple[Tensor, int]):
        x, k = pair
        for _ in range(k):
            x = x + 1
        return x


class Child(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        y = self.lin(x)
        if y.mean() > 0:
            y = torch.relu(y)
        return y


class Submodule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.child = Child()

    def forward(self, x):
        for _ in range(x.size(0)):
            x = self.child(x)
        return x


class ModuleListLoop(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(3)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
            if x.sum() < 0:
                x = -x
        return x


class EarlyReturn(torch.nn.Module):
    def forward(self, x):
        if x.numel() == 0:
            return x
        if bool(x.min() < 0):
            return x.abs()
        return x * 2


class RaiseUntaken(torch.nn.Module):
    def forward(self, x):
        if x.dim() != 2:
            raise ValueError("expected a 2-d input")
        return x.t()


class SizeFromData(torch.nn.Module):
    def forward(self, x):
        return torch.zeros(int(x.abs().sum()) + 1)


class StringOutput(torch.nn.Module):
    def forward(self, x) -> Tuple[Tensor, str]:
        return x + 1, "rank {}".format(x.dim())


def _x(seed=1, *shape):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*(shape or (3, 4)), generator=g)


# name, construct, module builder, sample builder
SMALL = [
    ("if_data", "if on data (x.sum() > 0)", IfData, lambda: (_x(),)),
    ("if_data_max", "if on data (y.max() > 5)", IfDataScalar, lambda: (_x() + 2,)),
    ("if_shape_dim", "if on shape (x.dim())", IfShapeDim, lambda: (_x(),)),
    ("if_shape_size", "if on shape (x.size(0))", IfShapeSize, lambda: (_x(),)),
    ("if_int_argument", "if on an int argument", IfIntArg, lambda: (_x(), 3)),
    ("for_int_argument", "for over range(n), n an argument", ForArg, lambda: (_x(), 3)),
    ("for_size", "for over range(x.size(0))", ForSize, lambda: (_x(),)),
    ("for_constant", "for over range(3)", ForConstant, lambda: (_x(),)),
    ("while_data", "while on data", WhileData, lambda: (_x(),)),
    ("while_counter", "while i < n, n an argument", WhileCounter, lambda: (_x(), 3)),
    ("break", "for with break on data", Break, lambda: (_x(2),)),
    ("continue", "for with continue on data", Continue, lambda: (_x(),)),
    ("nested_loops", "nested for over x.size(0), x.size(1)", Nested, lambda: (_x(1, 2, 3),)),
    ("if_in_loop", "if on data in a for", IfInLoop, lambda: (_x(),)),
    ("list_append", "list append in a for, torch.cat", ListAppend, lambda: (_x(),)),
    ("list_len_index", "list len and index", ListLenIndex, lambda: (_x(),)),
    ("list_argument", "List[Tensor] argument, for over a slice", ListArgument,
     lambda: ([_x(1), _x(2), _x(3)],)),
    ("dict", "dict built, for over keys", Dict_, lambda: (_x(),)),
    ("dict_output", "dict output set in an if on data", DictOutput, lambda: (_x(),)),
    ("optional_tensor", "Optional[Tensor] given a tensor", OptionalArg,
     lambda: (_x(), _x(2, 4))),
    ("optional_none", "Optional[Tensor] given None", OptionalArg, lambda: (_x(), None)),
    ("tuple_output", "tuple output from an if on data", TupleOutput, lambda: (_x(),)),
    ("tuple_argument", "Tuple[Tensor, int] argument, for over its int", TupleArgument,
     lambda: ((_x(), 2),)),
    ("submodule", "submodule with an if on data, called in a for", Submodule,
     lambda: (_x(),)),
    ("module_list", "ModuleList loop with an if on data", ModuleListLoop, lambda: (_x(),)),
    ("early_return", "early return on data", EarlyReturn, lambda: (_x(),)),
    ("raise_untaken", "raise on an untaken shape branch", RaiseUntaken, lambda: (_x(),)),
    ("size_from_data", "a size read from data (int(x.sum()))", SizeFromData, lambda: (_x(),)),
    ("string_output", "str output (format of x.dim())", StringOutput, lambda: (_x(),)),
]

EXAMPLES = [
    ("multiplier", "examples/modules.py: no control flow", examples.Multiplier,
     lambda: (torch.tensor(3.0),)),
    ("threshold", "examples/modules.py: if on data", examples.Threshold,
     lambda: (torch.tensor(3.0),)),
    ("iterations", "examples/modules.py: for over an attribute", examples.Iterations,
     lambda: (torch.tensor(3.0),)),
    ("gate", "examples/gate.py: if on shape, for over batch, if on data", gate.Gate,
     gate.sample),
]

ZOO_NAMES = ["resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "squeezenet1_0",
             "conv_tasnet"]


def zoo_rows():
    rows = []
    for name in ZOO_NAMES:
        model = zoo.BY_NAME[name]
        what = ("zoo: torchaudio, small config" if name == "conv_tasnet"
                else "zoo: torchvision, weights=None")
        rows.append((name, what, model.build,
                     lambda model=model: model.sample(1)))
    return rows


# --------------------------------------------------------------------------- checks

def error_line(exc):
    """The first line of the error and of each exception it was raised from."""
    parts = []
    while exc is not None:
        line = next((l.strip() for l in str(exc).splitlines() if l.strip()), "")
        # A tag read from uninitialized memory differs between runs.
        line = re.sub(r"InvalidTag\(\d+\)", "InvalidTag(...)", line)
        part = f"{type(exc).__name__}: {line}" if line else type(exc).__name__
        if not parts or line not in parts[-1]:
            parts.append(part)
        exc = exc.__cause__
    return ", from ".join(parts)


def control_flow_left(program):
    """The higher-order operators the program's graphs call, by name."""
    found = []
    for module in program.graph_module.modules():
        if isinstance(module, torch.fx.GraphModule):
            for node in module.graph.nodes:
                if node.op == "call_function" and isinstance(
                        node.target, torch._ops.HigherOrderOperator):
                    found.append(node.target.name())
    return found


def run_quietly(fn, *args, **kwargs):
    torch.manual_seed(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


class Side:
    """One way of converting, on one module: converted, flat, exact."""

    def __init__(self):
        self.error = None
        self.hops = []
        self.exact = None  # None: not converted; else (bool, why)
        self.seconds = 0.0

    @property
    def converted(self):
        return self.error is None

    @property
    def flat(self):
        return self.converted and not self.hops


def measure(convert, args, expected):
    side = Side()
    start = time.monotonic()
    try:
        program = run_quietly(convert)
    except Exception as e:
        side.error = error_line(e)
        side.seconds = time.monotonic() - start
        return side
    side.seconds = time.monotonic() - start
    side.hops = control_flow_left(program)
    try:
        with torch.no_grad():
            actual = run_quietly(program.module(), *args)
        assert_same(actual, expected, "output")
        side.exact = (True, "")
    except Exception as e:
        side.exact = (False, error_line(e))
    return side


def check(name, construct, build, make_sample):
    torch.manual_seed(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(build().eval())
    args = make_sample()
    with torch.no_grad():
        expected = run_quietly(scripted, *args)
    from torch._export.converter import TS2EPConverter
    alone = measure(lambda: TS2EPConverter(scripted, args).convert(), args, expected)
    through = measure(lambda: s2t.export(scripted, args, seed=SEED), args, expected)
    return dict(name=name, construct=construct, alone=alone, s2t=through)


# --------------------------------------------------------------------------- report

S2T_TS2EP_FAILED = "Error: torch.export's converter (TS2EPConverter) failed on the flat module: "


def cell_converted(side):
    if side.converted:
        return "yes"
    error = side.error
    if error.startswith(S2T_TS2EP_FAILED):  # s2t.Error wrapping TS2EP's error
        error = "TS2EP: " + error[len(S2T_TS2EP_FAILED):]
    return "no: `" + error.replace("|", "\\|") + "`"


def cell_flat(side):
    if not side.converted:
        return ""
    if not side.hops:
        return "yes"
    kinds = sorted(set(side.hops))
    return "no: " + ", ".join(f"{k} ×{side.hops.count(k)}" for k in kinds)


def cell_exact(side):
    if side.exact is None:
        return ""
    ok, why = side.exact
    return "yes" if ok else "no: `" + why.replace("|", "\\|") + "`"


def totals(rows, key):
    sides = [row[key] for row in rows]
    n = len(sides)
    converted = sum(s.converted for s in sides)
    flat = sum(s.flat for s in sides)
    exact = sum(bool(s.exact and s.exact[0]) for s in sides)
    both = sum(bool(s.flat and s.exact and s.exact[0]) for s in sides)
    return dict(n=n, converted=converted, flat=flat, exact=exact, both=both)


def render(rows, seconds):
    alone, through = totals(rows, "alone"), totals(rows, "s2t")
    n = alone["n"]
    lines = [
        BEGIN,
        "",
        f"torch {torch.__version__}, s2t at the checkout's build; {n} modules; "
        f"{seconds:.0f} s on this machine. Regenerated by:",
        "",
        "```",
        COMMAND,
        "```",
        "",
        f"- TS2EP alone: {alone['both']}/{n} flat and exact "
        f"(converted {alone['converted']}/{n}, no cond/loop {alone['flat']}/{n}, "
        f"exact {alone['exact']}/{n}).",
        f"- s2t then TS2EP: {through['both']}/{n} flat and exact "
        f"(converted {through['converted']}/{n}, no cond/loop {through['flat']}/{n}, "
        f"exact {through['exact']}/{n}).",
        "",
        "| module | what | TS2EP alone: converted | no cond/loop | exact "
        "| s2t.export: converted | no cond/loop | exact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        a, s = row["alone"], row["s2t"]
        lines.append(
            f"| {row['name']} | {row['construct']} | {cell_converted(a)} | {cell_flat(a)} "
            f"| {cell_exact(a)} | {cell_converted(s)} | {cell_flat(s)} | {cell_exact(s)} |")
    lines += ["", END]
    return "\n".join(lines)


def write_doc(path, section):
    with open(path) as f:
        text = f.read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"{path} has no {BEGIN} ... {END} markers")
    text = pattern.sub(lambda _: section, text, count=1)
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "torch-export.md"))
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="NAME")
    parser.add_argument("--no-zoo", action="store_true")
    options = parser.parse_args()
    if tuple(int(p) for p in re.findall(r"\d+", torch.__version__)[:2]) < (2, 5):
        sys.exit(f"bench/torch_export.py needs torch 2.5 or newer (TS2EPConverter); "
                 f"this is {torch.__version__}: run it inside the Debian 13 root")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    cases = EXAMPLES + SMALL + ([] if options.no_zoo else zoo_rows())
    if options.only:
        unknown = set(options.only) - {c[0] for c in cases}
        if unknown:
            sys.exit(f"unknown module(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c[0] in options.only]
    start = time.monotonic()
    rows = []
    for case in cases:
        try:
            row = check(*case)
        except Exception:  # the scripted module itself fails: a bug of this script
            traceback.print_exc()
            sys.exit(f"{case[0]}: building or scripting the module failed")
        rows.append(row)
        a, s = row["alone"], row["s2t"]
        print(f"{row['name']:<20} TS2EP alone: {cell_converted(a)[:70]:<40} "
              f"flat={cell_flat(a) or '-'} exact={cell_exact(a)[:40] or '-'} "
              f"({a.seconds:.1f}s) | s2t.export: {cell_converted(s)[:70]} "
              f"flat={cell_flat(s) or '-'} exact={cell_exact(s)[:40] or '-'} "
              f"({s.seconds:.1f}s)", flush=True)
    section = render(rows, time.monotonic() - start)
    print()
    print("\n".join(line for line in section.splitlines() if line.startswith("- ")))
    if not (options.no_doc or options.only):
        write_doc(options.doc, section)
        print(f"wrote {os.path.relpath(options.doc, REPO)}")


if __name__ == "__main__":
    main()
