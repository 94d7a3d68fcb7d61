"""The syntax tree of the circuit language: what the parser hands to the graph builder.

Nodes are frozen dataclasses; `to_sexpr` gives a canonical S-expression so
parser tests read like the grammar: `2 ^ 3 ^ 2` is `(^ 2 (^ 3 2))`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import Span


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class ListLit:
    """A nested list of numbers: a tensor literal. `flat` holds the numbers row-major."""

    shape: tuple[int, ...]
    flat: tuple[float, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "neg" or "pos"
    operand: Expr
    span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "+", "-", "*", "/", "^", "@"
    left: Expr
    right: Expr
    span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    params: tuple[int, ...]  # trailing integer literals: axis, window size
    span: Span
    func_span: Span


Expr = Num | Name | ListLit | Unary | Binary | Call


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    target_span: Span
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ExprStmt:
    expr: Expr
    span: Span


Statement = Assign | ExprStmt


@dataclass(frozen=True, slots=True)
class Program:
    statements: tuple[Statement, ...]
    source: str


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions, left to right."""
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def postorder(expr: Expr) -> list[Expr]:
    """Sub-expressions children-first, without recursion: a 10,000-term sum is 10,000 deep."""
    out: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        stack.append((node, True))
        for child in reversed(children(node)):
            stack.append((child, False))
    return out


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def to_sexpr(expr: Expr) -> str:
    """Canonical S-expression of an expression, for tests and debugging."""
    text: dict[int, str] = {}
    for node in postorder(expr):
        if isinstance(node, Num):
            s = _num(node.value)
        elif isinstance(node, Name):
            s = node.id
        elif isinstance(node, ListLit):
            s = f"[{' '.join(_num(v) for v in node.flat)}]:{node.shape}"
        elif isinstance(node, Unary):
            s = f"({'-' if node.op == 'neg' else '+'} {text[id(node.operand)]})"
        elif isinstance(node, Binary):
            s = f"({node.op} {text[id(node.left)]} {text[id(node.right)]})"
        else:
            parts = [text[id(a)] for a in node.args] + [str(p) for p in node.params]
            s = f"({node.func} {' '.join(parts)})"
        text[id(node)] = s
    return text[id(expr)]
