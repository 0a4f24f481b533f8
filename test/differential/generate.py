"""Random TorchScript programs for s2t's differential tests.

`generate(seed)` returns a `Program`: the Python source of a module `Program`
(an nn.Module whose `forward` may call generated free functions and methods),
the forward's arguments, and `make_sample(rng)` to draw a sample for them.
`/usr/bin/python3 generate.py SEED` prints one program and a sample.

What the programs use: nested ifs on data (`bool(t.sum() > c)`), on shapes
(`x.size(0) == k`), on scalar arguments, on `Optional` None-ness; for loops
over ranges (constant, from int arguments, from sizes, from tensor data),
over lists, dict values and items, with enumerate; while loops on data,
bounded by a counter; break, continue, early return (also from loops and
helpers); lists of tensors and ints grown in loops (append, insert, extend,
+=, item assignment, aliases, copies, comprehensions, slices, stack, cat,
len, indexing); tuples (construct, unpack, index); dicts with str keys;
Optional locals; helper functions and methods (one mutates a list argument
in place); in-place ops (add_, mul_, clamp_, +=, ...) on tensors and on views
of them (view, select, slices, t()); explicit raise / assert, and list indexing
from an int argument, which may fail on the sample; `with` on objects of a
TorchScript class (`Ctx`) whose __enter__ and __exit__ change a float
attribute and write in place to the tensor it holds, maybe bound with `as`,
nested, re-entered, and left by break, continue or return.

Every tensor has one of a few shape classes derived from the sample's x of
shape (a, b), so that every generated op is valid: FULL (a, b), ROW (b,),
COL (a, 1), SCALAR (), FLAT (a*b,), TRANS (b, a). Values stay finite:
growth is bounded by clamps on loop-carried values, exp only of tanh, sqrt
only of |t| + c, division only by |t| + 1.
"""
import random
import sys

FULL, ROW, COL, SCALAR, FLAT, TRANS = "full", "row", "col", "scalar", "flat", "trans"
# Which classes broadcast to (and keep) a target class.
COMPAT = {
    FULL: (FULL, ROW, COL, SCALAR),
    ROW: (ROW, SCALAR),
    COL: (COL, SCALAR),
    SCALAR: (SCALAR,),
    FLAT: (FLAT, SCALAR),
    TRANS: (TRANS, SCALAR),
}

# Variable kinds.
TENSOR, INT, FLOAT, TLIST, ILIST, TDICT, TUPLE, OPT, CTX = (
    "tensor", "int", "float", "tlist", "ilist", "tdict", "tuple", "opt", "ctx")

# The context manager of `with` statements: __enter__ and __exit__ change an
# attribute and write to the tensor it holds (a variable of the program);
# `as` gets a tensor of that tensor's class.
CTX_CLASS = """class Ctx:
    def __init__(self, t: Tensor, k: float):
        self.t = t
        self.k = k
        self.depth = 0

    def __enter__(self) -> Tensor:
        self.depth += 1
        self.k = self.k + 0.5
        self.t.add_(0.25)
        return self.t * self.k

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        self.depth -= 1
        self.k = self.k * 0.5
        self.t.mul_(0.5)
"""


class Var:
    def __init__(self, name, kind, cls=None, comps=None, readonly=False, nonempty=True):
        self.name = name
        self.kind = kind
        self.cls = cls              # tensor class, or element class of a list/dict
        self.comps = comps          # tuple components: [(kind, cls)]
        self.readonly = readonly    # refined Optionals, loop variables, arguments of lists
        self.nonempty = nonempty


class Func:
    """One function being generated: its lines, scopes and return type."""

    def __init__(self, ret):
        self.lines = []
        self.scopes = [{}]
        self.ret = ret              # list of components: ("tensor", cls) | ("int",) | ...
        self.loops = []             # kinds of enclosing loops: "for" | "while"
        self.depth = 0
        self.has_self = False       # a method: self.scale, self.sizes, submodules
        self.name_stack = []
        self.no_inplace_cond = False
        self.withs = 0              # enclosing `with` statements
        self.with_loops = 0         # enclosing loops outside the innermost `with`
        self.returned = False       # a `return` was emitted before the end
        self.loop_jumped = []       # per enclosing loop: a break or continue was emitted

    def emit(self, indent, text):
        self.lines.append("    " * indent + text)

    def visible(self):
        seen = {}
        for scope in self.scopes:
            seen.update(scope)
        return list(seen.values())

    def add(self, var):
        self.scopes[-1][var.name] = var
        return var


def ret_type(comps):
    names = [type_name(c) for c in comps]
    return names[0] if len(names) == 1 else "Tuple[" + ", ".join(names) + "]"


def type_name(comp):
    kind = comp[0]
    return {TENSOR: "Tensor", INT: "int", FLOAT: "float", TLIST: "List[Tensor]",
            ILIST: "List[int]", TDICT: "Dict[str, Tensor]", OPT: "Optional[Tensor]"}[kind]


class Generator:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.counter = 0
        self.helpers = []           # (name, kind, signature info)
        self.methods = []
        self.submodules = []        # attribute names of the Program's submodules
        self.raises = 0
        self.uses_ctx = False       # a `with` was generated: the program defines Ctx

    # ----------------------------------------------------------- utilities
    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(list(seq))

    def fconst(self):
        return self.pick(["0.0", "0.5", "-0.5", "1.0", "-1.0", "1.5", "2.0", "-2.0", "0.25", "3.0"])

    def vars_of(self, f, kind, cls=None, writable=False):
        out = [v for v in f.visible() if v.kind == kind and (cls is None or v.cls == cls)]
        if writable:
            out = [v for v in out if not v.readonly]
        return out

    # ------------------------------------------------------------ tensors
    def full_var(self, f):
        return self.pick(self.vars_of(f, TENSOR, FULL))

    def derive(self, f, cls):
        """A tensor of class `cls` derived from a FULL one."""
        v = self.tensor_leaf(f, FULL, derive=False)
        if cls == FULL:
            return v
        if cls == ROW:
            options = [f"{v}.mean(0)", f"{v}[0]", f"{v}.sum(0)", f"{v}.select(0, -1)",
                       f"{v}.amax(0)", f"torch.arange({v}.size(-1)).float()",
                       f"{v}[{self.iexpr(f, 1)} % {v}.size(0)]"]
            rows = [w.name for w in self.vars_of(f, TENSOR, FULL)]
            options.append(f"{self.pick(rows)}[{self.iexpr(f, 1)} % len({self.pick(rows)})]")
            return self.pick(options)
        if cls == COL:
            return self.pick([f"{v}.sum(1, keepdim=True)", f"{v}[:, :1]",
                              f"{v}.narrow(1, 0, 1)", f"{v}.mean(-1, keepdim=True)"])
        if cls == SCALAR:
            return self.reduce(v)
        if cls == FLAT:
            return self.pick([f"{v}.reshape(-1)", f"{v}.flatten()"])
        if cls == TRANS:
            return self.pick([f"{v}.t()", f"{v}.transpose(0, 1)"])
        raise AssertionError(cls)

    def reduce(self, v):
        return self.pick([f"{v}.sum()", f"{v}.mean()", f"{v}.max()", f"{v}.min()",
                          f"{v}.abs().sum()", f"{v}.norm()"])

    def tensor_leaf(self, f, cls, derive=True):
        """An expression of exactly class `cls` made of variables."""
        options = []
        for v in self.vars_of(f, TENSOR, cls):
            options.append((3, v.name))
        for v in self.vars_of(f, TUPLE):
            for i, comp in enumerate(v.comps):
                if comp == (TENSOR, cls):
                    options.append((1, f"{v.name}[{i}]"))
        for v in self.vars_of(f, TLIST):
            if v.cls == cls and v.nonempty:
                options.append((1, self.pick([f"{v.name}[-1]", f"{v.name}[0]",
                                              f"{v.name}[len({v.name}) - 1]"])))
            if v.nonempty and v.cls == cls and cls in (FULL, ROW):
                options.append((1, self.pick([f"torch.stack({v.name}).sum(0)",
                                              f"torch.stack({v.name}).mean(0)",
                                              f"torch.stack({v.name})[-1]"])))
            if v.cls == cls and cls in (FULL, ROW) and not v.nonempty:
                options.append((1, f"torch.stack({v.name} + [{self.vars_of(f, TENSOR, cls)[0].name if self.vars_of(f, TENSOR, cls) else self.derive(f, cls)}]).sum(0)"))
            if v.nonempty and v.cls == FULL and cls == ROW:
                options.append((1, f"torch.cat({v.name}).sum(0)"))
            if v.nonempty and v.cls == FULL and cls == COL:
                options.append((1, f"torch.cat({v.name}, 1).sum(1, keepdim=True)"))
            if v.nonempty and cls == SCALAR:
                options.append((1, f"torch.cat({v.name}).sum()"))
        for v in self.vars_of(f, TDICT):
            if v.cls == cls:
                options.append((1, f'{v.name}["a"]'))
        if cls == SCALAR:
            others = [v for v in self.vars_of(f, TENSOR)]
            if others:
                options.append((2, self.reduce(self.pick(others).name)))
            options.append((1, f"torch.tensor({self.fconst()})"))
        if cls == FULL and self.chance(0.15):
            v = self.full_var(f).name
            options.append((1, self.pick([
                f"torch.ones_like({v})", f"torch.zeros({v}.shape)", f"{v}.new_zeros({v}.size())",
                f"torch.full_like({v}, {self.fconst()})", f"{v}.view({v}.size(0), -1)",
                f"{v}.reshape({v}.shape)", f"{v}.expand({v}.size(0), {v}.size(1))",
                f"{v}.contiguous()", f"{v}.clone()", f"{v}.detach()",
                f"{v}.t().t()", f"torch.cat([{v}[:1], {v}[1:]])",
                f"{v}.flatten().view({v}.shape)"])))
        if cls == SCALAR and self.chance(0.3):
            v = self.full_var(f).name
            options.append((1, self.pick([f"{v}[{v} > {self.fconst()}].sum()",
                                          f"torch.masked_select({v}, {v} < 0.5).sum()",
                                          f"{v}.nonzero().float().sum()"])))
        if cls == SCALAR:
            for v in self.vars_of(f, ILIST):
                options.append((1, f"torch.tensor({v.name}).float().sum()"))
        if f.has_self and self.chance(0.2) and cls in (FULL, SCALAR):
            options.append((1, "self.offset" if cls == SCALAR else
                            f"({self.full_var(f).name} * self.scale + self.offset)"))
        if derive and cls != FULL:
            options.append((1, self.derive(f, cls)))
        if not options:
            return self.derive(f, cls)
        total = sum(w for w, _ in options)
        x = self.r.uniform(0, total)
        for w, text in options:
            x -= w
            if x <= 0:
                return text
        return options[-1][1]

    def texpr(self, f, cls, depth=2):
        """A tensor expression of exactly class `cls`."""
        if depth <= 0 or self.chance(0.3):
            return self.tensor_leaf(f, cls)
        a = self.texpr(f, cls, depth - 1)
        choice = self.r.random()
        if choice < 0.06:
            return f"({a} if {self.cond(f, 0)} else {self.texpr(f, cls, depth - 1)})"
        if choice < 0.45:
            ops = ["torch.relu({a})", "torch.tanh({a})", "torch.sigmoid({a})", "{a}.abs()",
                   "(-{a})", "torch.sin({a})", "torch.cos({a})", "{a}.clamp(-1.0, 1.0)",
                   "({a} * {c})", "({a} + {c})", "({a} - {c})", "torch.floor({a})",
                   "({a} / 2.0)", "torch.exp(torch.tanh({a}))", "torch.sqrt({a}.abs() + 0.5)",
                   "torch.round({a})", "torch.tanh({a}).pow(2)", "({a} * {i})", "({a} + {i})",
                   "({a} * {fl})", "({a} > {c}).float()", "{a}.long().float()",
                   "{a}.double().float()", "{a}.half().float()", "({a}).to(torch.float64).float()",
                   "torch.sign({a})", "{a}.frac()", "torch.trunc({a})", "({a} % 1.5)",
                   "torch.remainder({a}, 0.75)", "({a} // 0.5)", "(2.0 - {a})",
                   "{a}.masked_fill({a} < {c}, {c2})"]
            if cls != SCALAR:
                ops += ["{a}.softmax(-1)", "{a}.cumsum(-1)", "{a}.flip(0)"]
            op = self.pick(ops)
            return op.format(a=a, c=self.fconst(), c2=self.fconst(), i=self.iexpr(f, 1),
                             fl=self.fexpr(f, 1))
        b = self.texpr(f, self.pick(COMPAT[cls]), depth - 1)
        if self.chance(0.5):
            a, b = b, a
        op = self.pick(["({a} + {b})", "({a} - {b})", "(torch.tanh({a}) * {b})",
                        "torch.maximum({a}, {b})", "torch.minimum({a}, {b})",
                        "torch.add({a}, {b}, alpha=2)", "({a} / ({b}.abs() + 1.0))",
                        "torch.where({a} > {b}, {a}, {b})"])
        return op.format(a=a, b=b)

    # ------------------------------------------------------------ scalars
    def iexpr(self, f, depth=2):
        leaves = [str(self.r.randint(0, 4))]
        for v in self.vars_of(f, INT):
            leaves += [v.name] * 2
        tensors = [v for v in self.vars_of(f, TENSOR) if v.cls != SCALAR]
        if tensors:
            v = self.pick(tensors).name
            leaves += [f"{v}.size(0)", f"{v}.size(-1)", f"{v}.dim()", f"{v}.numel()",
                       f"len({v})", f"{v}.shape[0]", f"{v}.shape[-1]", f"{v}.size()[0]"]
        if self.chance(0.3):
            leaves.append(self.shape_expr(f))
        alltensors = self.vars_of(f, TENSOR)
        if alltensors and self.chance(0.3):
            v = self.pick(alltensors).name
            leaves += [f"int({v}.argmax())", f"int({v}.sum() > 0)",
                       f"int({v}.abs().sum()) % 4", f"({v} > {self.fconst()}).nonzero().size(0)",
                       f"{self.full_var(f).name}[{self.full_var(f).name} < {self.fconst()}].numel()", f"int(({v} > 0.5).sum())"]
        for v in self.vars_of(f, TLIST) + self.vars_of(f, TDICT):
            leaves.append(f"len({v.name})")
        for v in self.vars_of(f, ILIST):
            leaves += [f"{v.name}[-1]", f"{v.name}[0]", f"len({v.name})",
                       self.pick([f"sum({v.name})", f"max({v.name})", f"min({v.name})",
                                  f"{v.name}[{self.r.randint(0, 5)} % len({v.name})]"])]
        if self.vars_of(f, FLOAT) and self.chance(0.2):
            leaves.append(f"int({self.pick(self.vars_of(f, FLOAT)).name}) % 5")
        if f.has_self and self.chance(0.2):
            leaves.append("self.sizes[-1]")
        for v in self.vars_of(f, TUPLE):
            for i, comp in enumerate(v.comps):
                if comp[0] == INT:
                    leaves.append(f"{v.name}[{i}]")
        leaf = self.pick(leaves)
        if depth <= 0 or self.chance(0.5):
            return leaf
        other = self.iexpr(f, depth - 1)
        op = self.pick(["({a} + {b})", "({a} - {b})", "({a} * {k})", "({a} // {k})",
                        "({a} % {k})", "max({a}, {b})", "min({a}, {b})", "abs({a} - {b})",
                        "(({a} - {k}) // 2)", "(({a} - {k}) % 3)",
                        "({a} if {c} else {b})"])
        if "{c}" in op:
            return op.format(a=leaf, b=other, c=self.cond(f, 0))
        return op.format(a=leaf, b=other, k=self.r.randint(1, 3))

    def small_iexpr(self, f):
        """An int expression that stays small: for range() bounds."""
        e = self.iexpr(f, 1)
        return self.pick([f"min({e}, 4)", f"{e} % 4", f"min(max({e}, 0), 3)"])

    def fexpr(self, f, depth=1):
        leaves = [self.fconst()]
        if f.has_self:
            leaves.append("self.scale")
        for v in self.vars_of(f, FLOAT):
            leaves += [v.name] * 2
        tensors = self.vars_of(f, TENSOR)
        if tensors and self.chance(0.4):
            v = self.pick(tensors).name
            leaves += [f"float({v}.sum())", f"float({v}.mean())", f"{v}.max().item()"]
        for v in self.vars_of(f, CTX):
            leaves += [f"{v.name}.k", f"float({v.name}.depth)"]
        leaf = self.pick(leaves)
        if leaf.endswith(".item()"):
            leaf = f"float({leaf})"
        if depth <= 0 or self.chance(0.5):
            return leaf
        op = self.pick(["({a} + {b})", "({a} * 0.5)", "({a} - {b})", "float({i})",
                        "min({a}, {b})"])
        return op.format(a=leaf, b=self.fexpr(f, depth - 1), i=self.iexpr(f, 0))

    def cond(self, f, depth=1, implicit=True):
        """A bool expression; with `implicit`, maybe a 1-element tensor that `if`
        and `while` turn into a bool."""
        options = []
        tensors = self.vars_of(f, TENSOR)
        v = self.pick(tensors).name
        c = self.fconst()
        options += [(4, f"bool({self.reduce(v)} > {c})"),
                    (1, f"bool(({v} > {c}).any())"),
                    (1, f"bool(({v} < {c}).all())"),
                    (1 if implicit else 0, f"{self.reduce(v)} < {c}"),
                    (1, f"{v}.sum().item() > {c}"),
                    (1, f"bool({v}.sum() != {v}.sum())" if self.chance(0.3)
                        else f"{v}.dtype == torch.float32"),
                    (0.3, f"{v}.is_floating_point()"),
                    (0.2, "torch.jit.is_scripting()"),
                    (0.3, f"bool({v}.add_({self.pick(['0.25', '-0.5'])}).sum() > {c})"
                        if not f.no_inplace_cond else f"bool({v}.sum() > {c})")]
        nonscalar = [t for t in tensors if t.cls != SCALAR]
        if nonscalar:
            t = self.pick(nonscalar).name
            options += [(2, f"{t}.size(0) == {self.r.randint(1, 3)}"),
                        (1, f"{t}.size(-1) > {self.r.randint(1, 3)}"),
                        (1, f"{t}.numel() >= {self.r.randint(2, 6)}")]
        options.append((3, f"{self.iexpr(f, 1)} {self.pick(['>', '<', '==', '!=', '>=', '<='])} "
                           f"{self.r.randint(0, 3)}"))
        # Metadata of computed tensors: decided from shapes and dtypes alone.
        e = self.texpr(f, self.pick([FULL, ROW, COL, SCALAR]), 1)
        options += [(0.5, f"{e}.dim() == {self.r.randint(0, 2)}"),
                    (0.5, f"{e}.dtype == torch.{self.pick(['float32', 'float64', 'int64'])}"),
                    (0.5, f"{self.dtype_expr(f)}.dtype == torch.{self.pick(['float32', 'float64', 'int64', 'bool', 'float16'])}"),
                    (0.3, f"{self.dtype_expr(f)}.is_floating_point()"),
                    (0.3, f"{v}.is_contiguous()"),
                    (0.2, f"{v}.requires_grad"),
                    (0.3, f"{self.full_var(f).name}.stride(0) == 1")]
        options.append((1, f"{self.fexpr(f)} > {self.fconst()}"))
        for a in self.vars_of(f, TLIST) + self.vars_of(f, ILIST):
            k = self.r.randint(1, 3)
            options.append((1, f"len({a.name}) {self.pick(['>', '<'])} {k}"))
            if a.kind == TLIST:
                # Short-circuit: the index is valid only when the first test holds.
                options.append((1, f"len({a.name}) > {k} and bool({a.name}[{k}].sum() > {c})"))
        for d in self.vars_of(f, TDICT):
            options.append((1, f'"{self.pick(["a", "b", "c", "k0", "k1"])}" in {d.name}'))
        ints = self.vars_of(f, INT)
        if ints and self.chance(0.2):
            options.append((1, f"0 < {self.pick(ints).name} < 3"))
        for a in self.vars_of(f, "bool"):
            options.append((2, a.name))
        for a in self.vars_of(f, "str"):
            options.append((2, f'{a.name} == "{self.pick("ab")}"'))
        total = sum(w for w, _ in options)
        x = self.r.uniform(0, total)
        text = options[-1][1]
        for w, t in options:
            x -= w
            if x <= 0:
                text = t
                break
        if depth > 0 and self.chance(0.2):
            text = f"{text} {self.pick(['and', 'or'])} {self.cond(f, depth - 1)}"
        elif self.chance(0.08):
            text = f"not ({text})"
        return text

    def shape_expr(self, f):
        """A size of a computed tensor: decided from shapes alone (on meta
        tensors or by s2t's own shape functions), never from data."""
        v = self.full_var(f).name
        e = self.pick([v, self.texpr(f, FULL, 1)])
        d = self.pick(["0", "1", "-1"])
        return self.pick([
            f"({e} @ {v}.t()).size({d})", f"({v}.t() @ {e}).size(0)",
            f"torch.matmul({e}, {v}.t()).size(-1)", f"torch.mm({v}, {e}.t()).size(1)",
            f"{e}.unsqueeze(1).expand(-1, 2, -1).size(1)", f"torch.cat([{e}, {v}], 1).size(1)",
            f"torch.cat([{e}, {v}]).size(0)", f"torch.stack([{e}, {v}], 2).size(2)",
            f"torch.stack([{e}, {v}]).size(0)", f"{e}.repeat(2, 1).size(0)",
            f"{e}.repeat(1, 3).size(-1)", f"{e}.flatten().size(0)", f"{e}[1:].size(0)",
            f"{e}[:, ::2].size(1)", f"{e}[:, 1:3].size(-1)", f"{e}[-2:].size(0)",
            f"{e}.chunk(2)[0].size(0)", f"len({e}.chunk(2, 1))", f"{e}.split(2, 1)[-1].size(1)",
            f"len({e}.split(1))", f"len({e}.unbind(1))",
            f"torch.nn.functional.pad({e}, [1, 2]).size(-1)",
            f"torch.nn.functional.pad({e}, [0, 0, 1, 0]).size(0)",
            f"{e}.narrow(0, 0, 1).size(0)", f"{e}.diag().size(0)", f"{e}.tril().size(1)",
            f"torch.topk({e}.flatten(), 1)[0].size(0)", f"{e}.max(0)[1].size(0)",
            f"{e}.sum(0, keepdim=True).size(0)", f"{e}.mean([0, 1]).dim()",
            f"{e}.view(-1, 1).size(0)", f"{e}.reshape(1, -1).size(1)",
            f"{e}.permute(1, 0).size(0)", f"{e}.transpose(0, 1).size(-1)",
            f"{e}.squeeze().dim()", f"{e}.squeeze(0).dim()", f"{e}.unsqueeze(-1).dim()",
            f"torch.broadcast_tensors({e}, {v}[0])[1].size(0)",
            f"({e} + {v}[:, :1]).size(1)", f"({e}[0] * {v}[:, :1]).size(0)",
            f"{e}.new_empty([{v}.size(1), 2]).size(0)", f"torch.outer({e}[0], {v}[:, 0]).size(1)",
            f"{e}.expand_as({v}).size(0)", f"torch.flatten({e}, 0).size(0)",
            f"{e}.cumsum(0).size(0)", f"torch.sort({e}, 1)[0].size(1)",
            f"{e}.softmax(0).size(0)", f"torch.roll({e}, 1, 0).size(0)",
            f"torch.kron({e}, {v}).size(0)", f"torch.cross(torch.zeros(3, {v}.size(1)), torch.ones(3, {v}.size(1)), 0).size(1)",
            f"torch.einsum('ij,kj->ik', {e}, {v}).size(1)", f"torch.tensordot({e}, {v}, 2).dim()",
            f"torch.nn.functional.avg_pool1d({e}.unsqueeze(0), 1).size(-1)",
            f"torch.nn.functional.interpolate({e}.unsqueeze(0), scale_factor=2.0).size(-1)",
            f"torch.nn.functional.conv1d({e}.unsqueeze(0), torch.ones(2, {v}.size(0), 1)).size(1)",
            f"torch.nn.functional.conv2d({e}.unsqueeze(0).unsqueeze(0), torch.ones(1, 1, 1, 1), padding=1).size(-1)",
            f"torch.nn.functional.max_pool2d({e}.unsqueeze(0), 1, 1).size(-1)",
            f"torch.nn.functional.linear({e}, torch.ones(3, {v}.size(1))).size(-1)",
            f"torch.nn.functional.embedding(torch.zeros(2, 5, dtype=torch.long), {e}).size(1)",
            f"torch.nn.functional.one_hot(torch.tensor([{v}.size(0)]), 6).size(1)",
            f"torch.nn.functional.unfold({e}.unsqueeze(0).unsqueeze(0), 1).size(1)",
            f"torch.nn.functional.layer_norm({e}, [{v}.size(1)]).size(1)",
            f"{e}.index_select(0, torch.tensor([0, 0, 0])).size(0)",
            f"{e}.gather(1, torch.zeros({v}.size(0), 5, dtype=torch.long)).size(1)",
            f"{e}.masked_select({v} > 0).dim()", f"torch.triu_indices(3, 3).size(1)",
            f"torch.meshgrid({e}[0], {v}[:, 0], indexing='ij')[0].size(0)",
            f"torch.block_diag({e}, {v}).size(0)", f"torch.cdist({e}, {v}).size(1)",
            f"torch.atleast_3d({e}).dim()", f"torch.take_along_dim({e}, torch.zeros(1, 1, dtype=torch.long), 1).size(1)",
        ])

    def dtype_expr(self, f):
        """A tensor expression whose dtype follows promotion rules."""
        v = self.pick(self.vars_of(f, TENSOR)).name
        return self.pick([f"({v} > 0).sum()", f"{v}.long()", f"({v}.long() + 1.5)",
                          f"({v}.long() / 2)", f"({v}.long() // 2)", f"({v}.half() + {v})",
                          f"({v}.half() * 2)", f"({v}.double() + {v})", f"({v} > 0)",
                          f"torch.tensor(3)", f"({v}.long() * 2)",
                          f"torch.cat([{v}.reshape(-1).long(), {v}.reshape(-1)])",
                          f"(torch.zeros(2, dtype=torch.int32) + {v}.sum().long())",
                          f"torch.where({v} > 0, {v}.long(), 1)", f"{v}.mean()",
                          "(torch.arange(3) * 0.5)", f"{v}.to(torch.float16).sum()"])

    # ------------------------------------------------------------ statements
    def block(self, f, indent, budget):
        """Emits statements; returns True when the block ends in a jump."""
        if f.depth == 0:
            n = self.r.randint(budget // 2 + 2, budget + 4)
        else:
            n = self.r.randint(1, max(1, min(budget, 4)))
        for _ in range(n):
            if self.statement(f, indent, budget):
                return True
        return False

    def statement(self, f, indent, budget):
        nested = f.depth < 3 and budget > 1
        # TorchScript 1.13 cannot compile a `with` after an exit that may be
        # taken (return, or break / continue of an enclosing loop): an internal
        # assert in its exit transform, which moves the `with` into a guard.
        if nested and self.chance(0.04) and not f.returned and not any(f.loop_jumped):
            return self.with_stmt(f, indent, budget)
        r = self.r.random()
        if nested and r < 0.16:
            return self.if_stmt(f, indent, budget)
        if nested and r < 0.26:
            self.for_stmt(f, indent, budget)
            return False
        if nested and r < 0.30:
            self.while_stmt(f, indent, budget)
            return False
        if nested and r < 0.33:
            self.iter_stmt(f, indent, budget)
            return False
        if r < 0.36 and len(f.loops) > f.with_loops:
            return self.jump_stmt(f, indent)
        if r < 0.38 and f.depth > 0 and not f.withs:
            f.emit(indent, f"return {self.ret_expr(f)}")
            f.returned = True
            return True
        if 0.38 <= r < 0.384:
            self.raise_stmt(f, indent)
            return False
        if r < 0.41:
            self.bool_stmt(f, indent)
            return False
        if r < 0.44:
            self.setitem_stmt(f, indent)
            return False
        if r < 0.48 and f.has_self and self.submodules:
            self.submodule_stmt(f, indent)
            return False
        if r < 0.53:
            self.call_stmt(f, indent)
            return False
        if r < 0.57:
            self.cse_stmt(f, indent)
            return False
        self.simple(f, indent)
        return False

    def mutation(self, f):
        """An in-place write to a tensor, maybe reached through a structure."""
        options = []
        for v in self.vars_of(f, TENSOR):
            options.append(f"{v.name}.{self.pick(['add_(1.0)', 'mul_(-0.5)', 'zero_()', 'clamp_(0.0, 1.0)', 'sub_(0.25)'])}")
        for v in self.vars_of(f, TLIST):
            if v.nonempty:
                options.append(f"{v.name}[{self.pick(['0', '-1'])}].add_(1.0)")
        for v in self.vars_of(f, TDICT):
            options.append(f'{v.name}["a"].mul_(2.0)')
        for v in self.vars_of(f, TUPLE):
            if v.comps[0][0] == TENSOR:
                options.append(f"{v.name}[0].add_(0.5)")
        full = self.vars_of(f, TENSOR, FULL)
        v = self.pick(full).name
        options += [f"{v}[0] = {self.fconst()}", f"{v}[:, -1] = {self.fconst()}",
                    f"{v}.view(-1)[0] = {self.fconst()}", f"{v}.t()[0].add_(1.0)",
                    f"{v}.select(1, 0).mul_(-1.0)", f"{v}.unsqueeze(0).add_(1.0)"]
        return self.pick(options)

    def cse_stmt(self, f, indent):
        """The same pure expression before and after an in-place write: the two
        must not be merged when the write reaches the expression's inputs."""
        cls = self.pick([FULL, FULL, ROW, SCALAR])
        e = self.texpr(f, cls, 1)
        a, b = self.fresh("t"), self.fresh("t")
        f.emit(indent, f"{a} = {e}")
        f.emit(indent, self.mutation(f))
        f.emit(indent, f"{b} = {e}")
        f.add(Var(a, TENSOR, cls))
        f.add(Var(b, TENSOR, cls))

    def bool_stmt(self, f, indent):
        bools = [v for v in self.vars_of(f, "bool") if not v.readonly]
        if bools and self.chance(0.6):
            b = self.pick(bools).name
            f.emit(indent, self.pick([f"{b} = {self.cond(f, implicit=False)}",
                                      f"{b} = {b} and {self.cond(f, 0)}",
                                      f"{b} = not {b}", f"{b} = {b} or {self.cond(f, 0)}"]))
        else:
            b = self.fresh("b")
            f.emit(indent, f"{b} = {self.cond(f, implicit=False)}")
            f.add(Var(b, "bool"))

    def setitem_stmt(self, f, indent):
        v = self.pick(self.vars_of(f, TENSOR, FULL)).name
        f.emit(indent, self.pick([
            f"{v}[0] = {self.texpr(f, ROW, 1)}",
            f"{v}[-1] = {self.texpr(f, SCALAR, 0)}",
            f"{v}[:, 0] = {self.fconst()}",
            f"{v}[:, :1] = {self.texpr(f, COL, 1)}",
            f"{v}[{v} > {self.fconst()}] = {self.fconst()}",
            f"{v}[{self.iexpr(f, 1)} % {v}.size(0)] = {self.texpr(f, ROW, 1)}",
            f"{v}.copy_({self.texpr(f, self.pick(COMPAT[FULL]), 1)})",
            f"{v}.masked_fill_({v} < {self.fconst()}, {self.fconst()})",
            f"{v}.{self.pick(['abs_()', 'tanh_()', 'sigmoid_()', 'floor_()', 'neg_()'])}",
        ]))

    def submodule_stmt(self, f, indent):
        v = self.pick([w for w in self.vars_of(f, TENSOR, FULL) if not w.readonly] or [None])
        if v is None or self.chance(0.4):
            t = self.fresh("t")
            f.emit(indent, f"{t} = self.{self.pick(self.submodules)}({self.texpr(f, FULL, 1)})")
            f.add(Var(t, TENSOR, FULL))
        else:
            mod = self.fresh("mod")
            f.emit(indent, f"for {mod} in self.subs:")
            f.emit(indent + 1, f"{v.name} = {mod}({v.name})")

    def nested(self, f, indent, budget, loop=None, setup=None):
        f.scopes.append({})
        f.depth += 1
        if loop:
            f.loops.append(loop)
            f.loop_jumped.append(False)
        if setup:
            setup()
        jumped = self.block(f, indent + 1, budget - 1)
        if loop:
            f.loops.pop()
            f.loop_jumped.pop()
        f.depth -= 1
        f.scopes.pop()
        return jumped

    def with_stmt(self, f, indent, budget):
        """`with` on a Ctx, new or entered again, maybe with another, maybe
        `as`. TorchScript 1.13 cannot compile an exit from a `with` body that
        may be taken and is followed by more of the body (an internal assert
        in its exit transform), nor a `with` after such an exit (statement()):
        inside the body nothing leaves it, but the outermost `with` may end in
        an if/else whose first branch leaves it (with_tail)."""
        self.uses_ctx = True
        items, ctxs = [], []
        for _ in range(self.pick([1, 1, 1, 2])):
            known = [v for v in self.vars_of(f, CTX) if v.name not in ctxs]
            if known and self.chance(0.3):
                c = self.pick(known)
            else:
                t = self.pick(self.vars_of(f, TENSOR, FULL))
                c = f.add(Var(self.fresh("ctx"), CTX, FULL))
                f.emit(indent, f"{c.name} = Ctx({t.name}, {self.fconst()})")
            ctxs.append(c.name)
            items.append(c.name)
        bound = None
        if self.chance(0.5):
            bound = self.fresh("t")
            items[-1] += f" as {bound}"
        f.emit(indent, f"with {', '.join(items)}:")
        outermost = f.withs == 0
        saved = f.with_loops
        f.withs += 1
        f.with_loops = len(f.loops)
        f.scopes.append({})
        f.depth += 1
        if bound:
            f.add(Var(bound, TENSOR, FULL))
        self.block(f, indent + 1, budget - 1)
        if outermost and self.chance(0.4):
            self.with_tail(f, indent + 1, budget - 1)
        f.depth -= 1
        f.scopes.pop()
        f.withs -= 1
        f.with_loops = saved
        return False

    def with_tail(self, f, indent, budget):
        """The last statement of a `with` body: an if/else whose first branch
        leaves the `with` by break or continue (in a loop) or return (in a
        loop or a block)."""
        exits = ["break", "continue"] if f.loops else []
        if f.depth > 1 or f.loops:
            exits.append("return")
        if not exits:
            return
        jump = self.pick(exits)
        f.emit(indent, f"if {self.cond(f)}:")
        self.nested(f, indent, budget)
        f.emit(indent + 1, f"return {self.ret_expr(f)}" if jump == "return" else jump)
        if jump == "return":
            f.returned = True
        else:
            f.loop_jumped[-1] = True
        f.emit(indent, "else:")
        self.nested(f, indent, budget)

    def if_stmt(self, f, indent, budget):
        opts = self.vars_of(f, OPT)
        if opts and self.chance(0.35):
            o = self.pick(opts)
            if o.cls == "int":
                refine = lambda: f.add(Var(o.name, INT, readonly=True))
            else:
                refine = lambda: f.add(Var(o.name, TENSOR, o.cls, readonly=True))
            if self.chance(0.5):
                extra = f" and {self.cond(f, 0)}" if self.chance(0.3) else ""
                f.emit(indent, f"if {o.name} is not None{extra}:")
                a = self.nested(f, indent, budget, setup=refine)
                if self.chance(0.5):
                    f.emit(indent, "else:")
                    b = self.nested(f, indent, budget)
                    return a and b
                return False
            f.emit(indent, f"if {o.name} is None:")
            a = self.nested(f, indent, budget)
            f.emit(indent, "else:")
            b = self.nested(f, indent, budget, setup=refine)
            return a and b
        f.emit(indent, f"if {self.cond(f)}:")
        jumps = [self.nested(f, indent, budget)]
        while self.chance(0.25):
            f.emit(indent, f"elif {self.cond(f)}:")
            jumps.append(self.nested(f, indent, budget))
        if self.chance(0.5):
            f.emit(indent, "else:")
            jumps.append(self.nested(f, indent, budget))
            return all(jumps)
        return False

    def for_stmt(self, f, indent, budget):
        i = self.fresh("i")
        r = self.r.random()
        if r < 0.25:
            bound = str(self.r.randint(0, 4))
        elif r < 0.45:
            ints = [v.name for v in self.vars_of(f, INT) if not v.name.startswith("i")]
            bound = self.pick(ints) if ints else str(self.r.randint(1, 3))
            bound = f"min({bound}, 5)" if self.chance(0.3) else bound
        elif r < 0.65:
            bound = f"{self.full_var(f).name}.size({self.r.randint(0, 1)})"
        else:
            bound = self.small_iexpr(f)
        if self.chance(0.2):
            rng = f"range({self.r.randint(0, 2)}, {bound})"
        elif self.chance(0.1):
            rng = f"range({bound}, 0, -1)"
        else:
            rng = f"range({bound})"
        f.emit(indent, f"for {i} in {rng}:")
        self.nested(f, indent, budget, loop="for",
                    setup=lambda: f.add(Var(i, INT, readonly=True)))

    def iter_stmt(self, f, indent, budget):
        lists = [v for v in self.vars_of(f, TLIST)]
        dicts = self.vars_of(f, TDICT)
        ilists = self.vars_of(f, ILIST)
        t = self.fresh("e")
        r = self.r.random()
        if r < 0.2:
            v = self.full_var(f).name
            f.emit(indent, f"for {t} in {self.pick([v, f'{v}.unbind(0)', f'list({v}.unbind(0))'])}:")
            setup = lambda: f.add(Var(t, TENSOR, ROW, readonly=True))
            self.nested(f, indent, budget, loop="for", setup=setup)
            return
        if r < 0.3 and len(lists) >= 1:
            a, b = self.pick(lists), self.pick(lists)
            t2 = self.fresh("e")
            f.emit(indent, f"for {t}, {t2} in zip({a.name}, {b.name}):")
            setup = lambda: (f.add(Var(t, TENSOR, a.cls, readonly=True)),
                             f.add(Var(t2, TENSOR, b.cls, readonly=True)))
            self.nested(f, indent, budget, loop="for", setup=setup)
            return
        if r < 0.35 and f.has_self:
            f.emit(indent, f"for {t} in self.sizes:")
            self.nested(f, indent, budget, loop="for",
                        setup=lambda: f.add(Var(t, INT, readonly=True)))
            return
        if lists and (not dicts or self.chance(0.6)):
            xs = self.pick(lists)
            if self.chance(0.3):
                k = self.fresh("j")
                f.emit(indent, f"for {k}, {t} in enumerate({xs.name}):")
                setup = lambda: (f.add(Var(k, INT, readonly=True)),
                                 f.add(Var(t, TENSOR, xs.cls, readonly=True)))
            else:
                f.emit(indent, f"for {t} in {xs.name}:")
                setup = lambda: f.add(Var(t, TENSOR, xs.cls, readonly=True))
        elif dicts:
            d = self.pick(dicts)
            if self.chance(0.4):
                k = self.fresh("key")
                f.emit(indent, f"for {k}, {t} in {d.name}.items():")
            elif self.chance(0.5):
                k = self.fresh("key")
                f.emit(indent, f"for {k} in {d.name}.keys():")
                f.emit(indent + 1, f"{t} = {d.name}[{k}]")
            else:
                f.emit(indent, f"for {t} in {d.name}.values():")
            setup = lambda: f.add(Var(t, TENSOR, d.cls, readonly=True))
        elif ilists:
            ks = self.pick(ilists)
            f.emit(indent, f"for {t} in {ks.name}:")
            setup = lambda: f.add(Var(t, INT, readonly=True))
        else:
            self.for_stmt(f, indent, budget)
            return
        self.nested(f, indent, budget, loop="for", setup=setup)

    def while_stmt(self, f, indent, budget):
        k = self.fresh("w")
        f.emit(indent, f"{k} = 0")
        limit = self.r.randint(1, 6)
        bools = [v for v in self.vars_of(f, "bool") if not v.readonly]
        lists = self.vars_of(f, TLIST)
        r = self.r.random()
        if r < 0.15 and bools:
            b = self.pick(bools).name
            f.emit(indent, f"while {b} and {k} < {limit}:")
            f.emit(indent + 1, f"{b} = {self.cond(f, 0, implicit=False)}")
        elif r < 0.25 and lists:
            xs = self.pick(lists).name
            f.emit(indent, f"while len({xs}) < {self.r.randint(2, 5)} and {k} < {limit}:")
        elif r < 0.85:
            f.emit(indent, f"while {self.cond(f, 0)} and {k} < {limit}:")
        else:
            f.emit(indent, f"while {k} < {limit}:")
        # The counter goes first, so that a `continue` cannot skip it.
        self.nested(f, indent, budget, loop="while",
                    setup=lambda: f.emit(indent + 1, f"{k} += 1"))

    def jump_stmt(self, f, indent):
        jump = self.pick(["break", "continue"])
        f.loop_jumped[-1] = True
        if self.chance(0.85):
            f.emit(indent, f"if {self.cond(f)}:")
            f.emit(indent + 1, jump)
            return False
        f.emit(indent, jump)
        return True     # nothing may follow it in this block

    def raise_stmt(self, f, indent):
        self.raises += 1
        c = self.cond(f, 0)
        if self.chance(0.4):
            f.emit(indent, f'assert {c}, "assertion {self.raises}"')
        elif self.chance(0.7):
            f.emit(indent, f"if {c}:")
            f.emit(indent + 1, f'raise ValueError("raise {self.raises}")')
        else:
            lists = [v for v in self.vars_of(f, TLIST) if v.cls == FULL]
            ints = [v for v in self.vars_of(f, INT) if not v.readonly]
            if lists and ints:
                t = self.fresh("t")
                f.emit(indent, f"{t} = {self.pick(lists).name}[{self.pick(ints).name}]")
                f.add(Var(t, TENSOR, FULL))
            else:
                f.emit(indent, f"if {c}:")
                f.emit(indent + 1, f'raise RuntimeError("raise {self.raises}")')

    def simple(self, f, indent):
        r = self.r.random()
        tensors = self.vars_of(f, TENSOR)
        writable = [v for v in tensors if not v.readonly]
        in_loop = bool(f.loops)
        if r < 0.20:
            cls = self.pick([FULL] * 4 + [ROW, COL, SCALAR])
            t = self.fresh("t")
            f.emit(indent, f"{t} = {self.texpr(f, cls)}")
            f.add(Var(t, TENSOR, cls))
        elif r < 0.34 and writable:
            v = self.pick(writable)
            e = self.texpr(f, v.cls)
            if in_loop:
                e = f"({e}).clamp(-{self.r.randint(4, 60)}.0, {self.r.randint(4, 60)}.0)"
            f.emit(indent, f"{v.name} = {e}")
        elif r < 0.44 and tensors:
            v = self.pick(tensors)
            op = self.r.random()
            if op < 0.35:
                f.emit(indent, f"{v.name}.add_({self.texpr(f, self.pick(COMPAT[v.cls]), 1)})")
            elif op < 0.5:
                f.emit(indent, f"{v.name}.mul_({self.pick(['0.5', '-1.0', '1.25', '-0.75'])})")
            elif op < 0.6:
                f.emit(indent, f"{v.name}.clamp_({self.pick(['-1.0', '-3.0', '0.0'])}, "
                               f"{self.pick(['1.0', '2.0', '5.0'])})")
            elif op < 0.7:
                f.emit(indent, f"{v.name}.relu_()")
            elif op < 0.8:
                f.emit(indent, f"{v.name}.sub_({self.texpr(f, SCALAR, 0)})")
            elif op < 0.9 and not v.readonly:
                f.emit(indent, f"{v.name} += {self.texpr(f, self.pick(COMPAT[v.cls]), 1)}")
            elif op < 0.95:
                f.emit(indent, f"{v.name}.mul_({self.texpr(f, SCALAR, 0)}.tanh())")
            else:
                f.emit(indent, f"{v.name}.{self.pick(['tanh_()', 'sigmoid_()', 'abs_()', 'fill_(0.5)', 'zero_()'])}")
        elif r < 0.50:
            # A view, later written through or read after a write to its base.
            v = self.pick(self.vars_of(f, TENSOR, FULL))
            w = self.fresh("v")
            view, cls = self.pick([(f"{v.name}.view(-1)", FLAT), (f"{v.name}[0]", ROW),
                                   (f"{v.name}[:, :1]", COL), (f"{v.name}.t()", TRANS),
                                   (f"{v.name}.narrow(1, 0, 1)", COL),
                                   (f"{v.name}.select(0, -1)", ROW),
                                   (f"{v.name}[-1]", ROW), (f"{v.name}", FULL)])
            f.emit(indent, f"{w} = {view}")
            f.add(Var(w, TENSOR, cls))
            if self.chance(0.6):
                f.emit(indent, f"{w}.{self.pick(['add_(1.0)', 'mul_(2.0)', 'neg_()', 'zero_()', 'fill_(0.5)', 'clamp_(-0.5, 0.5)'])}")
        elif r < 0.64:
            self.list_stmt(f, indent)
        elif r < 0.70:
            self.int_stmt(f, indent)
        elif r < 0.74:
            self.float_stmt(f, indent)
        elif r < 0.80:
            self.tuple_stmt(f, indent)
        elif r < 0.86:
            self.dict_stmt(f, indent)
        elif r < 0.90:
            self.opt_stmt(f, indent)
        else:
            self.call_stmt(f, indent)

    def list_stmt(self, f, indent):
        lists = self.vars_of(f, TLIST)
        ilists = self.vars_of(f, ILIST)
        r = self.r.random()
        if r < 0.03:
            xs = self.fresh("xs")
            f.emit(indent, f"{xs}: List[Tensor] = []")
            f.add(Var(xs, TLIST, self.pick([FULL, ROW]), nonempty=False))
            return
        if r < 0.05:
            xs = self.fresh("xs")
            f.emit(indent, f"{xs} = list({self.full_var(f).name}.unbind(0))")
            f.add(Var(xs, TLIST, ROW))
            return
        if r < 0.09 and lists:
            xs = self.pick([v for v in lists if not v.readonly] or lists)
            if not xs.readonly:
                e = self.texpr(f, xs.cls, 1)
                f.emit(indent, self.pick([f"{xs.name} = {xs.name} + [{e}]",
                                          f"{xs.name} = [{e}] + {xs.name}[:2]",
                                          f"{xs.name} = {xs.name}[1:] + [{e}]",
                                          f"{xs.name} = [{e}]"]))
                return
        if r < 0.11:
            ks = self.fresh("ks")
            v = self.full_var(f).name
            f.emit(indent, f"{ks} = {self.pick([f'list({v}.shape)', f'{v}.size()', f'[{v}.size(0), {self.iexpr(f, 1)}]'])}")
            f.add(Var(ks, ILIST))
            return
        if r < 0.13 and ilists:
            ks = self.pick(ilists).name
            f.emit(indent, self.pick([f"{ks}.sort()", f"{ks} = sorted({ks})",
                                      f"{ks}.insert(0, {self.iexpr(f, 1)})",
                                      f"{ks}.reverse()", f"{ks}[-1] = {self.iexpr(f, 1)}",
                                      f"{ks} = {ks} + [{self.iexpr(f, 1)}]"]))
            return
        if not lists or r < 0.15:
            xs = self.fresh("xs")
            cls = self.pick([FULL, FULL, ROW])
            if self.chance(0.7) or not lists:
                f.emit(indent, f"{xs} = [{self.texpr(f, cls, 1)}]")
            else:
                src = self.pick(lists)
                cls = src.cls
                form = self.pick([f"{src.name}", f"list({src.name})", f"{src.name}[:]",
                                  f"[{self.fresh('u')} * 2.0 for {self.fresh('u')} in {src.name}]",
                                  f"{src.name}[-2:]", f"{src.name}[::2]",
                                  f"{src.name}[1:] + [{self.texpr(f, cls, 1)}]",
                                  f"{src.name} + {src.name}"])
                if " for " in form:
                    u = self.fresh("u")
                    form = f"[{u} * 2.0 for {u} in {src.name}]"
                f.emit(indent, f"{xs} = {form}")
                f.add(Var(xs, TLIST, cls, nonempty=src.nonempty or "[1:] +" in form))
                return
            f.add(Var(xs, TLIST, cls))
            return
        if r < 0.22 and (not ilists or self.chance(0.3)):
            ks = self.fresh("ks")
            f.emit(indent, f"{ks} = [{self.iexpr(f, 1)}]")
            f.add(Var(ks, ILIST))
            return
        if r < 0.3 and ilists:
            ks = self.pick(ilists)
            f.emit(indent, f"{ks.name}.append({self.iexpr(f, 1)})")
            return
        xs = self.pick(lists)
        e = self.texpr(f, xs.cls, 1)
        r = self.r.random()
        if r >= 0.7 and not xs.nonempty and self.chance(0.8):
            r = 0.0
        if r < 0.5:
            f.emit(indent, f"{xs.name}.append({e})")
        elif r < 0.6:
            f.emit(indent, f"{xs.name}.insert({self.pick(['0', '-1', '1'])}, {e})")
        elif r < 0.65:
            f.emit(indent, f"{xs.name}.extend([{e}])")
        elif r < 0.7:
            f.emit(indent, f"{xs.name} += [{e}]")
        elif r < 0.8:
            f.emit(indent, f"{xs.name}[{self.pick(['0', '-1'])}] = {e}")
        elif r < 0.85:
            f.emit(indent, f"{xs.name}.reverse()")
        elif r < 0.9:
            f.emit(indent, f"if len({xs.name}) > 1:")
            f.emit(indent + 1, f"{xs.name}.pop()")
        else:
            t = self.fresh("t")
            idx = self.pick(["0", "-1", f"{self.iexpr(f, 1)} % len({xs.name})"])
            f.emit(indent, f"{t} = {xs.name}[{idx}]")
            f.add(Var(t, TENSOR, xs.cls))

    def int_stmt(self, f, indent):
        ints = [v for v in self.vars_of(f, INT) if not v.readonly]
        if ints and self.chance(0.5):
            v = self.pick(ints)
            f.emit(indent, f"{v.name} = ({self.iexpr(f)}) % {self.r.randint(3, 7)}")
        else:
            k = self.fresh("k")
            f.emit(indent, f"{k} = {self.iexpr(f)}")
            f.add(Var(k, INT))

    def float_stmt(self, f, indent):
        floats = [v for v in self.vars_of(f, FLOAT) if not v.readonly]
        if floats and self.chance(0.4):
            v = self.pick(floats)
            f.emit(indent, f"{v.name} = min(max({self.fexpr(f)}, -10.0), 10.0)")
        else:
            g = self.fresh("g")
            f.emit(indent, f"{g} = {self.fexpr(f)}")
            f.add(Var(g, FLOAT))

    def tuple_stmt(self, f, indent):
        tuples = self.vars_of(f, TUPLE)
        if tuples and self.chance(0.5):
            tp = self.pick(tuples)
            names = [self.fresh("p") for _ in tp.comps]
            f.emit(indent, f"{', '.join(names)} = {tp.name}")
            for name, comp in zip(names, tp.comps):
                f.add(Var(name, comp[0], comp[1] if len(comp) > 1 else None))
            return
        lists = [v for v in self.vars_of(f, TLIST) if v.nonempty]
        if lists and self.chance(0.25):
            xs = self.pick(lists)
            tp = self.fresh("tp")
            f.emit(indent, f"{tp} = ({xs.name}, {self.iexpr(f, 1)})")
            f.add(Var(tp, TUPLE, comps=[(TLIST, xs.cls), (INT,)]))
            if self.chance(0.7):
                f.emit(indent, f"{tp}[0].append({self.texpr(f, xs.cls, 1)})")
            return
        comps = [(TENSOR, self.pick([FULL, ROW, SCALAR]))]
        parts = [self.texpr(f, comps[0][1], 1)]
        for _ in range(self.r.randint(1, 2)):
            if self.chance(0.5):
                comps.append((INT,))
                parts.append(self.iexpr(f, 1))
            else:
                cls = self.pick([FULL, SCALAR])
                comps.append((TENSOR, cls))
                parts.append(self.texpr(f, cls, 1))
        tp = self.fresh("tp")
        f.emit(indent, f"{tp} = ({', '.join(parts)})")
        f.add(Var(tp, TUPLE, comps=comps))

    def dict_stmt(self, f, indent):
        dicts = self.vars_of(f, TDICT)
        if not dicts or self.chance(0.25):
            d = self.fresh("d")
            cls = self.pick([FULL, SCALAR])
            f.emit(indent, f'{d} = {{"a": {self.texpr(f, cls, 1)}}}')
            f.add(Var(d, TDICT, cls))
            return
        d = self.pick(dicts)
        r = self.r.random()
        ints = [v.name for v in self.vars_of(f, INT)]
        if r < 0.15 and ints:
            f.emit(indent, f'{d.name}["k" + str({self.pick(ints)} % 3)] = {self.texpr(f, d.cls, 1)}')
        elif r < 0.5:
            f.emit(indent, f'{d.name}["{self.pick("abc")}"] = {self.texpr(f, d.cls, 1)}')
        elif r < 0.8:
            t = self.fresh("t")
            f.emit(indent, f'{t} = {d.name}.get("{self.pick(["a", "b", "c", "k0", "k1"])}", '
                           f'{self.texpr(f, d.cls, 0)})')
            f.add(Var(t, TENSOR, d.cls))
        else:
            k = self.pick("bc")
            f.emit(indent, f'if "{k}" in {d.name}:')
            t = self.fresh("t")
            f.emit(indent + 1, f'{t} = {d.name}["{k}"]')
            f.emit(indent + 1, f"{t}.add_(1.0)" if self.chance(0.5) else "pass")

    def opt_stmt(self, f, indent):
        # An Optional local is re-assigned only in the block that declares it,
        # and with its annotation: TorchScript narrows the type of a local to
        # that of an unannotated assignment in its own block (to Tensor, or
        # to NoneType), and then refuses a later assignment of the other kind
        # in a nested block ("previously had type Tensor").
        opts = [v for v in f.scopes[-1].values()
                if v.kind == OPT and not v.readonly and v.cls == FULL]
        if opts and self.chance(0.5):
            o = self.pick(opts)
            if self.chance(0.5):
                f.emit(indent, f"{o.name}: Optional[Tensor] = None")
            else:
                f.emit(indent, f"{o.name}: Optional[Tensor] = {self.texpr(f, o.cls, 1)}")
            return
        o = self.fresh("z")
        f.emit(indent, f"{o}: Optional[Tensor] = None")
        f.emit(indent, f"if {self.cond(f)}:")
        f.emit(indent + 1, f"{o} = {self.texpr(f, FULL, 1)}")
        f.add(Var(o, OPT, FULL))

    def call_stmt(self, f, indent):
        callables = [h for h in self.helpers if h[0] not in f.name_stack] + \
                    [m for m in self.methods if m[0] not in f.name_stack]
        if not callables:
            return self.simple_assign(f, indent)
        name, kind = self.pick(callables)
        prefix = "self." if name.startswith("m") else ""
        if kind == "tensor":
            t = self.fresh("t")
            f.emit(indent, f"{t} = {prefix}{name}({self.texpr(f, FULL, 1)}, {self.iexpr(f, 1)})")
            f.add(Var(t, TENSOR, FULL))
        elif kind == "optional":
            t = self.fresh("t")
            opts = [v.name for v in self.vars_of(f, OPT) if v.cls == FULL]
            args = [self.texpr(f, FULL, 1)]
            r = self.r.random()
            if r < 0.3:
                args.append(self.pick(opts) if opts else "None")
            elif r < 0.5:
                args.append(self.tensor_leaf(f, FULL))
            elif r < 0.6:
                args.append("None")
            if len(args) == 2 and self.chance(0.5):
                args.append(self.iexpr(f, 1))
            elif self.chance(0.2):
                args.append(f"k={self.iexpr(f, 1)}")
            f.emit(indent, f"{t} = {prefix}{name}({', '.join(args)})")
            f.add(Var(t, TENSOR, FULL))
        elif kind == "list":
            xs = self.fresh("xs")
            f.emit(indent, f"{xs} = {prefix}{name}({self.tensor_leaf(f, FULL)}, {self.iexpr(f, 1)})")
            f.add(Var(xs, TLIST, FULL, nonempty=False))
        elif kind == "tuple":
            t, k = self.fresh("t"), self.fresh("k")
            f.emit(indent, f"{t}, {k} = {prefix}{name}({self.tensor_leaf(f, FULL)})")
            f.add(Var(t, TENSOR, FULL))
            f.add(Var(k, INT))
        else:
            lists = [v for v in self.vars_of(f, TLIST) if v.cls == FULL and v.nonempty]
            if not lists:
                return self.simple_assign(f, indent)
            f.emit(indent, f"{prefix}{name}({self.pick(lists).name}, "
                           f"{self.tensor_leaf(f, FULL)})")

    def simple_assign(self, f, indent):
        t = self.fresh("t")
        f.emit(indent, f"{t} = {self.texpr(f, FULL)}")
        f.add(Var(t, TENSOR, FULL))

    def ret_expr(self, f):
        parts = []
        for comp in f.ret:
            kind = comp[0]
            if kind == TENSOR:
                parts.append(self.texpr(f, comp[1], 1))
            elif kind == INT:
                parts.append(self.iexpr(f, 1))
            elif kind == FLOAT:
                parts.append(self.fexpr(f))
            elif kind == TLIST:
                lists = [v.name for v in self.vars_of(f, TLIST) if v.cls == comp[1]]
                parts.append(self.pick(lists) if lists and self.chance(0.8)
                             else f"[{self.texpr(f, comp[1], 1)}]")
            elif kind == ILIST:
                lists = [v.name for v in self.vars_of(f, ILIST)]
                parts.append(self.pick(lists) if lists and self.chance(0.8)
                             else f"[{self.iexpr(f, 1)}]")
            elif kind == TDICT:
                dicts = [v.name for v in self.vars_of(f, TDICT) if v.cls == comp[1]]
                parts.append(self.pick(dicts) if dicts and self.chance(0.8)
                             else f'{{"r": {self.texpr(f, comp[1], 1)}}}')
            elif kind == OPT:
                opts = [v.name for v in self.vars_of(f, OPT) if v.cls == FULL]
                parts.append(self.pick(opts) if opts else "None")
        return ", ".join(parts) if len(parts) > 1 else parts[0]

    # ------------------------------------------------------------ functions
    def function(self, header, params, ret, budget, name, has_self=False):
        f = Func(ret)
        f.has_self = has_self
        f.name_stack = self.current_stack + [name]
        saved = self.current_stack
        self.current_stack = f.name_stack
        for p in params:
            f.add(p)
        jumped = self.block(f, 1, budget)
        if not jumped:
            f.emit(1, f"return {self.ret_expr(f)}")
        self.current_stack = saved
        return [header] + f.lines

    def generate(self):
        self.current_stack = []
        src = ["import torch", "from torch import Tensor",
               "from typing import Any, Dict, List, Optional, Tuple", "", ""]
        # Free functions, each may call the ones before it.
        for _ in range(self.r.randint(0, 2)):
            name = self.fresh("h")
            kind = self.pick(["tensor", "tensor", "tuple", "mutate", "optional", "list"])
            if kind == "tensor":
                header = f"def {name}(a: Tensor, k: int) -> Tensor:"
                params = [Var("a", TENSOR, FULL), Var("k", INT)]
                ret = [(TENSOR, FULL)]
            elif kind == "optional":
                header = (f"def {name}(a: Tensor, b: Optional[Tensor] = None, "
                          f"k: int = {self.r.randint(0, 3)}) -> Tensor:")
                params = [Var("a", TENSOR, FULL), Var("b", OPT, FULL, readonly=True),
                          Var("k", INT)]
                ret = [(TENSOR, FULL)]
            elif kind == "list":
                header = f"def {name}(a: Tensor, k: int) -> List[Tensor]:"
                params = [Var("a", TENSOR, FULL), Var("k", INT)]
                ret = [(TLIST, FULL)]
            elif kind == "tuple":
                header = f"def {name}(a: Tensor) -> Tuple[Tensor, int]:"
                params = [Var("a", TENSOR, FULL)]
                ret = [(TENSOR, FULL), (INT,)]
            else:
                header = f"def {name}(xs: List[Tensor], a: Tensor) -> None:"
                lines = [header]
                body = self.r.randint(1, 3)
                f = Func([])
                f.name_stack = [name]
                f.add(Var("a", TENSOR, FULL))
                f.add(Var("xs", TLIST, FULL))
                for _ in range(body):
                    r = self.r.random()
                    if r < 0.5:
                        f.emit(1, f"xs.append({self.texpr(f, FULL, 1)})")
                    elif r < 0.7:
                        f.emit(1, f"a.add_({self.texpr(f, SCALAR, 0)})")
                    elif r < 0.85:
                        f.emit(1, f"if {self.cond(f, 0)}:")
                        f.emit(2, f"xs.insert(0, {self.texpr(f, FULL, 1)})")
                    else:
                        f.emit(1, f"xs[0] = {self.texpr(f, FULL, 1)}")
                src += lines + f.lines + ["", ""]
                self.helpers.append((name, kind))
                continue
            src += self.function(header, params, ret, 3, name) + ["", ""]
            self.helpers.append((name, kind))

        # The module: maybe a method, then forward.
        def attributes():
            return [f"        self.scale = {self.fconst()}",
                    f"        self.sizes = [{self.r.randint(0, 2)}, {self.r.randint(1, 3)}]",
                    f"        self.register_buffer(\"offset\", torch.tensor({self.fconst()}))"]

        # Submodules: each a module with its own generated forward.
        sub_classes = []
        for _ in range(self.r.choice([0, 0, 1, 2])):
            name = self.fresh("Sub")
            body = self.function("def forward(self, a: Tensor) -> Tensor:",
                                 [Var("a", TENSOR, FULL)], [(TENSOR, FULL)], 2, name,
                                 has_self=True)
            src += [f"class {name}(torch.nn.Module):", "    def __init__(self):",
                    "        super().__init__()"] + attributes() + [""] + \
                ["    " + line for line in body] + ["", ""]
            sub_classes.append(name)
        cls_lines = ["class Program(torch.nn.Module):",
                     "    def __init__(self):",
                     "        super().__init__()"] + attributes()
        if sub_classes:
            cls_lines.append(f"        self.sub = {self.pick(sub_classes)}()")
            subs = [self.pick(sub_classes) + "()" for _ in range(self.r.randint(1, 3))]
            cls_lines.append(f"        self.subs = torch.nn.ModuleList([{', '.join(subs)}])")
            self.submodules = ["sub"]
        cls_lines.append("")
        method_lines = []
        if self.chance(0.3):
            name = self.fresh("m")
            kind = self.pick(["tensor", "tuple"])
            if kind == "tensor":
                header = f"def {name}(self, a: Tensor, k: int) -> Tensor:"
                params = [Var("a", TENSOR, FULL), Var("k", INT)]
                ret = [(TENSOR, FULL)]
            else:
                header = f"def {name}(self, a: Tensor) -> Tuple[Tensor, int]:"
                params = [Var("a", TENSOR, FULL)]
                ret = [(TENSOR, FULL), (INT,)]
            body = self.function(header, params, ret, 3, name, has_self=True)
            method_lines = ["    " + line for line in body] + [""]
            self.methods.append((name, kind))

        args = [("x", "Tensor", Var("x", TENSOR, FULL))]
        if self.chance(0.85):
            args.append(("n", "int", Var("n", INT)))
        if self.chance(0.6):
            args.append(("y", "Optional[Tensor]", Var("y", OPT, FULL, readonly=True)))
        if self.chance(0.25):
            args.append(("w", "Tensor", Var("w", TENSOR, ROW)))
        if self.chance(0.2):
            args.append(("flag", "bool", Var("flag", "bool", readonly=True)))
        if self.chance(0.2):
            args.append(("f", "float", Var("f", FLOAT, readonly=True)))
        if self.chance(0.15):
            args.append(("mode", "str", Var("mode", "str", readonly=True)))
        if self.chance(0.2):
            args.append(("zs", "List[Tensor]", Var("zs", TLIST, FULL)))
        if self.chance(0.1):
            args.append(("dd", "Dict[str, Tensor]", Var("dd", TDICT, FULL)))
        if self.chance(0.1):
            args.append(("pair", "Tuple[Tensor, int]",
                         Var("pair", TUPLE, comps=[(TENSOR, FULL), (INT,)])))
        if self.chance(0.1):
            args.append(("m", "Optional[int]", Var("m", OPT, "int", readonly=True)))
        if self.chance(0.1):
            args.append(("ks_in", "List[int]", Var("ks_in", ILIST)))

        ret = [self.pick([(TENSOR, FULL)] * 3 + [(TENSOR, ROW), (TENSOR, SCALAR)])]
        for _ in range(self.r.choice([0, 0, 1, 1, 2])):
            ret.append(self.pick([(TENSOR, FULL), (INT,), (FLOAT,), (TLIST, FULL),
                                  (ILIST,), (TDICT, FULL), (OPT, FULL), (TENSOR, COL)]))
        header = (f"def forward(self, {', '.join(f'{a}: {t}' for a, t, _ in args)}) -> "
                  f"{ret_type(ret)}:")
        params = [v for _, _, v in args]
        # Module attributes, read like constants.
        body = self.function(header, params, ret, self.r.randint(4, 9), "forward",
                             has_self=True)
        # Use the attributes somewhere: prefix the body.
        if self.chance(0.3):
            body.insert(1, "    x = x * self.scale + self.offset")
        fwd = ["    " + line for line in body]
        src += cls_lines + method_lines + fwd + [""]
        if self.uses_ctx:
            src[5:5] = CTX_CLASS.splitlines() + ["", ""]
        return "\n".join(src), [(a, t) for a, t, _ in args]


class Program:
    def __init__(self, seed, source, args):
        self.seed = seed
        self.source = source
        self.args = args            # [(name, type text)]

    def make_sample(self, rng):
        """A random sample for the arguments; `rng` is a random.Random."""
        import torch
        a, b = rng.randint(1, 3), rng.randint(1, 4)
        gen = torch.Generator().manual_seed(rng.randrange(2 ** 31))
        # Now and then: float64 samples, a transposed (non-contiguous) x,
        # arguments that alias x (the same tensor, or a view of it), x that
        # requires grad.
        dtype = torch.float64 if rng.random() < 0.12 else torch.float32
        alias = rng.random() < 0.15

        def tensor(*shape):
            if rng.random() < 0.5:
                t = torch.randint(-8, 9, shape, generator=gen).to(dtype) / 4
            else:
                t = torch.randn(*shape, generator=gen, dtype=dtype)
            return t

        x = tensor(a, b)
        if rng.random() < 0.1:
            x = tensor(b, a).t()
        if rng.random() < 0.05:
            x.requires_grad_()

        sample = []
        for name, typ in self.args:
            if name == "x":
                sample.append(x)
            elif alias and name in ("y", "zs", "dd", "pair") and rng.random() < 0.6:
                same = x if rng.random() < 0.5 or x.requires_grad else x[:]
                sample.append({"y": same, "zs": [same, tensor(a, b)], "dd": {"a": same},
                               "pair": (same, 1)}[name])
            elif alias and name == "w" and not x.requires_grad and rng.random() < 0.6:
                sample.append(x[0])
            elif name == "n":
                sample.append(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, -1]))
            elif name == "y":
                sample.append(None if rng.random() < 0.4 else tensor(a, b))
            elif name == "w":
                sample.append(tensor(b))
            elif name == "flag":
                sample.append(rng.random() < 0.5)
            elif name == "f":
                sample.append(rng.choice([0.0, 0.5, -1.5, 2.0, 1.25]))
            elif name == "mode":
                sample.append(rng.choice(["a", "b", "c"]))
            elif name == "zs":
                sample.append([tensor(a, b) for _ in range(rng.randint(1, 3))])
            elif name == "dd":
                d = {"a": tensor(a, b)}
                if rng.random() < 0.5:
                    d["b"] = tensor(a, b)
                sample.append(d)
            elif name == "pair":
                sample.append((tensor(a, b), rng.randint(-1, 3)))
            elif name == "m":
                sample.append(None if rng.random() < 0.4 else rng.randint(0, 3))
            elif name == "ks_in":
                sample.append([rng.randint(0, 3) for _ in range(rng.randint(1, 3))])
            else:
                raise AssertionError(name)
        return tuple(sample)


def generate(seed):
    """The program for `seed` (any hashable: an int or a string)."""
    g = Generator(seed)
    source, args = g.generate()
    return Program(seed, source, args)


if __name__ == "__main__":
    seed = sys.argv[1] if len(sys.argv) > 1 else "0"
    p = generate(seed)
    print(p.source)
    print("# sample:", p.make_sample(random.Random(f"sample:{seed}")))
