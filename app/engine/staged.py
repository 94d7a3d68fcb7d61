"""The staged program: the forward and backward pass written out as Python, as in seed 000.

    sigy = 1.0 / (1 + math.exp(-y))  # line 3
    ...
    # backprop sigx = 1.0 / (1 + math.exp(-x))
    dx += ((1 - sigx) * sigx) * dsigx  # σ'(a) = σ(a)(1−σ(a)); += : x is used 3 times

`staged(ev)` writes, for an evaluated graph: the inputs with their values, the
forward pass as one named stage per gate (the program's own names where it
has them, `t<id>` otherwise; constants written in place, and gates that
depend only on constants folded to their value), then the backward pass in
reverse topological order: the seed, and for each gate a `# backprop` comment
and one line per input, `d<input> = (local derivative) * d<gate>` with the
op's formula as a comment, `+=` where a value fans out (the first
contribution uses `=`). Every input ends up with a gradient variable, equal
to the engine's gradient. Nothing here runs the program.

Every op's forward and derivative templates come from its registry entry
(`Op.code`). A program of scalars is written with `import math` when every
value is finite and at most `MATH_RANGE` (700) in size, so that no step can
raise where numpy's IEEE arithmetic gives ∞ or NaN (math.exp overflows past
709.78); otherwise, and whenever a tensor appears, it is written with numpy
(scalar inputs as `np.float64`, and a small `unbroadcast` helper when a
broadcast gradient must be summed back to its input's shape). `lines` tags
each line of the program with the node and phase it belongs to, so a page
can highlight the line of the step it shows.

Names never collide: each stage's name, and the `d` + name of its
gradient, is taken only if neither is already taken nor one of `RESERVED`
(what the program itself uses: `math`, `np`, `unbroadcast`, the builtins
`abs`/`max`/`min`, Python keywords, e.g. `del` from a variable `el`);
otherwise `_1`, `_2`, … is appended. Inputs claim their names first, so an
input `x` keeps `x` and `dx` even beside a variable called `dx` (which
becomes `dx_1`). `grads` maps each input to its gradient's variable.

Limits: at most `MAX_CODE_NODES` (5,000) nodes and `MAX_CODE_NUMBERS`
(10,000) numbers written out as literals; past them, a 400 `too_large`.

The program is code a learner copies and runs, so nothing a user typed may
change what it does. It is built from tokens: names (Python identifiers,
checked), numbers written by `number`, and the registry's templates; the
only user text in it is in comments (a folded constant's expression, rebuilt
from its tokens, so a comment of the user's never travels), and every
comment passes through `inert`, which cannot end a line. Python ends a line
at CR as well as LF, so a lone CR in a copied comment once made the rest of
it a statement. Before it is returned, `check_program` parses the program
and refuses anything but the imports, the helper, and assignments of
arithmetic to the program's own variables.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import unicodedata
from dataclasses import dataclass
from itertools import count
from typing import Any, cast

import numpy as np

from app.engine.run import Evaluation
from app.errors import LabError, Span
from app.lang.tokens import tokenize
from app.ops import REGISTRY
from app.ops.registry import Code, Site

MAX_CODE_NODES = 5_000
MAX_CODE_NUMBERS = 10_000
MATH_RANGE = 700.0
STAGE_NAME_LENGTH = 10  # a longer name made from a gate's operands gives way to t<id>
# Names the program must not take for a variable: its modules and helper, Python's keywords
# and builtins (the helper calls len and enumerate; a variable `len` would break it).
RESERVED = frozenset({"math", "np", "numpy", "unbroadcast", *keyword.kwlist, *dir(builtins)})

UNBROADCAST = '''
def unbroadcast(g, shape):
    """Sum a gradient over the axes numpy broadcast, so it has the input's shape again."""
    g = np.asarray(g, dtype=float)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g'''


@dataclass(frozen=True)
class Staged:
    python: str
    variant: str  # "math" or "numpy"
    grads: dict[str, str]  # input name -> the variable holding its gradient
    names: dict[str, str]  # input name -> the variable holding its value
    # Per line of `python`: the node ("n3") and phase it belongs to, or None.
    lines: list[dict[str, str | None] | None]


def _code(op: str) -> Code:
    """An op's templates for the staged program (every op of the registry has them)."""
    code = REGISTRY[op].code
    assert code is not None, op
    return code


class _Writer:
    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.graph = ev.graph
        self.nodes = ev.graph.nodes
        self.plan = ev.plan
        self.lib = "math" if self._math_ok() else "np"

    # -- deciding what to write ---------------------------------------------
    def _math_ok(self) -> bool:
        ev = self.ev
        if any(s != () for s in ev.shapes):
            return False
        if any(_code(op).math is None for op in set(ev.graph.ops)
               if op not in ("input", "const")):
            return False
        values = np.array([float(v) for v in ev.values])
        if not (np.isfinite(values).all() and np.abs(values).max(initial=0.0) <= MATH_RANGE):
            return False
        grads = [ev.grad(i) for i in range(len(ev.graph))]
        return all(g is None or np.isfinite(g).all() for g in grads)

    def number(self, x: float) -> str:
        """A number written in place: `2`, `0.5`, `(-1)`, `math.inf`."""
        if math.isnan(x):
            return f"{self.lib}.nan"
        if math.isinf(x):
            return f"{self.lib}.inf" if x > 0 else f"(-{self.lib}.inf)"
        text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
        return f"({text})" if text.startswith("-") else text

    def value(self, arr: np.ndarray, standalone: bool = False) -> str:
        """A value as a literal: a number, `np.float64(...)` or `np.array([...])`."""
        arr = np.asarray(arr, dtype=float)
        if arr.shape == ():
            x = float(arr)
            if self.lib == "np" and standalone:
                return f"np.float64({_float(x, 'np')})"
            return _float(x, self.lib) if standalone else self.number(x)
        return f"np.array({_nested(arr.tolist())})"

    # -- names ---------------------------------------------------------------
    def assign_names(self) -> None:
        plan, nodes = self.plan, self.nodes
        self.claimed = set(RESERVED)
        n = len(nodes)
        self.wants_grad = [(plan.reached[i] and plan.requires[i]) or nodes[i].op == "input"
                           for i in range(n)]
        # A gate that depends on no input is folded to its value; written in place unless
        # it has a name of its own or is the output.
        self.folded = [bool(node.inputs) and not plan.requires[node.id] for node in nodes]
        self.var: list[str | None] = [None] * n
        self.dvar: list[str | None] = [None] * n
        order = ([node for node in nodes if node.op == "input"]
                 + [node for node in nodes if node.inputs and node.name]
                 + [node for node in nodes if node.inputs and not node.name])
        for node in order:
            if node.inputs and self.folded[node.id] and not node.name and \
                    node.id != self.graph.output:
                continue
            base = _identifier(node.name) if node.name else self._describe(node)
            var = self._claim(base or f"t{node.id}", self.wants_grad[node.id])
            self.var[node.id] = var
            if self.wants_grad[node.id]:
                self.dvar[node.id] = "d" + var

    def _describe(self, node: Any) -> str | None:
        """A name for an unnamed gate from its op and operands, as cs231n's staged code
        names its stages: `sigx` for σ(x), `xpy` for x + y, `w0x0` for w0·x0, `xpysqr` for
        (x + y)²; None when it would be long or not a Python name."""
        op = REGISTRY[node.op]
        if op.stage_name is None:
            return None
        parts = []
        for i in node.inputs:
            if self.var[i] is not None:
                parts.append(self.var[i])
                continue
            value = self.ev.value(i)
            if value.shape == () and float(value).is_integer() and 0 <= float(value) < 100:
                parts.append(str(int(float(value))))
            else:
                return None
        if node.op == "pow" and parts[1] == "2":
            name = f"{parts[0]}sqr"
        elif node.op == "div" and parts[0] == "1":
            name = f"inv{parts[1]}"
        else:
            name = op.stage_name.format(**dict(zip("ab", parts, strict=False)))
        if len(name) > STAGE_NAME_LENGTH or not name.isidentifier() or name in RESERVED:
            return None
        return name

    def _claim(self, base: str, grad: bool) -> str:
        for k in count():
            name = base if k == 0 else f"{base}_{k}"
            if name in self.claimed or (grad and "d" + name in self.claimed):
                continue
            self.claimed.add(name)
            if grad:
                self.claimed.add("d" + name)
            return name
        raise AssertionError("unreachable")

    def operand(self, i: int) -> str:
        """How a gate refers to node i: its variable, or its value written in place."""
        var = self.var[i]
        if var is not None:
            return var
        return self.value(self.ev.values[i])

    def literal(self, i: int) -> Any:
        return self.ev.value(i) if self.var[i] is None else None

    def site(self, o: int) -> Site:
        node = self.nodes[o]
        return Site([self.operand(i) for i in node.inputs], self.var[o] or "", self.dvar[o] or "",
                    node.param_dict(), [self.ev.shapes[i] for i in node.inputs],
                    [self.literal(i) for i in node.inputs], self.number)

    # -- the program -----------------------------------------------------------
    def emit(self, code: str, node: int | None = None, phase: str | None = None,
             comment: str | None = None) -> None:
        """One line: code built from names, numbers and templates, and a comment made inert."""
        if comment is not None:
            code = f"{code}  # {inert(comment)}" if code else f"# {inert(comment)}"
        self.lines.append(code)
        self.tags.append(None if node is None else {"node": f"n{node}", "phase": phase})

    def expression(self, span: Span | None) -> str:
        """The source of a span rebuilt from its tokens: comments and line breaks dropped."""
        if span is None:
            return ""
        if not hasattr(self, "_tokens"):
            self._tokens = [t for t in tokenize(self.graph.source) if t.kind in TEXT_TOKENS]
        start, end = (span.line, span.column), (span.end_line, span.end_column)
        parts: list[str] = []
        last: Span | None = None
        for t in self._tokens:
            at = (t.span.line, t.span.column)
            if at < start or (t.span.end_line, t.span.end_column) > end:
                continue
            touching = last is not None and last.line == t.span.line and \
                last.end_column == t.span.column
            parts.append(t.text if last is None or touching else " " + t.text)
            last = t.span
        return "".join(parts)

    def write(self) -> Staged:
        self.assign_names()
        ev, nodes = self.ev, self.nodes
        self.lines: list[str] = []
        self.tags: list[dict[str, str | None] | None] = []
        self.emit("import math" if self.lib == "math" else "import numpy as np")
        self.emit("")
        helper = len(self.lines)
        self.emit("", comment="inputs")
        for node in nodes:
            if node.op == "input":
                note = f"the input {node.name}" if self.var[node.id] != node.name else None
                value = self.value(ev.values[node.id], True)
                self.emit(f"{self.var[node.id]} = {value}", node.id, "forward", note)
        self.emit("")
        self.emit("", comment="forward pass")
        forward: dict[int, str] = {}
        for node in nodes:
            o = node.id
            if not node.inputs or self.var[o] is None:
                continue
            if self.folded[o]:
                stmt = f"{self.var[o]} = {self.value(ev.values[o], True)}"
                self.emit(stmt, o, "forward",
                          f"{self.expression(node.span)}: constants only, so no gradient")
                continue
            code = _code(node.op)
            template = code.math if self.lib == "math" else code.numpy
            assert template is not None, node.op  # math only where every op has it (_math_ok)
            stmt = f"{self.var[o]} = {self.site(o).fill(template)}"
            forward[o] = stmt
            self.emit(stmt, o, "forward", f"line {node.span.line}" if node.span else None)
        self.emit("")
        self.emit("", comment="backward pass")
        self.backward(forward)
        self.emit("", comment="done!")
        if any("unbroadcast(" in line for line in self.lines):
            block = ["", *UNBROADCAST.strip("\n").splitlines(), "", ""]
            self.lines[helper:helper] = block
            self.tags[helper:helper] = [None] * len(block)
        # Every input is named and has a variable and a gradient's variable (assign_names).
        names = cast(dict[str, str], {node.name: self.var[node.id] for node in nodes
                                      if node.op == "input"})
        grads = cast(dict[str, str], {node.name: self.dvar[node.id] for node in nodes
                                      if node.op == "input"})
        python = "\n".join(self.lines) + "\n"
        declared = {v for v in self.var if v} | {d for d in self.dvar if d}
        check_program(python, declared)
        return Staged(python, "math" if self.lib == "math" else "numpy", grads, names, self.tags)

    def backward(self, forward: dict[int, str]) -> None:
        ev, nodes, plan = self.ev, self.nodes, self.plan
        out = self.graph.output
        live = [plan.reached[i] and plan.requires[i] for i in range(len(nodes))]
        uses = [0] * len(nodes)
        for node in nodes:
            if live[node.id] and node.inputs:
                for i in node.inputs:
                    uses[i] += live[i]
        assigned = [False] * len(nodes)
        if live[out]:
            seed = np.asarray(ev.grads[out], dtype=float)
            self.emit(f"{self.dvar[out]} = {self.seed(seed)}", out, "backward",
                      f"the seed: ∂{self.var[out]}/∂{self.var[out]}")
            assigned[out] = True
        for node in reversed(nodes):
            o = node.id
            if not (live[o] and node.inputs):
                continue
            op = REGISTRY[node.op]
            code = _code(node.op)
            site = self.site(o)
            self.emit("", o, "backward", f"backprop {forward[o]}")
            for j, i in enumerate(node.inputs):
                if not live[i]:
                    continue
                if op.elementwise:
                    local = site.fill((code.dmath if self.lib == "math" else code.dnumpy)[j])
                    expr = f"{_parenthesised(local)} * {self.dvar[o]}"
                    if self.lib == "np" and ev.shapes[i] != ev.shapes[o]:
                        expr = f"unbroadcast({expr}, {self.var[i]}.shape)"
                else:
                    expr = site.fill(code.vjp[j])
                comment = op.formulas[j]
                if assigned[i]:
                    comment += f"; += : {self.var[i]} is used {uses[i]} times"
                sign = "+=" if assigned[i] else "="
                self.emit(f"{self.dvar[i]} {sign} {expr}", o, "backward", comment)
                assigned[i] = True
        for node in nodes:
            if node.op == "input" and not assigned[node.id]:
                zero = self.seed(np.zeros(ev.shapes[node.id]))
                self.emit(f"{self.dvar[node.id]} = {zero}", node.id, "backward",
                          f"the output does not depend on {self.var[node.id]}")

    def seed(self, arr: np.ndarray) -> str:
        if arr.shape == ():
            return self.value(arr, True)
        if (arr == 1).all():
            return f"np.ones({arr.shape})"
        if (arr == 0).all():
            return f"np.zeros({arr.shape})"
        return self.value(arr)


def _float(x: float, lib: str) -> str:
    if math.isnan(x):
        return f"{lib}.nan"
    if math.isinf(x):
        return f"{lib}.inf" if x > 0 else f"-{lib}.inf"
    return repr(x)


def _nested(items: Any) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(v) for v in items) + "]"
    return _float(float(items), "np")


def _parenthesised(text: str) -> str:
    """`(text)`, unless the parentheses around it already hold all of it: `(-1)`, `(1 - y)`."""
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                if k == len(text) - 1:
                    return text
                break
    return f"({text})"


def _identifier(name: str) -> str | None:
    """The name as Python reads it, if Python reads it as this same name (NFKC-stable)."""
    if name.isidentifier() and unicodedata.normalize("NFKC", name) == name:
        return name
    return None


TEXT_TOKENS = ("num", "name", "op")


def inert(text: str) -> str:
    """Text that is safe in a `#` comment: it cannot end the line, or the program.

    Every character that Python, an editor or a terminal may take as the end of a
    line or as a control (CR, LF, VT, FF, NEL, U+2028/2029, NUL and every other
    control or format character, bidi overrides included) is written as a visible
    escape such as `\\r` or `\\u202e`.
    """
    out = []
    for ch in text:
        if unicodedata.category(ch) in UNSAFE_CATEGORIES:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


# Control, format, line and paragraph separators, surrogates, private use, unassigned.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})

# What the staged program may call and read: the templates' vocabulary, nothing else.
ATTRIBUTES = frozenset({
    "T", "abs", "arange", "argmax", "array", "asarray", "astype", "copy", "cos", "exp",
    "expand_dims", "float64", "inf", "kron", "log", "max", "maximum", "mean", "minimum",
    "nan", "ones", "ones_like", "outer", "reshape", "shape", "sign", "sin", "size", "sqrt",
    "sum", "swapaxes", "take_along_axis", "tanh", "transpose", "where", "zeros"})
FUNCTIONS = frozenset({"abs", "max", "min", "unbroadcast"})
KEYWORDS = frozenset({"axis", "keepdims"})
NODES = (ast.Expression, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.Call, ast.Attribute,
         ast.keyword, ast.List, ast.Tuple, ast.Subscript, ast.Slice, ast.Compare, ast.IfExp,
         ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.USub,
         ast.UAdd, ast.Eq, ast.Gt, ast.Lt, ast.GtE, ast.LtE)
HELPER = ast.dump(ast.parse(UNBROADCAST))


def check_program(python: str, declared: set[str]) -> None:
    """Refuse a staged program that does anything but compute its own variables.

    Allowed: `import math` or `import numpy as np`, the `unbroadcast` helper exactly
    as written above, and `name = expression` / `name += expression` where the name
    is one of `declared` and the expression is arithmetic over names, numbers and
    the templates' functions. Anything else is a bug in the writer: RuntimeError.
    """
    tree = ast.parse(python)
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            if [(a.name, a.asname) for a in stmt.names] not in ([("math", None)],
                                                                 [("numpy", "np")]):
                raise RuntimeError(f"staged code imports {ast.unparse(stmt)}")
            continue
        if isinstance(stmt, ast.FunctionDef):
            if ast.dump(ast.Module([stmt], [])) != HELPER:
                raise RuntimeError("staged code defines a function of its own")
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
            target, value = stmt.target, stmt.value
        else:
            raise RuntimeError(f"staged code has a statement of its own: {ast.unparse(stmt)}")
        if not (isinstance(target, ast.Name) and target.id in declared):
            raise RuntimeError(f"staged code assigns {ast.unparse(target)}")
        _check_expression(value)


def _check_expression(expr: ast.expr) -> None:
    for node in ast.walk(expr):
        if not isinstance(node, NODES):
            raise RuntimeError(f"staged code holds a {type(node).__name__}")
        if isinstance(node, ast.Constant) and not (
                node.value is None or node.value is Ellipsis
                or type(node.value) in (int, float, bool)):
            raise RuntimeError("staged code holds a constant that is not a number")
        if isinstance(node, ast.Attribute) and node.attr not in ATTRIBUTES:
            raise RuntimeError(f"staged code reads .{node.attr}")
        if isinstance(node, ast.keyword) and node.arg not in KEYWORDS:
            raise RuntimeError(f"staged code passes {node.arg}=")
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Attribute)
                or (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS)):
            raise RuntimeError(f"staged code calls {ast.unparse(node.func)}")


def staged(ev: Evaluation) -> Staged:
    """The program for an evaluated graph; LabError(`too_large`) past the limits."""
    graph = ev.graph
    if len(graph) > MAX_CODE_NODES:
        raise LabError("too_large", f"the staged program is written for circuits of at most "
                       f"{MAX_CODE_NODES:,} nodes; this one has {len(graph):,}",
                       key="code_too_large", info={"limit": MAX_CODE_NODES})
    numbers = sum(int(np.prod(ev.shapes[i])) for i, ins in enumerate(graph.inputs) if not ins)
    if numbers > MAX_CODE_NUMBERS:
        raise LabError("too_large", f"the staged program writes at most {MAX_CODE_NUMBERS:,} "
                       f"numbers of inputs and constants; this circuit has {numbers:,}",
                       key="code_too_many_numbers", info={"limit": MAX_CODE_NUMBERS})
    return _Writer(ev).write()
