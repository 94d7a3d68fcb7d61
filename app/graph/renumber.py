"""A built graph reused for a program that differs from its own only in numbers.

A learner editing one number of a program (`x = 3` to `x = 3.5`, a weight of a network)
sends a new source whose graph has the same gates and wires as the last one: only the
defaults of some inputs and constants, the labels of those constants, and the columns of
what follows the number on its line change. Parsing and building it again is most of the
work of answering a small program; this module does the same in a tenth of the time.

`Numbers.of(source)` splits a source into its text between numbers (the *template*) and
its numbers. `Renumber.learn(graph)` finds, for a graph built from a source, which number
of the source is which element of which node's default: a number inside the span of an
input or constant whose default holds exactly those numbers, in order, up to sign. Every
other number (a window size, an axis, a number in a comment) is part of the structure: a
program that changes it is parsed anew. `Renumber.apply(source)` gives the graph of
another source of the same template, or None when it cannot (a structural number changed,
a number that is not finite): then the caller parses. The graph it gives is the one
`build(parse(source))` gives, node for node, which tests/test_renumber.py checks on many
random edits.

Only ASCII sources are renumbered, so a column is a character and nothing is normalised.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import Span
from app.graph.build import format_number
from app.graph.ir import Graph
from app.lang.tokens import NUMBER

# A number as the tokenizer reads it, not part of a name (x2) or of another number.
_LITERAL = re.compile(r"(?<![A-Za-z0-9_.])(?:" + NUMBER.pattern + r")(?![A-Za-z0-9_.])")


@dataclass(frozen=True, slots=True)
class Numbers:
    """A source as its template (the text between its numbers) and its numbers."""

    template: str
    texts: tuple[str, ...]
    starts: tuple[int, ...]  # offset of each number in the source

    @classmethod
    def of(cls, source: str) -> Numbers | None:
        """The numbers of an ASCII source; None for one that is not ASCII or holds a NUL
        (the template's mark between pieces: `"\\0"` and `"1"` would share one)."""
        if not source.isascii() or "\0" in source:
            return None
        pieces: list[str] = []
        texts: list[str] = []
        starts: list[int] = []
        last = 0
        for m in _LITERAL.finditer(source):
            start = m.start()
            pieces.append(source[last:start])
            texts.append(m.group())
            starts.append(start)
            last = m.end()
        pieces.append(source[last:])
        return cls("\0".join(pieces), tuple(texts), tuple(starts))


def _value(text: str) -> float:
    return float(text.replace("_", ""))  # as the parser reads a number


def _positions(source: str, starts: tuple[int, ...]) -> list[tuple[int, int]]:
    """The 1-based line and column of each offset, in order (lines end at "\\n", as for the
    tokenizer)."""
    out = []
    line, line_start, last = 1, 0, 0
    for offset in starts:
        breaks = source.count("\n", last, offset)
        if breaks:
            line += breaks
            line_start = source.rfind("\n", last, offset) + 1
        out.append((line, offset - line_start + 1))
        last = offset
    return out


@dataclass(frozen=True, slots=True)
class _Slot:
    node: int  # the node whose default holds the number
    index: int  # its place in the default, row-major
    sign: float  # the default holds sign × the number


class Renumber:
    """A graph and how to give it the numbers of another source of the same template."""

    __slots__ = ("graph", "numbers", "slots", "positions")

    def __init__(self, graph: Graph, numbers: Numbers, slots: list[_Slot | None],
                 positions: list[tuple[int, int]]) -> None:
        self.graph = graph
        self.numbers = numbers
        self.slots = slots  # per number of the source: where it goes, or None (structure)
        self.positions = positions  # per number: its line and column in graph.source

    @classmethod
    def learn(cls, graph: Graph, numbers: Numbers) -> Renumber:
        """Which number of the graph's source is which element of which default."""
        source = graph.source
        positions = _positions(source, numbers.starts)  # in order, as the offsets
        slots: list[_Slot | None] = [None] * len(numbers.texts)
        for node in graph.nodes:
            if node.op not in ("input", "const") or node.default is None or node.span is None:
                continue
            span = node.span
            inside = range(bisect_left(positions, (span.line, span.column)),
                           bisect_left(positions, (span.end_line, span.end_column)))
            flat = np.asarray(node.default, dtype=float).reshape(-1)
            if not inside or len(inside) != flat.size:
                continue
            mine = []
            for index, k in enumerate(inside):
                number, held = _value(numbers.texts[k]), float(flat[index])
                if abs(held) != number:
                    break
                mine.append(_Slot(node.id, index, math.copysign(1.0, held)))
            else:
                for k, slot in zip(inside, mine, strict=True):
                    slots[k] = slot
        return cls(graph, numbers, slots, positions)

    def apply(self, source: str, numbers: Numbers) -> Graph | None:
        """The graph of `source` (of the same template), or None if it needs a parse."""
        if (numbers.template != self.numbers.template
                or len(numbers.texts) != len(self.numbers.texts)):
            return None
        changed: dict[int, list[tuple[int, float]]] = {}
        shifts: dict[int, list[tuple[int, int]]] = {}  # line -> (column, shift)
        for k, (old, new) in enumerate(zip(self.numbers.texts, numbers.texts, strict=True)):
            if old == new:
                continue
            slot = self.slots[k]
            if slot is None:
                return None  # a number of the structure changed
            value = _value(new)
            if not math.isfinite(value):
                return None  # the parser's own words for it
            changed.setdefault(slot.node, []).append((slot.index, slot.sign * value))
            if len(new) != len(old):
                line, column = self.positions[k]
                shifts.setdefault(line, []).append((column, len(new) - len(old)))
        nodes = list(self.graph.nodes)
        if shifts:
            for k, node in enumerate(nodes):
                span, at = _shifted(node.span, shifts), _shifted(node.at, shifts)
                if span is not node.span or at is not node.at:
                    nodes[k] = node._replace(span=span, at=at)
        for node_id, values in changed.items():
            node = nodes[node_id]
            default = _renumbered(node.default, values)
            label = node.label
            if node.op == "const" and np.ndim(default) == 0:
                label = format_number(float(default))
            nodes[node_id] = node._replace(label=label, default=default)
        return Graph.from_nodes(nodes, self.graph.output, source)


def _renumbered(default: Any, values: list[tuple[int, float]]) -> Any:
    """A default of the same type and shape holding the new numbers (an array, or the numpy
    float a folded negative constant has)."""
    assert default is not None
    if isinstance(default, np.ndarray):
        out = np.array(default, dtype=float)
        flat = out.reshape(-1)
        for index, value in values:
            flat[index] = value
        return out
    (index, value), = values  # a scalar constant: one number
    return type(default)(value)


def _shifted(span: Span | None, shifts: dict[int, list[tuple[int, int]]]) -> Span | None:
    """A span with its columns moved by the numbers before them on their line that changed
    in length (a column right after a number's start moves with it)."""
    if span is None or (span.line not in shifts and span.end_line not in shifts):
        return span
    column = _moved(span.line, span.column, shifts)
    end_column = _moved(span.end_line, span.end_column, shifts)
    if column == span.column and end_column == span.end_column:
        return span
    return Span(span.line, column, span.end_line, end_column)


def _moved(line: int, column: int, shifts: dict[int, list[tuple[int, int]]]) -> int:
    return column + sum(d for c, d in shifts.get(line, ()) if c < column)
