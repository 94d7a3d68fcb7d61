"""Lower a parsed program into the gate graph.

One walk over the statements in order: a name bound to a bare number or list
becomes an input with a default, an alias becomes an identity gate, every
operator and call becomes a gate, and a name nobody assigns becomes an input
whose value the request supplies. Names must be assigned before use and only
once; both mistakes are errors that name both lines.
"""

from __future__ import annotations

import numpy as np

from app.errors import LabError, Span
from app.graph.ir import Graph, Node, validate
from app.lang.syntax import (
    Assign,
    Binary,
    Call,
    Expr,
    ExprStmt,
    ListLit,
    Name,
    Num,
    Program,
    Unary,
    postorder,
)
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import functions, operators


def format_number(value: float) -> str:
    """A constant's gate label: `2`, `-1`, `0.5`, `1e-08`."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def literal_value(expr: Expr) -> np.ndarray | None:
    """The value of a bare number, a signed number or a list literal; None otherwise."""
    sign = 1.0
    while isinstance(expr, Unary):
        sign = -sign if expr.op == "neg" else sign
        expr = expr.operand
    if isinstance(expr, Num):
        return np.array(sign * expr.value)
    if isinstance(expr, ListLit) and sign == 1.0:
        return np.array(expr.flat, dtype=float).reshape(expr.shape)
    if isinstance(expr, ListLit):
        return -np.array(expr.flat, dtype=float).reshape(expr.shape)
    return None


class _Builder:
    def __init__(self, program: Program, limits: Limits) -> None:
        self.program = program
        self.limits = limits
        self.nodes: list[Node] = []
        self.env: dict[str, int] = {}
        self.free: dict[str, int] = {}
        self.assigned: dict[str, Span] = {}
        self.binary = operators(2)
        self.funcs = functions()

    def add(self, op: str, inputs: tuple[int, ...], label: str, span: Span | None,
            at: Span | None = None, name: str | None = None, params: tuple[int, ...] = (),
            default: np.ndarray | None = None) -> int:
        if len(self.nodes) >= self.limits.max_nodes:
            raise LabError("too_large", f"the circuit has more than {self.limits.max_nodes:,} "
                           "nodes", span, key="too_many_nodes",
                           info={"limit": self.limits.max_nodes})
        if default is not None and default.size > self.limits.max_tensor_elements:
            raise LabError("too_large", f"a tensor of {default.size:,} numbers is over the "
                           f"limit of {self.limits.max_tensor_elements:,}", span,
                           key="tensor_too_large",
                           info={"limit": self.limits.max_tensor_elements})
        node_id = len(self.nodes)
        self.nodes.append(Node(node_id, op, inputs, name, label, span, at or span, params,
                               default))
        return node_id

    def rename(self, node_id: int, name: str) -> None:
        self.nodes[node_id] = self.nodes[node_id]._replace(name=name)

    def build(self) -> Graph:
        statements = self.program.statements
        for stmt in statements:
            if isinstance(stmt, Assign):
                first = self.assigned.get(stmt.target)
                if first is not None:
                    raise LabError(
                        "name", f"'{stmt.target}' is assigned twice: on line {first.line} and "
                        f"line {stmt.target_span.line}; each name is assigned once",
                        stmt.target_span, key="assigned_twice",
                        info={"name": stmt.target, "first": first.line,
                              "second": stmt.target_span.line})
                self.assigned[stmt.target] = stmt.target_span
        output = -1
        for stmt in statements:
            if isinstance(stmt, ExprStmt):
                output = self.expr(stmt.expr)
                continue
            output = self.assign(stmt)
        return Graph.from_nodes(self.nodes, output, self.program.source)

    def assign(self, stmt: Assign) -> int:
        value = literal_value(stmt.expr)
        if value is not None:
            node_id = self.add("input", (), stmt.target, stmt.span, stmt.target_span,
                               name=stmt.target, default=value)
        else:
            before = len(self.nodes)
            node_id = self.expr(stmt.expr)
            if node_id < before or self.nodes[node_id].name is not None:
                # an alias (f = q): a gate of its own, so every node has at most one name
                node_id = self.add("identity", (node_id,), "=", stmt.span, stmt.target_span,
                                   name=stmt.target)
            else:
                self.rename(node_id, stmt.target)
        self.env[stmt.target] = node_id
        return node_id

    def name(self, expr: Name) -> int:
        bound = self.env.get(expr.id)
        if bound is not None:
            return bound
        later = self.assigned.get(expr.id)
        if later is not None:
            raise LabError(
                "name", f"'{expr.id}' is used on line {expr.span.line} before line "
                f"{later.line} assigns it", expr.span, key="used_before_assigned",
                info={"name": expr.id, "use": expr.span.line, "assigned": later.line})
        free = self.free.get(expr.id)
        if free is None:
            free = self.add("input", (), expr.id, expr.span, name=expr.id)
            self.free[expr.id] = free
        return free

    def expr(self, root: Expr) -> int:
        ids: dict[int, int] = {}
        for e in postorder(root):
            if isinstance(e, Num):
                node_id = self.add("const", (), format_number(e.value), e.span,
                                   default=np.array(e.value))
            elif isinstance(e, ListLit):
                value = literal_value(e)
                label = "×".join(map(str, e.shape))
                node_id = self.add("const", (), f"[{label}]", e.span, default=value)
            elif isinstance(e, Name):
                node_id = self.name(e)
            elif isinstance(e, Unary):
                inner = e.operand
                if e.op == "pos":
                    node_id = ids[id(inner)]
                elif isinstance(inner, Num):
                    node = self.nodes.pop()  # fold a negated number into one constant
                    assert node.default is not None
                    node_id = self.add("const", (), format_number(-inner.value), e.span,
                                       default=-node.default)
                else:
                    node_id = self.add("neg", (ids[id(inner)],), "−", e.span, e.op_span)
            elif isinstance(e, Binary):
                op = self.binary[e.op]
                node_id = self.add(op.name, (ids[id(e.left)], ids[id(e.right)]), op.symbol,
                                   e.span, e.op_span)
            else:
                assert isinstance(e, Call)
                op = self.funcs[e.func]
                node_id = self.add(op.name, tuple(ids[id(a)] for a in e.args), op.symbol,
                                   e.span, e.func_span, params=e.params)
            ids[id(e)] = node_id
        return ids[id(root)]


def build(program: Program, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """The gate graph of a program, checked; raises LabError for name mistakes and limits."""
    try:
        graph = _Builder(program, limits).build()
    except LabError as err:
        raise err.with_source(program.source) from None
    validate(graph)
    return graph
