"""lab.trace: Python functions traced by operator overloading into the same circuit as the
program they correspond to, with that program as `circuit.source`."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app import lab
from app.tracing import Var, number


def same_circuit(traced: lab.Circuit, source: str, **values: object) -> None:
    """The traced circuit and lab.circuit of the hand-written program: the same gates in
    the same order, the same values and gradients."""
    written = lab.circuit(source, values)

    def gates(circuit: lab.Circuit) -> list[tuple[str, str, tuple[str, ...]]]:
        return sorted((n.op, repr(n.value), tuple(sorted(circuit[i].op for i in n.inputs)))
                      for n in circuit)
    assert gates(traced) == gates(written)
    assert traced.value == pytest.approx(written.value, rel=1e-12)
    for name in written.inputs:
        np.testing.assert_allclose(traced[name].grad, written[name].grad, rtol=1e-12)


def test_cs231n_from_python() -> None:
    def f(x, y, z):
        return (x + y) * z

    circuit = lab.trace(f, x=-2, y=5, z=-4)
    assert circuit.source == "x = -2\ny = 5\nz = -4\nf = (x + y) * z\n"
    assert circuit.value == -12 and circuit.grads == {"x": -4, "y": -4, "z": 3, "f": 1}
    same_circuit(circuit, "f = (x + y) * z", x=-2, y=5, z=-4)


def test_a_micrograd_neuron_written_as_a_loop_is_unrolled() -> None:
    """micrograd's README neuron: tanh(Σ wᵢxᵢ + b), one gate per product and sum."""
    def neuron(x, w, b):
        act = b
        for wi, xi in zip(w, x, strict=True):
            act = act + wi * xi
        return act.tanh()

    n = lab.trace(neuron, x=[2.0, 0.0], w=[-3.0, 1.0], b=6.8813735870195432)
    assert n.source.splitlines() == ["x1 = 2", "x2 = 0", "w1 = -3", "w2 = 1",
                                     "b = 6.881373587019543",
                                     "neuron = tanh(b + w1 * x1 + w2 * x2)"]
    assert [node.op for node in n].count("mul") == 2 and [node.op for node in n].count("add") == 2
    # micrograd's published numbers: o = 0.7071, x1.grad = −1.5, w1.grad = 1, x2.grad = 0.5
    assert n.value == pytest.approx(0.7071067811865476)
    expected = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    for name, grad in expected.items():
        assert n[name].grad == pytest.approx(grad, abs=1e-12)
    same_circuit(n, n.source)


def test_values_used_twice_are_named_and_branches_follow_the_numbers() -> None:
    def f(a, b):
        c = a * b
        d = c + c * 2  # c fans out: named, so the circuit has one node for it
        if d > 0:  # a comparison looks at the value
            return abs(d) + lab.relu(-a)
        return d

    circuit = lab.trace(f, a=2.0, b=3.0)
    assert circuit.source.splitlines()[2:] == ["t1 = a * b", "f = abs(t1 + t1 * 2) + relu(-a)"]
    assert circuit.value == 18.0 and circuit["a"].grad == 9.0 and circuit["b"].grad == 6.0
    assert lab.trace(f, a=2.0, b=-3.0).source.endswith("f = t1 + t1 * 2\n")


def test_tensors_and_constants() -> None:
    W = np.array([[0.5, -1.0], [2.0, 0.25]])  # noqa: N806

    def loss(x, w):
        h = lab.sigmoid(W @ x + w)  # a numpy constant, written as a list literal
        return lab.mean((h - np.array([1.0, 0.0])) ** 2) + 0.5 * lab.sum(w * w)

    traced = lab.trace(loss, x=np.array([1.0, -2.0]), w=np.array([0.1, 0.2]))
    assert "[[0.5, -1], [2, 0.25]] @ x" in traced.source
    same_circuit(traced, traced.source)
    h = 1 / (1 + np.exp(-(W @ [1.0, -2.0] + [0.1, 0.2])))
    assert traced.value == pytest.approx(np.mean((h - [1, 0]) ** 2) + 0.5 * 0.05)


def test_traced_gradients_match_the_engine_and_finite_differences() -> None:
    """Random expressions over + − × ÷ ^ and the unary ops, as Python builds them: the
    written program parses back to the traced tree (its value matches the traced value at
    every node), and the engine's gradients match central differences."""
    rng = random.Random(17)
    unary = [lab.exp, lab.tanh, lab.sigmoid, lab.sin, lambda v: -v, lambda v: v * v]
    binary = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
              lambda a, b: a / (b * b + 1), lambda a, b: (a * a + 1) ** (b / 4),
              lambda a, b: 2 - a, lambda a, b: 3 / (1 + b * b), lambda a, b: a ** 2 - b]
    checked = 0
    for _ in range(60):
        ops = [(rng.random() < 0.4, rng.randrange(len(unary)), rng.randrange(len(binary)),
                rng.randrange(8), rng.randrange(8)) for _ in range(rng.randrange(2, 9))]

        def f(p, q, r, ops=ops):
            pool = [p, q, r]
            for is_unary, u, b, i, j in ops:
                a, c = pool[i % len(pool)], pool[j % len(pool)]
                pool.append(unary[u](a) if is_unary else binary[b](a, c))
            return pool[-1]

        point = {"p": rng.uniform(-1, 1), "q": rng.uniform(-1, 1), "r": rng.uniform(-1, 1)}
        traced = lab.trace(f, **point)
        checked += 1
        same_circuit(traced, traced.source)
        reference = f(*[_Plain(v) for v in point.values()]).v
        assert traced.value == pytest.approx(reference, rel=1e-12, abs=1e-12), traced.source
        for name in point:
            h = 1e-6
            up = f(*[_Plain(v + (h if k == name else 0)) for k, v in point.items()]).v
            down = f(*[_Plain(v - (h if k == name else 0)) for k, v in point.items()]).v
            grad = traced[name].grad if name in traced else 0.0
            assert grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-6), \
                traced.source
    assert checked == 60


class _Plain:
    """A float with the trace's operators, computed in plain Python (the reference)."""

    def __init__(self, v: float) -> None:
        self.v = float(v)

    def _n(self, o):  # noqa: ANN001
        return o.v if isinstance(o, _Plain) else o

    def __add__(self, o): return _Plain(self.v + self._n(o))  # noqa: E704
    def __radd__(self, o): return _Plain(self._n(o) + self.v)  # noqa: E704
    def __sub__(self, o): return _Plain(self.v - self._n(o))  # noqa: E704
    def __rsub__(self, o): return _Plain(self._n(o) - self.v)  # noqa: E704
    def __mul__(self, o): return _Plain(self.v * self._n(o))  # noqa: E704
    def __rmul__(self, o): return _Plain(self._n(o) * self.v)  # noqa: E704
    def __truediv__(self, o): return _Plain(self.v / self._n(o))  # noqa: E704
    def __rtruediv__(self, o): return _Plain(self._n(o) / self.v)  # noqa: E704
    def __pow__(self, o): return _Plain(self.v ** self._n(o))  # noqa: E704
    def __neg__(self): return _Plain(-self.v)  # noqa: E704


@pytest.fixture(autouse=True)
def plain_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    """lab.exp and friends on a _Plain compute in plain Python (the reference of the
    random test); on traced values they trace."""
    import math

    import app.tracing as tracing

    plain = {"exp": math.exp, "tanh": math.tanh, "sin": math.sin,
             "sigmoid": lambda v: 1 / (1 + math.exp(-v))}
    for name, fn in plain.items():
        traced = tracing.FUNCTIONS[name]

        def either(x, *rest, fn=fn, traced=traced):  # noqa: ANN001, ANN002
            return _Plain(fn(x.v)) if isinstance(x, _Plain) else traced(x, *rest)
        monkeypatch.setattr(lab, name, either, raising=False)


def test_deep_expressions_are_named_not_nested_past_the_limit() -> None:
    def chain(x):
        for _ in range(40):
            x = lab.sin(x)
        return x

    traced = lab.trace(chain, x=0.5)
    assert max(line.count("(") for line in traced.source.splitlines()) <= 9
    expected = 0.5
    for _ in range(40):
        expected = np.sin(expected)
    assert traced.value == pytest.approx(expected)


def test_what_cannot_be_traced_says_so() -> None:
    with pytest.raises(TypeError, match="does not depend on its inputs"):
        lab.trace(lambda x: 3.0, x=1.0)
    with pytest.raises(TypeError, match="one output"):
        lab.trace(lambda x: (x, x), x=1.0)
    with pytest.raises(TypeError, match="no truth value"):
        lab.trace(lambda x: x if x else -x, x=1.0)
    with pytest.raises(TypeError, match="cannot be indexed"):
        lab.trace(lambda x: sum(x), x=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="not finite"):
        lab.trace(lambda x: x * 2, x=float("nan"))
    with pytest.raises(TypeError, match="keywords"):
        lab.trace(lambda: 1)
    assert lab.exp(0.0) == 1.0  # no traced operand: just the number
    assert isinstance(lab.trace(lambda x: x * 1, x=2.0)["x"], lab.Node)


def test_numbers_are_written_exactly() -> None:
    for x in (0.1, -3.0, 6.8813735870195432, 1e-300, 2.5e17, -0.0):
        assert float(number(x)) == x
    assert number(-3.0) == "-3" and number(0.1) == "0.1"


def test_micrograd_spellings() -> None:
    def f(x):
        return (x * 2).tanh() + x.exp() + x.relu() + x.sigmoid()

    traced = lab.trace(f, x=0.3)
    assert traced.source.endswith("f = tanh(x * 2) + exp(x) + relu(x) + sigmoid(x)\n")
    assert isinstance(Var.data, property)
