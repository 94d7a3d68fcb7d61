"""A program edited only in its numbers reuses the last graph of its template
(app/graph/renumber.py): the graph, and the whole answer, must be exactly what a parse
from scratch gives, on many random edits."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from app import pipeline
from app.errors import LabError
from app.examples import EXAMPLES
from app.graph import build
from app.graph.renumber import Numbers, Renumber
from app.jsonify import encode
from app.lang import parse
from app.lang.tokens import NUMBER
from app.pipeline import Options, circuit, graph_response

MIXED = """# 2 layers, 3 units
x = [1, -2.5, 3e2]   # input 7
W = [[1, 2, 0.5],
     [3, 4, -1_0]]
b = -0
c = --4
h = W @ x * 2 + .5 - b
g = sum(reshape(h, 2, 1)) * -3 + c ^ 2 + +1.
f = g + mean(x) * 1e-3 + 0 * sigmoid(-0.0)
"""
SOURCES = [e["source"] for e in EXAMPLES] + [MIXED]
NUMBER_TEXT = re.compile(r"(?<![A-Za-z0-9_.])(?:" + NUMBER.pattern + r")(?![A-Za-z0-9_.])")
TEXTS = ["0", "0.0", "1", "7", "12345", "2.5", "0.001", ".5", "5.", "1e-3", "2.5E+2",
         "1_000", "3e0", "0.1234567891234", "1e308", "1e999", "99999999999999999"]


def edited(source: str, rng: random.Random) -> str:
    """The source with one to three of its numbers replaced by other number texts."""
    found = list(NUMBER_TEXT.finditer(source))
    out = source
    for m in sorted(rng.sample(found, rng.randint(1, min(3, len(found)))),
                    key=lambda m: -m.start()):
        new = rng.choice(TEXTS) if rng.random() < 0.6 else repr(round(rng.uniform(0, 50), 4))
        out = out[:m.start()] + new + out[m.end():]
    return out


def same_default(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return (type(a) is type(b) and np.shape(a) == np.shape(b)
            and np.asarray(a).dtype == np.asarray(b).dtype
            and np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b)))


def assert_same_graph(got, fresh) -> None:
    assert got.source == fresh.source
    assert got.output == fresh.output and got.ops == fresh.ops and got.inputs == fresh.inputs
    assert len(got.nodes) == len(fresh.nodes)
    for a, b in zip(got.nodes, fresh.nodes, strict=True):
        assert a._replace(default=None) == b._replace(default=None), (a, b)
        assert same_default(a.default, b.default), (a, b)
    for a, b in zip(got.defaults, fresh.defaults, strict=True):
        assert same_default(a, b)


def fresh_graph(source: str):
    try:
        return build(parse(source))
    except Exception as err:  # noqa: BLE001 - compared with what the cached path raises
        return err


@pytest.fixture(autouse=True)
def empty_caches():
    pipeline._graphs.clear()
    pipeline._templates.clear()
    yield
    pipeline._graphs.clear()
    pipeline._templates.clear()


@pytest.mark.parametrize("source", SOURCES, ids=[e["id"] for e in EXAMPLES] + ["mixed"])
def test_a_number_edit_gives_the_graph_a_parse_gives(source):
    rng = random.Random(source)
    circuit(source)
    renumbered = 0
    for _ in range(60):
        new = edited(source, rng)
        expected = fresh_graph(new)
        known = pipeline._templates[(Numbers.of(source).template, pipeline.DEFAULT_LIMITS)]
        if known.apply(new, Numbers.of(new)) is not None:
            renumbered += 1
        if isinstance(expected, Exception):
            with pytest.raises(type(expected)):
                circuit(new)
            continue
        assert_same_graph(circuit(new), expected)
    assert renumbered > 20  # most edits are of a value, not of the structure


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_a_number_edit_gives_the_answer_a_fresh_server_gives(example):
    rng = random.Random(example["id"])
    options = Options(expand=bool(example.get("expand")))
    graph_response(example["source"], options=options)
    for _ in range(15):
        new = edited(example["source"], rng)
        try:
            warm = encode(graph_response(new, options=options))
        except Exception as err:  # noqa: BLE001 - a mistake in the edit: the same mistake
            pipeline._graphs.clear()
            pipeline._templates.clear()
            with pytest.raises(type(err)) as again:
                graph_response(new, options=options)
            assert str(again.value) == str(err)
            graph_response(example["source"], options=options)
            continue
        pipeline._graphs.clear()
        pipeline._templates.clear()
        assert encode(graph_response(new, options=options)) == warm
        graph_response(example["source"], options=options)  # the template again


def test_a_number_edit_is_not_parsed_again(monkeypatch):
    source = "x = 3\nw = [0.5, -2]\nf = sigmoid(w * x + 1)\n"
    first = circuit(source)
    monkeypatch.setattr(pipeline, "parse", lambda *a, **k: pytest.fail("parsed again"))
    graph = circuit(source.replace("3", "3.25").replace("-2", "-20"))
    assert graph is not first
    assert float(graph.nodes[0].default) == 3.25
    assert graph.nodes[1].default.tolist() == [0.5, -20.0]
    assert graph.nodes[0].span.end_column == first.nodes[0].span.end_column + 3  # 3.25
    assert graph.nodes[1].span.end_column == first.nodes[1].span.end_column + 1  # -20
    assert graph.nodes[-1].span == first.nodes[-1].span  # line 3 is as it was


@pytest.mark.parametrize("change", [
    ("reshape(h, 2, 1)", "reshape(h, 1, 2)"),  # a shape: the structure
    ("# 2 layers", "# 4 layers"),  # a comment
])
def test_a_structural_number_is_parsed_again(change):
    circuit(MIXED)
    known = pipeline._templates[(Numbers.of(MIXED).template, pipeline.DEFAULT_LIMITS)]
    new = MIXED.replace(*change)
    assert known.apply(new, Numbers.of(new)) is None
    expected = fresh_graph(new)
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)):
            circuit(new)
    else:
        assert_same_graph(circuit(new), expected)


def test_only_ascii_programs_are_renumbered():
    assert Numbers.of("x = 3  # ∂f/∂x\nf = x * 2") is None
    numbers = Numbers.of("x1 = 3.5e2\nf = x1 * .5 + 2.")
    assert numbers is not None and numbers.texts == ("3.5e2", ".5", "2.")
    graph = build(parse("x1 = 3.5e2\nf = x1 * .5 + 2."))
    assert all(slot is not None for slot in Renumber.learn(graph, numbers).slots)


def test_a_number_that_makes_the_program_too_long_is_refused_as_a_parse_would():
    from app.errors import LabError
    from app.limits import Limits

    limits = Limits(max_source_chars=20)
    source = "x = 3\nf = x * 2"  # 15 characters
    circuit(source, limits)
    with pytest.raises(LabError) as err:
        circuit("x = 3.000000001\nf = x * 2", limits)
    assert err.value.key == "source_too_long"


def test_a_nul_is_never_taken_for_a_number() -> None:
    """`1` and a NUL character would share a template if NUL marked the gaps: the NUL
    program is a syntax error (400), never a graph borrowed from `1` (found by the property
    test as a 500)."""
    assert Numbers.of("\0") is None and Numbers.of("f = x\0 + 1") is None
    circuit("1")
    with pytest.raises(LabError, match="NUL"):
        circuit("\0")
