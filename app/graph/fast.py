"""A long plain program lowered straight from its text to the gate graph, in one pass.

`build(parse(source))` makes a Token and a Span per token, a syntax node per
expression, walks every expression again in post-order and joins spans at each
step: 30 µs a line, three seconds for a 100,000-gate program. `fast_graph` reads
the same language's everyday subset — ASCII text (comments excepted); names, numbers, the operators
`+ - * / @ ^ **`, unary signs, parentheses and calls without parameters — with one
regular expression over the whole text and a recursive-descent parser of the same
precedence that makes each gate as the post-order walk would (so ids, labels, spans
and defaults are the same), spans as tuples until the node is made.

It never words an error: anything outside the subset or wrong (a list, a parameter,
a keyword, a name used before its line or assigned twice, a limit passed) gives None,
and the caller parses the usual way, which says what is wrong. Look-alike names
(app/lang/names.py's `confusable_error`) cannot occur here: every name it reads is
ASCII, and LOOKALIKES maps only letters outside ASCII (tests/test_fast_graph.py holds
that), so two different names here never share a skeleton.
tests/test_fast_graph.py holds the two to the same graph, node for node.
"""

from __future__ import annotations

import keyword
import re
from itertools import compress
from typing import Any

import numpy as np

from app.errors import Span
from app.graph.build import format_number
from app.graph.ir import Graph, Node, validate
from app.lang.tokens import NUMBER
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import functions, operators

# Every piece of the text, in order, with nothing between: spaces, a comment, a number, a
# name, an operator, a line break, or any other character (which gives up).
_PIECES = re.compile(
    r"[ \t\f\r]+|#[^\n]*|" + NUMBER.pattern + r"|[A-Za-z_][A-Za-z0-9_]*|\*\*|[-+*/^@()\[\],=;]"
    r"|\n|.")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2}
_COMMENT = re.compile(r"#[^\n]*")

# A piece's kind by its first byte: a number, a name, an operator, a line break, spaces or
# a comment (dropped), anything else (gives up).
_NUM, _NAME, _OP, _LINE, _SKIP, _BAD = range(6)
_KIND = np.full(256, _BAD, dtype=np.int8)
_KIND[[ord(c) for c in "0123456789."]] = _NUM
_KIND[[ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"]] = _NAME
_KIND[[ord(c) for c in "+-*/^@()[],=;"]] = _OP
_KIND[ord("\n")] = _LINE
_KIND[[ord(c) for c in " \t\f\r#"]] = _SKIP


class _Bail(Exception):
    """Outside the subset, or an error: the usual parser takes over."""


# An expression's result: (node id, start, end, kind, literal). Places are offsets into the
# text (a span's lines and columns are worked out once, at the end). kind: "own" (this
# expression made the node: parentheses around it widen its span), "ref" (a name bound
# before, or a unary plus), "num" (a number's constant); literal: its value when the
# expression is a number under signs (an assignment of it makes an input), else None.
Result = tuple[int, int, int, str, float | None]


class TextGraph(Graph):
    """A graph read by `fast_graph`: the columns a scalar answer writes (names, labels,
    spans as rows of numbers) are kept as they are, and the `Node` records, which cost a
    `Span` object or two each, are made only if something asks for them."""

    __slots__ = ("names", "labels", "spans", "_has_at", "_ats")

    def __init__(self, ops: list[str], inputs: list[tuple[int, ...]],
                 defaults: list[np.ndarray | None], output: int, source: str,
                 names: list[str | None], labels: list[str], spans: np.ndarray,
                 has_at: list[int], ats: np.ndarray) -> None:
        super().__init__(ops, inputs, defaults, output, source)
        self.names = names
        self.labels = labels
        self.spans = spans  # (line, column, end_line, end_column) per node
        self._has_at = has_at  # the nodes whose error place is not their span …
        self._ats = ats  # … and those places, as rows like `spans`

    @property
    def nodes(self) -> list[Node]:
        if self._nodes is None:
            whole = [Span(*row) for row in self.spans.tolist()]
            ats = list(whole)  # the builder's `at or span`: the same object
            for k, row in zip(self._has_at, self._ats.tolist(), strict=True):
                ats[k] = Span(*row)
            self._nodes = [Node(i, op, ins, name, label, whole[i], ats[i], (), default)
                           for i, (op, ins, name, label, default) in enumerate(zip(
                               self.ops, self.inputs, self.names, self.labels,
                               self.defaults, strict=True))]
        return self._nodes

    @property
    def input_ids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, (op, name) in enumerate(zip(self.ops, self.names, strict=True)):
            if op == "input" and name:
                out[name] = i
        return out


class _Lowering:
    def __init__(self, source: str, limits: Limits) -> None:
        self.limits = limits
        # the tokens: kind ("n" number, "w" name, "o" operator, "l" line end, "e" the end),
        # text, and start and end offsets in the text
        self.kinds: list[str] = []
        self.texts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._tokenize(source)
        self.pos = 0
        self.depth = 0
        # nodes as lists: [op, inputs, name, label, start, end, at (None: the span),
        # default]; at is (start, end)
        self.nodes: list[list[Any]] = []
        self.env: dict[str, int] = {}
        self.free: dict[str, int] = {}
        self.assigned: set[str] = set()
        self.binary = operators(2)
        self.funcs = functions()
        self.good: set[str] = set()  # names seen to be no keyword
        self.max_nodes = limits.max_nodes
        # a number's text: its value, label and default
        self.numbers: dict[str, tuple[float, str, np.ndarray]] = {}

    def _tokenize(self, source: str) -> None:
        """The tokens, as four lists, classified by numpy from each piece's first byte."""
        pieces = _PIECES.findall(source)
        lengths = np.fromiter(map(len, pieces), np.int64, len(pieces))
        ends = np.cumsum(lengths)
        starts = ends - lengths
        if len(pieces) and ends[-1] != len(source):
            raise _Bail
        # one byte a character: only comments may hold others, and they are dropped
        first = np.frombuffer(source.encode("ascii", "replace"), np.uint8)[starts]
        kind = _KIND[first]
        kind[(kind == _NUM) & (lengths == 1) & (first == ord("."))] = _BAD  # a lone dot
        if (kind == _BAD).any():
            raise _Bail
        # a number straight into a number or a name: `2x`, `1.2.3`
        if ((kind[1:] <= _NAME) & (kind[:-1] == _NUM)).any():
            raise _Bail
        step = np.where((first == ord("(")) | (first == ord("[")), 1,
                        np.where((first == ord(")")) | (first == ord("]")), -1, 0))
        depth = np.cumsum(step)
        if len(depth) and depth.min() < 0:
            raise _Bail  # a bracket closed that was never opened
        keep = (kind <= _OP) | ((kind == _LINE) & (depth == 0))
        kept = np.flatnonzero(keep)
        names = np.array(["n", "w", "o", "l"])
        self.kinds = names[kind[kept]].tolist()
        self.texts = list(compress(pieces, keep.tolist()))
        self.starts = starts[kept].tolist()
        self.ends = ends[kept].tolist()
        end = len(source)
        self.kinds += ["l", "e"]
        self.texts += ["\n", ""]
        self.starts += [end, end]
        self.ends += [end, end]

    # -- nodes --------------------------------------------------------------------------
    def add(self, op: str, inputs: tuple[int, ...], label: str, start: int, end: int,
            at: tuple[int, int] | None = None, name: str | None = None,
            default: np.ndarray | None = None) -> int:
        nodes = self.nodes
        if len(nodes) >= self.limits.max_nodes:
            raise _Bail
        nodes.append([op, inputs, name, label, start, end, at, default])
        return len(nodes) - 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _Bail

    # -- statements ---------------------------------------------------------------------
    def program(self, source: str) -> Graph:
        kinds, texts = self.kinds, self.texts
        output, bare = -1, False
        while kinds[self.pos] != "e":
            k = self.pos
            if kinds[k] == "l" or texts[k] == ";":
                self.pos += 1
                continue
            if bare:  # a bare expression before the last statement
                raise _Bail
            if kinds[k] == "w" and texts[k + 1] == "=":
                output = self.assign()
            else:
                output = self.expression()[0]
                bare = True
            if not (kinds[self.pos] in ("l", "e") or texts[self.pos] == ";"):
                raise _Bail
        if output < 0 or set(self.free) & self.assigned:
            raise _Bail  # empty, or a name used before the line that assigns it
        return self.graph(source, output)

    def graph(self, source: str, output: int) -> TextGraph:
        """The graph, its spans in lines and columns, its Node records made on first use."""
        breaks = np.array([-1, *(m.start() for m in re.finditer("\n", source))],
                          dtype=np.int64)  # the offset before each line's first character

        def where(first: np.ndarray, last: np.ndarray) -> np.ndarray:
            """Rows of (line, column, end line, end column) of [first, last] offsets."""
            line = np.searchsorted(breaks, first, side="right")  # 1-based lines
            end_line = np.searchsorted(breaks, last, side="right")
            return np.stack([line, first - breaks[line - 1], end_line,
                             last - breaks[end_line - 1] + 1], axis=1)

        nodes = self.nodes
        n = len(nodes)
        ends = np.fromiter((nd[5] for nd in nodes), np.int64, n)
        starts = np.fromiter((nd[4] for nd in nodes), np.int64, n)
        spans = where(starts, ends - 1)
        at = [nd[6] for nd in nodes]
        has_at = [k for k, place in enumerate(at) if place is not None]
        places = np.array([place for place in at if place is not None],
                          dtype=np.int64).reshape(-1, 2)
        ats = where(places[:, 0], places[:, 1] - 1)
        return TextGraph([nd[0] for nd in nodes], [nd[1] for nd in nodes],
                         [nd[7] for nd in nodes], output, source,
                         [nd[2] for nd in nodes], [nd[3] for nd in nodes], spans,
                         has_at, ats)

    def check_name(self, text: str) -> None:
        if text in self.good:
            return
        if keyword.iskeyword(text) or text.startswith("__"):
            raise _Bail
        self.good.add(text)

    def assign(self) -> int:
        k = self.pos
        target = self.texts[k]
        t_start, t_end = self.starts[k], self.ends[k]
        self.check_name(target)
        if target in self.assigned:
            raise _Bail
        self.assigned.add(target)
        self.pos += 2
        if self.kinds[self.pos] in ("l", "e") or self.texts[self.pos] == ";":
            raise _Bail
        before = len(self.nodes)
        node_id, _, end, _, literal = self.expression()
        start = t_start  # spans join in text order: the target comes first
        if literal is not None:  # a number under signs: an input with that default
            del self.nodes[before:]
            node_id = self.add("input", (), target, start, end, (t_start, t_end), target,
                               np.array(literal))
        elif node_id < before or self.nodes[node_id][2] is not None:
            node_id = self.add("identity", (node_id,), "=", start, end, (t_start, t_end),
                               target)
        else:
            self.nodes[node_id][2] = target
        self.env[target] = node_id
        return node_id

    # -- expressions --------------------------------------------------------------------
    def expression(self, min_prec: int = 1) -> Result:
        left = self.unary()
        texts = self.texts
        while True:
            k = self.pos
            text = texts[k]
            prec = _PRECEDENCE.get(text)  # only an operator's text is one of these
            if prec is None or prec < min_prec:
                return left
            self.pos = k + 1
            if text == "/" and texts[k + 1] == "/":
                raise _Bail
            right = self.expression(prec + 1)
            op = self.binary[text]
            start, end = left[1], right[2]  # the left operand comes first in the text
            nodes = self.nodes
            if len(nodes) >= self.max_nodes:
                raise _Bail
            nodes.append([op.name, (left[0], right[0]), None, op.symbol, start, end,
                          (self.starts[k], self.ends[k]), None])
            left = (len(nodes) - 1, start, end, "own", None)

    def unary(self) -> Result:
        k = self.pos
        text = self.texts[k]
        if (text == "-" or text == "+") and self.kinds[k] == "o":
            self.pos += 1
            self.enter()
            operand = self.unary()
            self.depth -= 1
            start, end = self.starts[k], operand[2]
            literal = operand[4]
            if text == "+":
                return (operand[0], start, end, "ref", literal)
            if literal is not None:
                literal = -literal
            if operand[3] == "num":  # a negated number: one constant
                value = self.nodes.pop()[7]
                return (self.add("const", (), format_number(literal), start, end,  # type: ignore[arg-type]
                                 default=-value), start, end, "own", literal)
            return (self.add("neg", (operand[0],), "−", start, end,
                             (self.starts[k], self.ends[k])), start, end, "own", literal)
        base = self.atom()
        text = self.texts[self.pos]
        if text == "^" or text == "**":  # the power binds tighter than a sign on its left
            k = self.pos
            self.pos += 1
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            op = self.binary["^"]
            start, end = base[1], exponent[2]
            return (self.add(op.name, (base[0], exponent[0]), op.symbol, start, end,
                             (self.starts[k], self.ends[k])), start, end, "own", None)
        return base

    def atom(self) -> Result:
        k = self.pos
        kind, text, start, end = self.kinds[k], self.texts[k], self.starts[k], self.ends[k]
        if kind == "n":
            self.pos += 1
            known = self.numbers.get(text)
            if known is None:
                value = float(text.replace("_", ""))
                known = self.numbers[text] = (value, format_number(value), np.array(value))
            value, label, default = known  # (one array for every use of a number, read-only
            return (self.add("const", (), label, start, end, default=default),  # as every
                    start, end, "num", value)  # graph's defaults are)
        if kind == "w":
            if text not in self.good:
                self.check_name(text)
            self.pos += 1
            following = self.texts[self.pos]
            if following == "(":
                return self.call(text, start, end)
            if following == "[":
                raise _Bail
            bound = self.env.get(text)
            if bound is None:
                bound = self.free.get(text)
            if bound is not None:
                return (bound, start, end, "ref", None)
            if text in self.assigned:
                raise _Bail  # used on the line that assigns it
            free = self.add("input", (), text, start, end, name=text)
            self.free[text] = free
            return (free, start, end, "own", None)
        if text == "(" and kind == "o":
            self.pos += 1
            self.enter()
            if self.texts[self.pos] == ")":
                raise _Bail
            inner = self.expression()
            if self.texts[self.pos] != ")":
                raise _Bail
            end = self.ends[self.pos]
            self.pos += 1
            self.depth -= 1
            if inner[3] != "ref":  # the node this expression made spans the parentheses
                node = self.nodes[inner[0]]
                node[4], node[5] = start, end
            return (inner[0], start, end, inner[3], inner[4])
        raise _Bail

    def call(self, name: str, name_start: int, name_end: int) -> Result:
        op = self.funcs.get(name)
        if op is None:
            raise _Bail
        self.pos += 1
        self.enter()
        args: list[int] = []
        kinds, texts = self.kinds, self.texts
        while texts[self.pos] != ")":
            k = self.pos
            if (kinds[k] == "w" and texts[k + 1] == "=") or texts[k] in ("*", "**"):
                raise _Bail
            args.append(self.expression()[0])
            if texts[self.pos] == ",":
                self.pos += 1
            elif texts[self.pos] != ")":
                raise _Bail
        end = self.ends[self.pos]
        self.pos += 1
        self.depth -= 1
        if len(args) != op.arity or any(p.required for p in op.params):
            raise _Bail  # parameters (sum(x, 0)), or a wrong count
        start = name_start
        return (self.add(op.name, tuple(args), op.symbol, start, end, (name_start, name_end)),
                start, end, "own", None)


def fast_graph(source: str, limits: Limits = DEFAULT_LIMITS) -> Graph | None:
    """The graph `build(parse(source, limits), limits)` gives, or None where the program
    is outside the subset this reads or is wrong in any way (the usual path then words
    the error)."""
    if len(source) > limits.max_source_chars or not (
            source.isascii() or _COMMENT.sub("", source).isascii()):
        return None  # anything but ASCII outside comments goes the usual way
    try:
        lowering = _Lowering(source, limits)
        graph = lowering.program(source)
    except (_Bail, RecursionError):
        return None
    validate(graph)
    return graph
