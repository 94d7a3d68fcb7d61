"""Which nodes matter (app/engine/analysis.py): each answer against its definition, and the
three executors reading it.

The definitions are brute force: a node's ancestors as a set, paths followed one edge at
a time. On random graphs (cross_entropy and pick among the ops, so labels and gradients
that stop at an input) the analysis must give the same answers, and the engine's
schedule, the batched sweep's plan and the training tape must run exactly the gates it
names.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from app.engine import evaluate
from app.engine.analysis import NONDIFF, Analysis, depends, discrete, reaches
from app.engine.batch import cost
from app.engine.bind import bind
from app.engine.shapes import infer_shapes
from app.graph import Graph, build, from_description
from app.lang import parse
from app.training.tape import Tape

# op, arity
OPS = [("add", 2), ("mul", 2), ("sigmoid", 1), ("tanh", 1), ("cross_entropy", 2),
       ("pick", 2), ("sub", 2)]


def random_graph(seed: int, n_gates: int = 40) -> Graph:
    """A random DAG of inputs, constants and gates; the output is not always the last node,
    so some gates are dead."""
    rng = np.random.default_rng(seed)
    items: list[tuple[str, tuple[int, ...], float | None]] = []
    for _ in range(int(rng.integers(2, 6))):
        items.append(("input" if rng.random() < 0.7 else "const", (), 1.0))
    for _ in range(n_gates):
        op, arity = OPS[int(rng.integers(len(OPS)))]
        n = len(items)
        ins = tuple(int(n - 1 - min(rng.exponential(4), n - 1)) for _ in range(arity))
        items.append((op, ins, None))
    output = len(items) - 1 - int(rng.integers(0, 4))
    return from_description(items, output)


def brute(graph: Graph, params: set[int], data: set[int]) -> dict[str, list]:
    """Every answer straight from its definition."""
    n = len(graph)
    ins = graph.inputs

    @cache
    def ancestors(o: int) -> frozenset[int]:  # o and everything it depends on
        return frozenset({o}).union(*(ancestors(i) for i in ins[o]))

    @cache
    def grad_path(i: int, o: int) -> bool:  # a gradient flows from o back to i
        if i == o:
            return True
        skip = NONDIFF.get(graph.ops[o], ())
        return any(grad_path(i, k) for j, k in enumerate(ins[o]) if j not in skip)

    def level(o: int) -> int:
        return 0 if not ins[o] else 1 + max(level(i) for i in ins[o])

    out = graph.output
    feeds_label = {k for o in range(n) for j, k in enumerate(ins[o])
                   if j in NONDIFF.get(graph.ops[o], ())}
    return {
        "reached": [o in ancestors(out) for o in range(n)],
        "requires": [bool(ancestors(o) & params) for o in range(n)],
        "varying": [bool(ancestors(o) & (params | data)) for o in range(n)],
        "differentiable": [grad_path(o, out) for o in range(n)],
        "labels": [any(o in ancestors(k) for k in feeds_label) for o in range(n)],
        "level": [level(o) for o in range(n)],
    }


@pytest.mark.parametrize("seed", range(60))
def test_every_answer_is_its_definition(seed: int) -> None:
    graph = random_graph(seed)
    inputs = [i for i, op in enumerate(graph.ops) if op == "input"]
    rng = np.random.default_rng(seed)
    params = [i for i in inputs if rng.random() < 0.6]
    data = [i for i in inputs if i not in params and rng.random() < 0.5]
    for given, p in ((None, set(inputs)), (params, set(params))):
        facts = Analysis(graph, given, data if given is not None else ())
        want = brute(graph, p, set(data) if given is not None else set())
        got = {name: getattr(facts, name) for name in want}
        for name in want:
            assert got[name] == want[name], (seed, name)
        assert facts.needs == [d and r for d, r in zip(want["differentiable"],
                                                         want["requires"], strict=True)]
    assert discrete(graph) == brute(graph, set(), set())["labels"]
    some = set(inputs[:2])
    assert depends(graph, some) == [bool(brute_ancestors(graph, o) & some)
                                    for o in range(len(graph))]
    middle = len(graph) // 2
    assert reaches(graph, middle) == [o in brute_ancestors(graph, middle)
                                      for o in range(len(graph))]


def brute_ancestors(graph: Graph, o: int) -> set[int]:
    seen = {o}
    todo = [o]
    while todo:
        for i in graph.inputs[todo.pop()]:
            if i not in seen:
                seen.add(i)
                todo.append(i)
    return seen


def test_a_small_program_read_by_hand() -> None:
    source = ("x = 1\nw = 2\nt = 3 * 2\nh = x * w\ndead = w + 1\nf = h + t")
    graph = build(parse(source))
    facts = Analysis(graph)
    by_name = {n.name: n.id for n in graph.nodes if n.name}
    x, w, t, h, dead, f = (by_name[k] for k in ("x", "w", "t", "h", "dead", "f"))
    assert [facts.reached[i] for i in (x, w, t, h, dead, f)] == [1, 1, 1, 1, 0, 1]
    assert [facts.requires[i] for i in (x, w, t, h, dead, f)] == [1, 1, 0, 1, 1, 1]
    assert facts.level[f] == 2 and facts.level[t] == 1 and facts.level[x] == 0
    assert not any(facts.labels)
    assert facts.varying is facts.requires  # no data: nothing changes but the inputs


def test_labels_take_no_gradient_and_are_not_trained() -> None:
    source = "X = [[1, 2], [3, 4]]\ny = [0, 1]\nW = [[1, 0], [0, 1]]\nf = cross_entropy(X @ W, y)"
    graph = build(parse(source))
    ids = graph.input_ids
    facts = Analysis(graph, [ids["W"]], [ids["X"], ids["y"]])
    assert facts.labels[ids["y"]] and not facts.labels[ids["W"]]
    assert facts.reached[ids["y"]] and not facts.differentiable[ids["y"]]
    assert facts.needs[ids["W"]] and not facts.needs[ids["X"]] and not facts.needs[ids["y"]]
    assert facts.varying[ids["X"]] and not facts.requires[ids["X"]]


# ------------------------------------------------------------------- the executors read it


PROGRAM = """X = [[1, 2], [3, 4], [5, 6]]
y = [0, 1, 1]
W = [[0.1, -0.2], [0.3, 0.4]]
b = [0.5, -0.5]
c = 2 * 3
unused = W * 2
z = tanh(X @ W + b) * c
f = cross_entropy(z, y)
"""


def test_the_engine_schedules_from_it() -> None:
    ev = evaluate(build(parse(PROGRAM)))
    facts = ev.plan.analysis
    assert ev.plan.requires is facts.requires and ev.plan.reached is facts.reached
    assert facts.requires == Analysis(ev.graph).requires


def test_the_batched_sweep_runs_what_depends_on_its_inputs_and_reaches_the_output() -> None:
    ev = evaluate(build(parse(PROGRAM)))
    w = ev.graph.input_ids["W"]
    plan = cost(ev, [w])
    want = [o for o in range(len(ev.graph)) if ev.graph.inputs[o]
            and depends(ev.graph, [w])[o] and ev.plan.reached[o]]
    assert plan.gates == want
    names = {ev.graph.nodes[o].name for o in plan.gates}
    assert "unused" not in names and "c" not in names and "f" in names


def test_the_tape_compiles_the_varying_reached_gates_and_the_needed_gradients() -> None:
    graph = build(parse(PROGRAM))
    ids = graph.input_ids
    bound, _ = bind(graph, {})
    shapes = infer_shapes(graph, bound)
    params, data = [ids["W"], ids["b"]], [ids["X"], ids["y"]]
    tape = Tape.compile(graph, shapes, bound, params, data)
    facts = Analysis(graph, params, data)
    run = [step[0] for step in tape._forward]
    assert run == [o for o in range(len(graph))
                   if graph.inputs[o] and facts.reached[o] and facts.varying[o]]
    targets = set()
    for step in tape._backward:
        if step[0]:
            targets |= {i for _, i, _ in step[4]}
        else:
            targets.add(step[2])
    assert targets == {i for i in range(len(graph)) if facts.needs[i]} - {graph.output}
    assert ids["y"] not in targets and ids["X"] not in targets
    tape.forward()
    tape.backward()
    ev = evaluate(graph)
    for name in ("W", "b"):
        np.testing.assert_allclose(tape.gradient(ids[name]), ev.grad(ids[name]), rtol=1e-12)
