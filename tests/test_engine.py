"""Engine behaviour beyond single ops: depth, batching, the trace, non-finite numbers."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from app.engine import evaluate
from app.engine import run as engine_run
from app.engine.trace import backward_steps
from app.errors import LabError
from app.graph import build, from_description
from app.lang import parse
from app.limits import Limits
from app.pipeline import graph_json, run

BIG = Limits(max_source_chars=10_000_000, max_nodes=1_000_000)


def test_chain_of_100000_gates_from_source() -> None:
    lines = ["a0 = 0.5"] + [f"a{k + 1} = a{k} * 0.99999 + 0.00001" for k in range(50_000)]
    ev = evaluate(build(parse("\n".join(lines), BIG), BIG), limits=BIG)
    gates = sum(1 for op in ev.graph.ops if op not in ("input", "const"))
    assert gates == 100_000
    assert sys.getrecursionlimit() <= 10_000  # nothing raised it for us
    assert ev.grad(0) == pytest.approx(0.99999 ** 50_000)


def test_chain_of_100000_gates_from_description() -> None:
    items = [("input", (), 1.0)]
    for _ in range(100_000):
        items.append(("const", (), 1.0))
        items.append(("add", (len(items) - 2, len(items) - 1), None))
    ev = evaluate(from_description(items), limits=BIG)
    assert float(ev.value(len(items) - 1)) == 100_001
    assert float(ev.grad(0)) == 1


def test_batched_and_gate_by_gate_agree(monkeypatch) -> None:
    """The vectorised schedule gives the numbers the one-gate-at-a-time loop gives."""
    rng = np.random.default_rng(1)
    terms = [f"p{k} = sigmoid(a * x{k} + b) * tanh(x{k} - a) + max(x{k}, b)" for k in range(40)]
    source = "\n".join(terms) + "\nf = " + " + ".join(f"p{k}" for k in range(40))
    values = {f"x{k}": float(v) for k, v in enumerate(rng.normal(size=40))}
    values.update(a=0.7, b=-0.3)
    batched = run(source, values)
    assert batched.plan.batches, "this graph should be vectorised"
    monkeypatch.setattr(engine_run, "MIN_BATCH", 10**9)
    single = run(source, values)
    assert not single.plan.batches
    for i in range(len(batched.graph)):
        assert float(batched.value(i)) == pytest.approx(float(single.value(i)), rel=1e-13)
        if batched.plan.requires[i]:
            assert float(batched.grad(i)) == pytest.approx(float(single.grad(i)), rel=1e-12)
    # and the trace reads the batched edges back
    body = graph_json(batched)
    for step in body["steps"]:
        for edge in step.get("edges", []):
            assert edge["product"] == pytest.approx(edge["upstream"] * edge["local"])


def test_trace_running_sums_end_at_the_gradient() -> None:
    ev = run("a = x * y\nb = a + x\nc = b * a\nf = c + sigmoid(x) * y", {"x": 0.5, "y": -2})
    last_sum: dict[str, float] = {}
    for step in backward_steps(ev):
        for edge in step["edges"]:
            last_sum[edge["input"]] = float(edge["sum"])
    for node in ev.graph.nodes:
        if node.op != "const" and node.id != ev.graph.output:
            assert last_sum[node.key] == pytest.approx(float(ev.grad(node.id)), rel=1e-12)


def test_unreached_gates_have_zero_gradient_and_no_steps() -> None:
    ev = run("dead = exp(x) * 3\nf = x * 2", {"x": 1.0})
    dead = ev.graph.input_ids  # names of inputs only
    assert "x" in dead
    dead_id = next(n.id for n in ev.graph.nodes if n.name == "dead")
    assert float(ev.grad(dead_id)) == 0
    assert all(s["node"] != f"n{dead_id}" for s in backward_steps(ev))
    assert float(ev.grad(ev.graph.input_ids["x"])) == 2


def test_dead_gates_do_not_poison_a_batch() -> None:
    """0 · ∞ from a gate the output does not use must not become NaN in a live gradient."""
    dead = "\n".join(f"d{k} = sqrt(z{k})" for k in range(10))
    live = "\n".join(f"l{k} = sqrt(z{k} + 1)" for k in range(10))
    source = f"{dead}\n{live}\nf = " + " + ".join(f"l{k}" for k in range(10))
    ev = run(source, {f"z{k}": 0.0 for k in range(10)})
    assert ev.plan.batches
    for k in range(10):
        assert float(ev.grad(ev.graph.input_ids[f"z{k}"])) == pytest.approx(0.5)


def test_overflow_and_huge_exponents_do_not_fail() -> None:
    ev = run("f = exp(exp(exp(1000))) + 9^9^9^9 + 2^2^2^2^2^2")
    assert float(ev.value(ev.graph.output)) == np.inf


def test_tensor_element_limit_is_checked_before_computing() -> None:
    """A column times a row broadcasts to 100×100: refused from the shapes alone."""
    limits = Limits(max_tensor_elements=1_000)
    values = {"c": [[float(k)] for k in range(100)], "r": list(range(100))}
    with pytest.raises(LabError) as info:
        run("f = sum(c * r)", values, limits=limits)
    assert info.value.type == "too_large"
    assert (info.value.span.line, info.value.span.column) == (1, 11)
