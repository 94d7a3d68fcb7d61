"""The compact answer of a scalar circuit written straight from its evaluation
(app/scalar_columns.py) is the answer `to_columns` makes of the default body: the same
JSON, byte for byte, on every preset, on the differential oracle's random programs and on
the corners a trace has (NaN and ∞, dead code, constants only, fan-out, σ's factors,
batched and lone gates, a circuit past the layout cache)."""

from __future__ import annotations

import orjson
import pytest

from app.columns import to_columns
from app.engine import evaluate
from app.examples import EXAMPLES
from app.micrograd_demo import demo_program
from app.pipeline import Options, Sweep, circuit, graph_json, graph_response
from app.scalar_columns import applies, scalar_columns
from bench.programs import chain, neuron_network
from tests import oracle


def both(source: str, values: dict | None = None, seed=None) -> tuple[bytes, bytes]:
    """(the columns written directly, the columns of the default body), as JSON bytes."""
    ev = evaluate(circuit(source), values, seed)
    assert applies(ev)
    return orjson.dumps(scalar_columns(ev)), orjson.dumps(to_columns(graph_json(ev)))


SCALAR_PRESETS = [e for e in EXAMPLES
                  if applies(evaluate(circuit(e["source"])))]


@pytest.mark.parametrize("example", SCALAR_PRESETS, ids=[e["id"] for e in SCALAR_PRESETS])
def test_every_scalar_preset_gives_the_same_bytes(example) -> None:
    direct, default = both(example["source"])
    assert direct == default


@pytest.mark.parametrize("seed", range(60))
def test_random_scalar_programs_give_the_same_bytes(seed: int) -> None:
    program = oracle.generate(seed)
    ev = evaluate(circuit(program.source), program.values,
                  None if program.seed is None else program.seed.tolist())
    if applies(ev):  # the tensor programs are written the default way
            assert orjson.dumps(scalar_columns(ev)) == orjson.dumps(to_columns(graph_json(ev)))


@pytest.mark.parametrize("source, values", [
    ("f = log(x) * y + 1 / z", {"x": 0, "y": 2, "z": 0}),  # -inf, inf, nan and warnings
    ("f = exp(x) * 0", {"x": 1000}),  # inf * 0 = NaN
    ("a = 2\nb = a * 3\nf = x * x + sigmoid(x) * sigmoid(x + 1)", {"x": 0.3}),  # dead code
    ("f = 2 * 3 + 1", None),  # nothing requires a gradient
    ("x = 3", None),  # the output is an input
    ("f = max(x, y) + min(x, y) + abs(x - y) + relu(x) + tanh(y) + sqrt(x) + sin(x)"
     " + cos(y) + x ^ y + -x + x / y", {"x": 0.7, "y": 0.7}),  # every scalar op, a tie
    ("q = x + y\nf = q * z", {"x": -2, "y": 5, "z": -4}),
    ("f = sum(x) * 2 + mean(y) + sum(x * y) ^ 2", {"x": 3, "y": 2}),  # vjp gates: no local
    ("q = x * 0\nf = q / q", {"x": 1}),  # 0/0
])
def test_the_corners_of_a_trace_give_the_same_bytes(source: str, values) -> None:
    direct, default = both(source, values)
    assert direct == default


@pytest.mark.parametrize("source", [chain(4_000), neuron_network(4_000), demo_program(3)],
                         ids=["chain", "neurons", "demo"])
def test_big_circuits_give_the_same_bytes(source: str) -> None:
    """Batched gates (the neurons, the demo network) and a layout past the cache."""
    direct, default = both(source)
    assert direct == default


def test_the_pipeline_answers_with_it() -> None:
    source = "q = x + y\nf = q * z"
    direct = graph_response(source, {"x": 1, "y": 2, "z": 3}, options=Options(columns=True))
    assert direct == to_columns(graph_response(source, {"x": 1, "y": 2, "z": 3}))


@pytest.mark.parametrize("source", [demo_program(3), neuron_network(400),
                                    "# a\nq = x + y\n## b\nf = q * z"],
                         ids=["demo-folded", "neurons-folded", "small-with-headings"])
@pytest.mark.parametrize("options", [{"groups": True}, {"groups": True, "check": True},
                                     {"groups": True, "code": True, "lr": 0.1},
                                     {"check": True, "sweep": Sweep("x")}],
                         ids=["groups", "groups-check", "groups-code-update", "check-sweep"])
def test_the_teaching_tools_come_with_it_too(source: str, options: dict) -> None:
    """The page asks for a long program's answer with its groups in the columns form: the
    columns are written straight from the evaluation there too (folded: without a layout),
    and what the tools add rides along, the same bytes as the default answer's columns."""
    values = {"x": 1.0, "y": 2.0, "z": 3.0}
    if "sweep" in options and "x" not in source.split():
        options = {**options, "sweep": Sweep(circuit(source).nodes[0].name)}
    direct = graph_response(source, values, options=Options(columns=True, **options))
    default = to_columns(graph_response(source, values, options=Options(**options)))
    assert orjson.dumps(direct) == orjson.dumps(default)
    assert ("layout" in direct) == (not direct.get("folded"))


def test_a_folded_answer_in_columns_makes_no_object_per_node(monkeypatch) -> None:
    """micrograd's demo network as the page asks for it: written without the default
    body (graph_json and to_columns are never called), folded, with its groups."""
    import app.pipeline as pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("the default body was built")

    monkeypatch.setattr(pipeline, "graph_json", refuse)
    monkeypatch.setattr(pipeline, "to_columns", refuse)
    body = graph_response(demo_program(3), options=Options(groups=True, columns=True))
    assert body["format"] == "columns" and body["folded"] is True and "layout" not in body
    assert len(body["nodes"]["group"]) == body["nodes"]["count"] and body["groups"]
