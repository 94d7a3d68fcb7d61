"""Gate granularity: composite gates redrawn as their primitives (app/graph/expand.py).

Parametrised over the registry, so a composite op added later is covered
without touching this file: its expansion must parse into primitives of the
right inputs, and both views of a circuit must give the same gradients.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from app.engine import evaluate
from app.errors import LabError
from app.graph import build, validate
from app.graph.expand import composite, expand, resolve, template
from app.lang import parse
from app.limits import Limits
from app.ops import REGISTRY, Op, ShapeError
from app.ops.elementwise import _elementwise
from tests.test_gradcheck import call

COMPOSITES = [op for op in REGISTRY.values() if op.expansion]
SHAPES = [(), (3,), (2, 3)]


def _fits(op: Op, shape: tuple[int, ...]) -> bool:
    """Whether the op takes inputs of this shape (class labels: one per row)."""
    shapes = [shape[:-1] if j in op.nondiff else shape for j in range(op.arity)]
    try:
        op.shape(*shapes)
    except (ShapeError, ValueError):
        return False
    return True


VIEWS = [(op, shape) for op in COMPOSITES for shape in SHAPES if _fits(op, shape)]


def graph_of(source: str):
    return build(parse(source))


def test_sigmoid_and_tanh_are_composite() -> None:
    assert {"sigmoid", "tanh"} <= {op.name for op in COMPOSITES}


@pytest.mark.parametrize("op", COMPOSITES, ids=lambda op: op.name)
def test_every_expansion_is_primitives_of_its_inputs(op: Op) -> None:
    parts = template(op.name)
    validate(parts)
    assert not any(composite(o) for o in parts.ops), parts.ops
    names = {n.name for n in parts.nodes if n.op == "input"}
    assert names <= set("ab"[:op.arity])
    assert "a" in names


@pytest.mark.parametrize(("op", "shape"), VIEWS,
                         ids=[f"{op.name}-{'x'.join(map(str, s)) or 'scalar'}" for op, s in VIEWS])
def test_both_views_give_the_same_gradients(op: Op, shape: tuple[int, ...]) -> None:
    # The composite inside a bigger circuit, used twice, so gradients flow through it and
    # fan out of its input: f = sum(OP(u) * r + OP(u * c)), u = a * w. Class labels are the
    # input b itself (whole numbers, one per row), which takes no gradient.
    rng = np.random.default_rng(zlib.crc32(f"{op.name}{shape}".encode()))
    second_arg = "b" if 1 in op.nondiff else "v"
    args = ["u", second_arg][:op.arity]
    second = call(op, ["(u * c)", second_arg][:op.arity])
    source = f"u = a * w\nv = b + w\np = {call(op, args)}\nq = {second}\nf = sum(p * r + q)"
    b = (rng.integers(0, shape[-1], shape[:-1]).astype(float) if op.nondiff
         else rng.uniform(0.5, 1.5, shape))
    values = {"a": rng.uniform(-1.5, 1.5, shape).tolist(), "b": b.tolist(),
              "w": float(rng.uniform(0.5, 1.5)), "c": float(rng.uniform(-1.5, 1.5)),
              "r": rng.normal(size=shape).tolist()}
    collapsed = graph_of(source)
    expanded = expand(collapsed)
    assert not any(composite(o) for o in expanded.graph.ops)
    assert len(expanded.graph) > len(collapsed)
    one = evaluate(collapsed, values)
    two = evaluate(expanded.graph, values)
    np.testing.assert_allclose(two.value(two.graph.output), one.value(one.graph.output),
                               rtol=1e-12, atol=1e-15)
    for name, i in collapsed.input_ids.items():
        if name == "b" and op.arity == 1:
            continue
        j = expanded.graph.input_ids[name]
        np.testing.assert_allclose(two.grad(j), one.grad(i), rtol=1e-12, atol=1e-15,
                                   err_msg=f"d/d{name} through {op.name}")


def test_origin_names_and_spans() -> None:
    collapsed = graph_of("x = 3\ny = -4\nsigy = sigmoid(y)\nf = x * sigy")
    out = expand(collapsed)
    graph = out.graph
    sig = next(n.id for n in collapsed.nodes if n.op == "sigmoid")
    parts = [n for n in graph.nodes if out.origin[n.id] == sig]
    assert [n.op for n in parts] == [n.op for n in template("sigmoid").nodes if n.op != "input"]
    assert {out.expanded_from[n.id] for n in parts} == {"sigmoid"}
    assert all(n.span == collapsed.nodes[sig].span for n in parts)
    named = [n for n in parts if n.name]
    assert [(n.name, n.op) for n in named] == [("sigy", "div")]  # the top primitive keeps it
    assert named[0].id == max(n.id for n in parts)
    for n in graph.nodes:  # untouched nodes point at their counterparts
        if out.expanded_from[n.id] is None:
            old = collapsed.nodes[out.origin[n.id]]
            assert (old.op, old.name, old.span) == (n.op, n.name, n.span)
    assert graph.nodes[graph.output].name == "f"


def test_expanding_only_some_nodes() -> None:
    collapsed = graph_of("f = sigmoid(x) + tanh(x) + sigmoid(2 * x)")
    first = next(n.id for n in collapsed.nodes if n.op == "sigmoid")
    out = expand(collapsed, resolve(collapsed, [f"n{first}"]))
    assert out.graph.ops.count("sigmoid") == 1 and out.graph.ops.count("tanh") == 1
    assert {out.origin[i] for i, f in enumerate(out.expanded_from) if f} == {first}
    values = {"x": 0.3}
    one, two = evaluate(collapsed, values), evaluate(out.graph, values)
    assert two.grad(out.graph.input_ids["x"]) == pytest.approx(one.grad(0), rel=1e-12)


@pytest.mark.parametrize(("keys", "key"), [
    (["n99"], "expand_unknown"),
    (["x"], "expand_unknown"),
    (["n01"], "expand_unknown"),
    (["n0"], "expand_not_composite"),
    (["n1"], "expand_not_composite"),
])
def test_resolve_refuses_what_cannot_be_expanded(keys, key) -> None:
    collapsed = graph_of("f = x * 2 + sigmoid(x)")
    with pytest.raises(LabError) as info:
        resolve(collapsed, keys)
    assert (info.value.type, info.value.key) == ("value", key)


def test_expansion_respects_the_node_limit() -> None:
    source = "f = " + " + ".join(f"sigmoid(x{k})" for k in range(10))
    collapsed = graph_of(source)
    limits = Limits(max_nodes=len(collapsed) + 20)
    with pytest.raises(LabError) as info:
        expand(collapsed, limits=limits)
    assert info.value.type == "too_large"
    expand(collapsed, limits=Limits(max_nodes=len(collapsed) + 70))


def test_a_fan_out_composite_and_the_output_itself() -> None:
    collapsed = graph_of("s = sigmoid(x)\nf = s * s")
    out = expand(collapsed)
    values = {"x": -0.7}
    one, two = evaluate(collapsed, values), evaluate(out.graph, values)
    assert two.grad(0) == pytest.approx(one.grad(0), rel=1e-12)
    bare = graph_of("tanh(x)")
    out = expand(bare)
    assert out.graph.ops[out.graph.output] == "div"
    assert out.origin[out.graph.output] == bare.output


@pytest.fixture
def swish():
    """A composite made of another composite, registered for one test."""
    _elementwise("swish", 1, "swish", "a·σ(a)", lambda a: a / (1 + np.exp(-a)),
                 (lambda y, a: 0.0,), ("swish'(a)",), function="swish",
                 expansion="a * sigmoid(a)")
    template.cache_clear()
    yield REGISTRY["swish"]
    del REGISTRY["swish"]
    template.cache_clear()


def test_an_expansion_that_uses_a_composite_is_expanded_through(swish) -> None:
    parts = template("swish")
    assert "sigmoid" not in parts.ops and "div" in parts.ops
    out = expand(graph_of("f = swish(x) * 3"))
    assert set(out.expanded_from) == {None, "swish"}
    assert float(evaluate(out.graph, {"x": 1.0}).value(out.graph.output)) == pytest.approx(
        3 / (1 + np.exp(-1.0)))
