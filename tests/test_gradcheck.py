"""Every op's vector-Jacobian product against central finite differences.

After HIPS autograd's `check_grads`: each registry entry gets cases at scalar,
vector and matrix shapes (broadcasting for binary elementwise ops, axes for
reductions, 1-D/2-D combinations for matmul). A case is a program of the
circuit language, `f = sum(OP(a, b) * r)` with `r` a fixed random tensor, so
the output is a scalar and the whole vjp is checked, not only its action on an
all-ones upstream gradient. The analytic gradients come from the real pipeline
(`app.pipeline.run`); the numeric ones re-run its forward pass with one
input element nudged up and down.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from app.engine.run import MIN_BATCH
from app.ops import REGISTRY, Op
from app.pipeline import run

RTOL = 1e-5
ATOL = 1e-7

Shape = tuple[int, ...]
Values = dict[str, np.ndarray]


# -- the checker --------------------------------------------------------------

def _plain(values: Values) -> dict[str, object]:
    """Values as decoded JSON (numbers and nested lists), the way a request gives them."""
    return {name: np.asarray(x, dtype=float).tolist() for name, x in values.items()}


def output_of(source: str, values: Values) -> float:
    ev = run(source, _plain(values))
    return float(ev.value(ev.graph.output))


def numeric_grad(source: str, values: Values, name: str) -> np.ndarray:
    """Central differences of the program's scalar output with respect to one input."""
    x = np.asarray(values[name], dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(float(x[idx])))
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        f_up = output_of(source, {**values, name: up})
        f_down = output_of(source, {**values, name: down})
        grad[idx] = (f_up - f_down) / (up[idx] - down[idx])
    return grad


def check_grads(source: str, values: Values) -> None:
    """Every input's analytic gradient equals central differences, in the input's shape."""
    ev = run(source, _plain(values))
    assert ev.shapes[ev.graph.output] == (), f"the output of {source!r} is not a scalar"
    ids = ev.graph.input_ids
    assert set(ids) == set(values), f"inputs {sorted(ids)} but values for {sorted(values)}"
    for name, x in values.items():
        analytic = ev.grad(ids[name])
        numeric = numeric_grad(source, values, name)
        where = f"df/d{name} for {source!r}"
        assert analytic is not None, f"{where}: no gradient"
        assert analytic.shape == np.shape(x), (
            f"{where}: gradient of shape {analytic.shape} for an input of shape {np.shape(x)}")
        np.testing.assert_allclose(
            analytic, numeric, rtol=RTOL, atol=ATOL,
            err_msg=f"{where}\nanalytic = {analytic!r}\nnumeric  = {numeric!r}\n"
                    f"values = {_plain(values)}")


def grads(source: str, values: dict[str, object]) -> dict[str, np.ndarray | None]:
    """Each input's gradient by name."""
    ev = run(source, values)
    return {name: ev.grad(i) for name, i in ev.graph.input_ids.items()}


# -- writing an op in the circuit language, from its registry entry ------------

def labels_literal(labels: tuple[int, ...]) -> str:
    """Class labels written in place: one number for a vector of logits, else a list."""
    return str(labels[0]) if len(labels) == 1 else "[" + ", ".join(map(str, labels)) + "]"


def call(op: Op, args: list[str], params: tuple[int, ...] = ()) -> str:
    """The op applied to args, written the way a program writes it.

    For an op with an input that takes no gradient (`nondiff`: class labels), given
    params are those labels, written in place of that input; args are then the others.
    """
    if op.nondiff and params:
        args = list(args[:op.arity - len(op.nondiff)])
        for j in op.nondiff:
            args.insert(j, labels_literal(params))
        params = ()
    if op.operator and op.arity == 2:
        return f"({args[0]} {op.operator} {args[1]})"
    if op.operator:
        return f"({op.operator}{args[0]})"
    if op.function:
        return f"{op.function}({', '.join([*args, *map(str, params)])})"
    raise AssertionError(f"op {op.name} has no syntax of its own")


def body(op: Op, params: tuple[int, ...]) -> str:
    """Statements computing `y` from the inputs a (and b)."""
    if op.name == "identity":
        return "y = a"  # no syntax of its own: an alias is an identity gate
    return f"y = {call(op, list('ab'[:op.arity]), params)}"


# -- the cases ---------------------------------------------------------------

UNARY_SHAPES: list[tuple[Shape, ...]] = [((),), ((3,),), ((2, 3),)]
BINARY_SHAPES: list[tuple[Shape, ...]] = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 3), (2, 1)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
]
REDUCTIONS: list[tuple[tuple[Shape, ...], tuple[int, ...]]] = [
    (((),), ()),
    (((3,),), ()),
    (((3,),), (0,)),
    (((2, 3),), ()),
    (((2, 3),), (0,)),
    (((2, 3),), (1,)),
    (((2, 3),), (-1,)),
    (((2, 3, 2),), (1,)),
]
LAST_AXIS: list[tuple[tuple[Shape, ...], tuple[int, ...]]] = [
    (((3,),), ()), (((1,),), ()), (((2, 3),), ()), (((2, 3, 4),), ()),
]
POOLS: list[tuple[tuple[Shape, ...], tuple[int, ...]]] = [
    (((2, 2),), (2,)), (((4, 4),), (2,)), (((4, 6),), (2,)), (((6, 3),), (3,)),
    (((2, 3),), (1,)), (((3, 3),), (3,)),
]
# Ops whose Jacobian is not diagonal list their cases by hand: (input shapes, params).
TENSOR_CASES: dict[str, list[tuple[tuple[Shape, ...], tuple[int, ...]]]] = {
    "matmul": [
        (((2, 3), (3,)), ()),
        (((3,), (3, 2)), ()),
        (((2, 3), (3, 4)), ()),
        (((3,), (3,)), ()),
        (((2, 2, 3), (3, 4)), ()),
        (((3,), (2, 3, 2)), ()),
        (((2, 1, 2, 3), (3, 3, 2)), ()),
    ],
    "sum": REDUCTIONS,
    "mean": REDUCTIONS,
    "transpose": [(((),), ()), (((3,),), ()), (((2, 3),), ()), (((2, 3, 4),), ())],
    "softmax": LAST_AXIS,
    "log_softmax": LAST_AXIS,
    # Class labels take no gradient: the params are the labels, written in the program.
    "pick": [(((3,),), (2,)), (((2, 3),), (2, 0)), (((4, 3),), (0, 1, 2, 1))],
    "cross_entropy": [(((3,),), (2,)), (((3,),), (0,)), (((2, 3),), (2, 0)),
                      (((4, 3),), (0, 1, 2, 1)), (((2, 5),), (4, 4))],
    "mse": [(shapes, ()) for shapes in BINARY_SHAPES],
    "max_pool": POOLS,
    "mean_pool": POOLS,
    "reshape": [(((6,),), (2, 3)), (((2, 3),), (6,)), (((2, 3),), (3, -1)),
                (((2, 3),), (-1,)), (((),), (1,)), (((2, 3, 2),), (-1, 3)), (((1,),), (1, 1))],
}

# Where an op's inputs must come from so that no sample sits on a kink or outside the domain.
DOMAINS: dict[str, tuple[str, ...]] = {
    "log": ("positive",),
    "sqrt": ("positive",),
    "pow": ("positive", "any"),
    "div": ("any", "nonzero"),
    "relu": ("nonzero",),
    "abs": ("nonzero",),
    "max": ("apart", "apart"),
    "min": ("apart", "apart"),
}


@dataclass(frozen=True)
class Case:
    """An op at some input shapes; params are its trailing integers, or its class labels."""

    op: str
    shapes: tuple[Shape, ...]
    params: tuple[int, ...] = ()

    def __str__(self) -> str:
        shapes = " ".join("x".join(map(str, s)) or "scalar" for s in self.shapes)
        op = REGISTRY[self.op]
        if op.nondiff:
            extra = f" labels={labels_literal(self.params)}"
        elif self.params:
            extra = " " + " ".join(f"{p.name}={v}"
                                   for p, v in zip(op.params, self.params, strict=False))
        else:
            extra = ""
        return f"{self.op}[{shapes}{extra}]"


def all_cases() -> Iterator[Case]:
    for op in REGISTRY.values():
        if op.name in TENSOR_CASES:
            for shapes, params in TENSOR_CASES[op.name]:
                yield Case(op.name, shapes, params)
        elif op.elementwise:
            for shapes in UNARY_SHAPES if op.arity == 1 else BINARY_SHAPES:
                yield Case(op.name, shapes)


CASES = list(all_cases())


def _sample(rng: np.random.Generator, kind: str, shape: Shape) -> np.ndarray:
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    return rng.uniform(-1.5, 1.5, shape)


def inputs_for(case: Case, rng: np.random.Generator) -> Values:
    kinds = DOMAINS.get(case.op, ("any",) * len(case.shapes))
    while True:
        names = "ab"[:len(case.shapes)]
        values = {name: _sample(rng, kind, shape)
                  for name, kind, shape in zip(names, kinds, case.shapes, strict=True)}
        if "apart" not in kinds:
            return values
        # max/min: every pair that meets after broadcasting is far from a tie.
        if np.min(np.abs(values["a"] - values["b"])) > 0.1:
            return values


def test_every_op_has_a_gradient_case():
    covered = {case.op for case in CASES}
    assert covered == set(REGISTRY), (
        f"ops without a gradient case: {sorted(set(REGISTRY) - covered)}; "
        f"cases for ops not in the registry: {sorted(covered - set(REGISTRY))}")


def test_every_domain_names_a_registry_op():
    assert set(DOMAINS) <= set(REGISTRY)
    for op_name, kinds in DOMAINS.items():
        assert len(kinds) == REGISTRY[op_name].arity, op_name


@pytest.mark.parametrize("case", CASES, ids=str)
def test_vjp_matches_finite_differences(case: Case):
    op = REGISTRY[case.op]
    rng = np.random.default_rng(zlib.crc32(str(case).encode()))
    values = inputs_for(case, rng)
    shape_ev = run(body(op, case.params), _plain(values))
    out_shape = shape_ev.shapes[shape_ev.graph.output]
    values["r"] = rng.normal(size=out_shape)
    check_grads(body(op, case.params) + "\nf = sum(y * r)", values)


# -- the gradient conventions of DESIGN.md -------------------------------------

def test_a_value_used_twice_gets_the_summed_gradient():
    # micrograd's `c += c + 1`: c reaches d three times, so dd/dc = 2c + 1.
    source = "c = a + b\nd = c * c + c\nf = d"
    got = grads(source, {"a": 2.0, "b": -4.0})
    assert got["a"] == pytest.approx(2 * (2.0 - 4.0) + 1)
    assert got["b"] == pytest.approx(2 * (2.0 - 4.0) + 1)
    check_grads(source, {"a": np.array(2.0), "b": np.array(-4.0)})


def test_a_tensor_used_twice_gets_the_summed_gradient():
    check_grads("c = a * b\nd = c * c + sum(c, 0) * a\nf = sum(d)",
                {"a": np.array([[0.5, -1.0], [2.0, 1.5]]), "b": np.array([1.5, -0.5])})


@pytest.mark.parametrize("op", ["relu", "abs"])
def test_kinks_have_zero_slope_at_zero(op):
    assert grads(f"f = {op}(x)", {"x": 0.0})["x"] == 0.0
    vector = grads(f"f = {op}(x)", {"x": [-2.0, 0.0, 3.0]})["x"]
    expected = {"relu": [0.0, 0.0, 1.0], "abs": [-1.0, 0.0, 1.0]}[op]
    np.testing.assert_array_equal(vector, expected)


@pytest.mark.parametrize(("op", "a", "b", "grad_a", "grad_b"), [
    ("max", 3.0, 3.0, 0.5, 0.5),
    ("max", 3.0, 1.0, 1.0, 0.0),
    ("max", -1.0, 2.0, 0.0, 1.0),
    ("min", 3.0, 3.0, 0.5, 0.5),
    ("min", 3.0, 1.0, 0.0, 1.0),
    ("min", -1.0, 2.0, 1.0, 0.0),
])
def test_max_and_min_route_to_the_winner_and_split_a_tie(op, a, b, grad_a, grad_b):
    got = grads(f"f = {op}(a, b)", {"a": a, "b": b})
    assert (got["a"], got["b"]) == (grad_a, grad_b)


def test_max_tie_splits_elementwise_under_broadcasting():
    got = grads("f = sum(max(a, b))", {"a": [1.0, 2.0, 3.0], "b": 2.0})
    np.testing.assert_array_equal(got["a"], [0.0, 0.5, 1.0])
    assert got["b"] == 1.5


def test_constants_have_no_gradient():
    ev = run("t = 2 * 3\nf = x * t + 4", {"x": 5.0})
    nodes = ev.graph.nodes
    consts = [n.id for n in nodes if n.op == "const"]
    assert len(consts) == 3
    for i in consts:
        assert ev.grad(i) is None, f"const {nodes[i].label} has gradient {ev.grad(i)}"
    t = next(n.id for n in nodes if n.name == "t")
    assert ev.grad(t) is None  # a gate fed only by constants
    assert ev.grad(ev.graph.input_ids["x"]) == 6.0


def test_an_output_of_constants_only_has_no_gradient():
    ev = run("f = 2 * 3 + 1")
    assert float(ev.value(ev.graph.output)) == 7.0
    assert all(ev.grad(n.id) is None for n in ev.graph.nodes)


EXPANDED = [op for op in REGISTRY.values() if op.expansion]


def test_sigmoid_and_tanh_have_expansions():
    assert {"sigmoid", "tanh"} <= {op.name for op in EXPANDED}


POINTS = [-3.0, -0.5, 0.0, 0.7, 2.5, [-2.0, 0.0, 1.5]]


def expansion_points() -> Iterator[tuple[str, Op, dict[str, object]]]:
    """Elementwise composites at scalars and a vector; the others at their gradient cases,
    with class labels given as the input b."""
    for op in EXPANDED:
        if op.elementwise:
            for point in POINTS:
                yield f"{op.name}-{point}", op, {name: point for name in "ab"[:op.arity]}
            continue
        for shapes, params in TENSOR_CASES[op.name]:
            case = Case(op.name, shapes, params)
            rng = np.random.default_rng(zlib.crc32(str(case).encode()))
            values = _plain(inputs_for(case, rng))
            if op.nondiff:
                values["b"] = params[0] if len(params) == 1 else list(params)
            yield str(case), op, values


EXPANSION_POINTS = list(expansion_points())


@pytest.mark.parametrize(("op", "values"), [point[1:] for point in EXPANSION_POINTS],
                         ids=[point[0] for point in EXPANSION_POINTS])
def test_expansion_matches_the_composite_gate(op, values):
    names = list("ab"[:op.arity])
    composite = run(f"f = {call(op, names)}", values)
    expanded = run(op.expansion, values)  # its last statement is the output
    np.testing.assert_allclose(expanded.value(expanded.graph.output),
                               composite.value(composite.graph.output), rtol=1e-12, atol=1e-15)
    for name in names:
        np.testing.assert_allclose(
            expanded.grad(expanded.graph.input_ids[name]),
            composite.grad(composite.graph.input_ids[name]), rtol=1e-9, atol=1e-15,
            err_msg=f"d{op.name}/d{name} at {values}: expansion {op.expansion!r}")


@pytest.mark.parametrize(("a", "b", "grad_a", "grad_b"), [
    # f = a * b, a non-scalar output seeded with ones: each gradient is the other
    # input broadcast to the output and summed back over the axes it was stretched.
    ([[1, 2, 3], [4, 5, 6]], [1, 1, 1], [[1, 1, 1], [1, 1, 1]], [5, 7, 9]),
    ([[1, 2, 3], [4, 5, 6]], [[1], [1]], [[1, 1, 1], [1, 1, 1]], [[6], [15]]),
    (2, [[1, 2, 3], [4, 5, 6]], 21, [[2, 2, 2], [2, 2, 2]]),
    ([[1], [2]], [[1, 1, 1]], [[3], [3]], [[3, 3, 3]]),
])
def test_broadcast_gradients_come_back_in_the_input_shape(a, b, grad_a, grad_b):
    got = grads("f = a * b", {"a": a, "b": b})
    assert got["a"].shape == np.shape(a)
    assert got["b"].shape == np.shape(b)
    np.testing.assert_array_equal(got["a"], grad_a)
    np.testing.assert_array_equal(got["b"], grad_b)


# -- the vectorised scalar groups of app/engine/run.py ---------------------------

def vectorised(ev) -> dict[str, int]:
    """How many gates had their backward step run in a vectorised group, by op."""
    out: dict[str, int] = {}
    for batch, position, _, _ in ev.batch_edges:
        if position == 0:
            out[batch.op] = out.get(batch.op, 0) + len(batch.outs)
    return out


def test_wide_scalar_graph_in_vectorised_groups():
    n = 40
    lines = []
    for k in range(n):
        lines.append(f"p{k} = a{k} * b{k}")  # one mul group, beside a{k} * t below
        lines.append(f"q{k} = sin(p{k})")
        lines.append(f"u{k} = q{k} * s + a{k} * t")  # s, t and a{k} fan out
    lines.append("f = " + " + ".join(f"u{k}" for k in range(n)))
    source = "\n".join(lines)
    rng = np.random.default_rng(7)
    values = {f"{x}{k}": rng.uniform(-1.5, 1.5) for k in range(n) for x in "ab"}
    values |= {"s": np.array(0.8), "t": np.array(-1.3)}
    values = {name: np.asarray(v) for name, v in values.items()}
    groups = vectorised(run(source, _plain(values)))
    assert groups.get("mul", 0) >= 2 * n and groups.get("sin", 0) == n, groups
    assert min(groups.values()) >= MIN_BATCH
    check_grads(source, values)


def test_dead_gate_with_infinite_slope_does_not_poison_a_live_gradient():
    # sqrt'(0) = ∞. `dead` is never used, so its gradient is 0, and 0·∞ = NaN must not
    # reach x, which the output does use (through x * 3).
    n = MIN_BATCH + 1
    lines = ["dead = sqrt(x)"] + [f"r{k} = sqrt(y{k})" for k in range(n)]
    lines.append("f = x * 3 + " + " + ".join(f"r{k}" for k in range(n)))
    source = "\n".join(lines)
    values = {"x": np.array(0.0)} | {f"y{k}": np.array(1.0 + k) for k in range(n)}
    ev = run(source, _plain(values))
    # All n + 1 sqrt gates sit on level 1, so they form one group; only the n live ones
    # take part in its backward step.
    assert vectorised(ev).get("sqrt") == n, vectorised(ev)
    x = ev.grad(ev.graph.input_ids["x"])
    assert np.isfinite(x), f"dx is {x}"
    assert x == 3.0
    check_grads(source, values)
