"""Random programs against an independent autodiff (HIPS autograd): tests/oracle.py.

2,000 programs from fixed seeds — every op of the registry, transposed,
reshaped and broadcast operands, named intermediates used more than once —
must agree with autograd on the output, every input's and every named
intermediate's value and gradient, the backward steps' running sums and (for
programs ending in one number) the training tape, to rtol 1e-9. The run also
records which memory layouts reached each op, so "non-contiguous arrays
reach every forward function and vjp" is checked, not hoped for.

Then the program of issue 11 and its relatives, each with its own test: the
gradient a learner saw was wrong, so each is held by its published numbers
where there are some and by the oracle everywhere.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from app.engine.run import MIN_BATCH
from app.graph import build
from app.lang import parse
from app.ops import REGISTRY
from tests.oracle import Report, check, from_source, generate, run, watching

PROGRAMS = 2000


@pytest.fixture(scope="module")
def oracle_run() -> tuple[list[Report], dict[tuple[str, str], set[str]]]:
    with watching() as seen:
        reports = [run(seed) for seed in range(PROGRAMS)]
    return reports, {k: set(v) for k, v in seen.items()}


def _describe(report: Report) -> str:
    values = {k: v for k, v in report.program.values.items()}
    return (f"seed {report.seed}:\n{report.program.source}values = {values}\n"
            + "\n".join(report.problems[:4]))


def test_random_programs_agree_with_autograd(oracle_run):
    reports, _ = oracle_run
    failures = [r for r in reports if not r.ok]
    assert not failures, (f"{len(failures)} of {len(reports)} programs disagree with autograd; "
                          "the first:\n" + "\n\n".join(_describe(r) for r in failures[:3]))


def test_every_op_is_in_many_programs(oracle_run):
    reports, _ = oracle_run
    count = Counter(op for r in reports for op in r.ops)
    rare = {op: count[op] for op in REGISTRY if count[op] < 50}
    assert not rare, f"ops in fewer than 50 of {PROGRAMS} programs: {rare}"


def test_non_contiguous_arrays_reach_every_forward_and_vjp(oracle_run):
    _, seen = oracle_run
    missing = [f"{op} {phase}" for op in REGISTRY for phase in ("forward", "backward")
               if "strided" not in seen.get((op, phase), set())]
    assert not missing, f"never given a transposed or Fortran-ordered array: {missing}"


def test_broadcast_gradients_reach_every_vjp_that_takes_a_tensor_gradient(oracle_run):
    # sum's and mean's vjps hand on a read-only stride-0 view; every vjp whose output can
    # be a tensor must cope with one (cross_entropy and mse end in one number).
    _, seen = oracle_run
    tensor_out = [op.name for op in REGISTRY.values()
                  if op.vjp is not None and op.name not in ("cross_entropy", "mse")]
    missing = [op for op in tensor_out
               if not {"broadcast", "readonly"} <= seen.get((op, "backward"), set())]
    assert not missing, f"never given a broadcast, read-only gradient: {missing}"


def test_the_oracle_reaches_the_batched_path_and_the_tape(oracle_run):
    reports, _ = oracle_run
    wide = [generate(s) for s in range(PROGRAMS) if s % 8 == 3]
    assert all(sum(1 for n, _ in p.statements if n.startswith("h0_")) >= MIN_BATCH
               for p in wide)
    tape_checked = sum(1 for r in reports if r.seed % 2 == 0)
    assert tape_checked >= PROGRAMS // 2 - 1


def test_a_wrong_vjp_is_caught():
    """The oracle can fail: with mul's second partial off by a sign, programs disagree."""
    original = REGISTRY["mul"]
    bad = original.partials[1]
    from dataclasses import replace
    REGISTRY["mul"] = replace(original, partials=(original.partials[0],
                                                  lambda y, a, b: -bad(y, a, b)))
    try:
        caught = sum(1 for s in range(40) if not run(s).ok)
    finally:
        REGISTRY["mul"] = original
    assert caught >= 10


# -- issue 11: cross-entropy of transposed logits, and its relatives ------------------------

W = [[1, 2, 3], [4, 5, 6]]
Y = [0, 1, 0]


def test_transposed_logits_give_pytorchs_gradient(client):
    body = client.post("/api/graph", json={
        "source": "W = [[1, 2, 3], [4, 5, 6]]\ny = [0, 1, 0]\nf = cross_entropy(transpose(W), y)",
    }).json()
    nodes = {n["name"]: n for n in body["nodes"] if n["name"]}
    assert nodes["f"]["value"] == pytest.approx(2.04859, abs=5e-6)
    # PyTorch 2.x, float64: F.cross_entropy(W.T, y).backward()
    np.testing.assert_allclose(nodes["W"]["grad"], [[-0.3175, 0.0158, -0.3175],
                                                    [0.3175, -0.0158, 0.3175]], atol=5e-5)


RELATIVES = [
    "f = cross_entropy(transpose(W), y)",
    "f = cross_entropy(transpose(W) * 2 + transpose(V), y)",
    "f = cross_entropy(log_softmax(transpose(W)), y)",
    "f = cross_entropy(softmax(transpose(W)), y)",
    "f = cross_entropy(transpose(W) + b, y)",
    "f = cross_entropy(b - transpose(W), y)",
    "f = cross_entropy(transpose(W @ X), y)",
    "f = cross_entropy(reshape(transpose(W), 3, 2), y)",
    "f = mean(pick(log_softmax(transpose(W)), y))",
    "f = cross_entropy(transpose(max_pool(A, 2)), y)",
    "f = cross_entropy(transpose(mean_pool(A, 2)) * transpose(W), y)",
    "t = transpose(W)\nf = cross_entropy(t, y) + sum(t * t) / 10",
    "s = transpose(tanh(W))\nf = cross_entropy(s, y) * mse(s, transpose(V))",
]
VALUES = {"W": W, "y": Y, "V": [[0.5, -1, 2], [1.5, 0.25, -0.75]], "b": [0.3, -0.2],
          "X": [[1, 0.5, -1], [0.25, 2, 1], [-1, 1, 0.5]],
          "A": [[0.1, 0.9, 0.3, 0.4, 1.2, 0.7], [0.5, 0.2, 0.8, 0.6, 0.05, 0.35],
                [1.1, 0.45, 0.15, 0.65, 0.95, 0.25], [0.55, 0.75, 1.3, 0.85, 0.0, 1.4]]}


@pytest.mark.parametrize("source", RELATIVES)
def test_relatives_of_the_transposed_logits_agree_with_autograd(source):
    inputs = build(parse(source)).input_ids
    program = from_source(source, {n: VALUES[n] for n in inputs})
    report = check(program)
    assert report.ok, "\n".join(report.problems)
    assert program.labels == {"y"}
