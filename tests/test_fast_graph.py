"""A long program read in one pass (app/graph/fast.py) is the graph the parser and the
builder make of it, node for node — ids, ops, inputs, names, labels, spans, error places,
defaults — or nothing, and then the usual path answers (with its error, where the program
has one)."""

from __future__ import annotations

import numpy as np
import pytest

from app.errors import LabError
from app.examples import EXAMPLES
from app.graph import Graph, build
from app.graph.fast import fast_graph
from app.lang import parse
from app.micrograd_demo import demo_program
from app.pipeline import circuit
from bench.layout import random_dag
from bench.programs import chain, from_description, neuron_network
from tests import oracle


def assert_same_graph(fast: Graph | None, slow: Graph) -> None:
    assert fast is not None
    assert fast.output == slow.output and fast.source == slow.source
    assert fast.ops == slow.ops and fast.inputs == slow.inputs
    for a, b in zip(fast.nodes, slow.nodes, strict=True):
        assert a[:8] == b[:8], (a, b)  # id, op, inputs, name, label, span, at, params
        assert (a.default is None) == (b.default is None), a
        if a.default is not None:
            assert a.default.dtype == b.default.dtype and a.default.shape == b.default.shape
            assert np.array_equal(a.default, b.default) and \
                np.array_equal(np.signbit(a.default), np.signbit(b.default))


def check(source: str) -> Graph | None:
    """The fast graph, held to the usual one; None where the fast path gave up."""
    fast = fast_graph(source)
    try:
        slow = build(parse(source))
    except LabError:
        assert fast is None, source  # a wrong program is never read the fast way
        return None
    if fast is not None:
        assert_same_graph(fast, slow)
    return fast


@pytest.mark.parametrize("source", [chain(2_001), neuron_network(2_000), demo_program(2),
                                    from_description(random_dag(300, 10))],
                         ids=["chain", "neurons", "demo", "random"])
def test_big_programs_are_read_the_fast_way_to_the_same_graph(source: str) -> None:
    assert check(source) is not None


def test_the_presets_read_the_fast_way_are_the_same_graph() -> None:
    fast = [check(e["source"]) for e in EXAMPLES]
    assert sum(g is not None for g in fast) >= len(EXAMPLES) // 3


def test_random_programs_read_the_fast_way_are_the_same_graph() -> None:
    read = [check(oracle.generate(seed).source) for seed in range(200)]
    assert any(g is not None for g in read)


@pytest.mark.parametrize("source", [
    "f = (x) * (2) + -(3) * (-y) + +x - -(-4)",  # parentheses widen what they hold
    "x = -(3)\ny = +-2.5\nz = (1_000)\nf = x*y*z",  # numbers under signs: inputs
    "q = x + y\nf = q",  # an alias: an identity gate
    "a = x\nb = a\nf = b * 2",
    "f = 2 ^ 3 ^ 2 + x ** -y ^ 2 - -x ^ 2",  # right-associative power, unary exponents
    "f = sigmoid(x) * relu(y - 1) + max(x, y) / exp(-(x)) + tanh(((x)))",
    "f = (x\n + y)\n\n# a comment\n; g = f * 2;",  # newlines in brackets, ';'
    "3",  # a bare number is the output
    "x = 1\nx * 2 + 1",
    "f = x @ y",
    "f = -0.0 * x + 1e-3 * .5 + 2. * 0",
])
def test_the_corners_are_the_same_graph(source: str) -> None:
    assert check(source) is not None


@pytest.mark.parametrize("source", [
    "f = x + y\nf = 2",  # assigned twice
    "f = g * 2\ng = 1",  # used before its line
    "f = f + 1",
    "f = sum(x, 0)",  # a parameter
    "f = [1, 2] * x",  # a list
    "f = 2x",  # a number into a name
    "f = x // 2",
    "f = sigmoid(x, y)",
    "f = sigmod(x)",
    "f = x +",
    "lambda = 3",
    "__x = 1",
    "x + 1\nf = 2",  # a bare expression before the end
    "f = (x + 1",
    "f = x $ 2",
    "",
    "f = 损失 * 2",  # not ASCII
    "f = x.y",
    "f(x) = 2",
    "f = (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x)))))))))))"
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))",  # too deep
])
def test_what_it_does_not_read_goes_the_usual_way(source: str) -> None:
    assert fast_graph(source) is None
    check(source)


def test_a_long_program_is_answered_from_the_fast_graph() -> None:
    source = chain(3_000)
    assert len(source) > 20_000
    assert_same_graph(circuit(source), build(parse(source)))


def test_a_long_program_with_a_mistake_is_told_its_line() -> None:
    source = chain(3_000) + "g = f +\n"
    with pytest.raises(LabError) as caught:
        circuit(source)
    assert caught.value.span is not None
    assert caught.value.span.line == source.count("\n")


def test_the_fast_graph_travels_to_another_process() -> None:
    """A graph is pickled where training runs it in a worker."""
    import pickle

    graph = fast_graph(chain(50))
    again = pickle.loads(pickle.dumps(graph))
    assert_same_graph(again, build(parse(chain(50))))


def test_other_characters_only_in_comments_are_read_the_fast_way() -> None:
    """Headings such as micrograd's demo writes (`# the margins: relu(1 − y·s)`) keep the
    fast path; a character outside ASCII anywhere else leaves it to the usual one."""
    assert check("# the margins: relu(1 − y·s)\nf = x * 2  # · and −\n") is not None
    for source in ("f = x − 2", "f = 𝑥 * 2", "f = x * 1٣", "f = x·2"):
        assert fast_graph(source) is None, source


def test_no_two_names_it_reads_can_look_alike() -> None:
    """fast.py skips the look-alike check: its names are ASCII, and the look-alike table
    maps only letters outside ASCII, so an ASCII name is its own skeleton. A program
    mixing `x` and Cyrillic `х` is non-ASCII, goes the usual way and gets its error."""
    from app.lang.names import LOOKALIKES, skeleton

    assert LOOKALIKES and not [ch for ch in LOOKALIKES if ch.isascii()]
    assert skeleton("abc_XYZ_019") == "abc_XYZ_019"
    source = chain(3_000) + "g = x * 2 + \u0445\n"  # Cyrillic ха
    assert fast_graph(source) is None
    with pytest.raises(LabError) as caught:
        circuit(source)
    assert caught.value.type == "name"
