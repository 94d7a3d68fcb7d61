"""The staged program (app/engine/staged.py): run it, and it computes the engine's gradients.

The tests execute the generated code (the app never does): for every preset,
every gradient-test case of every op, random well-formed programs, and names
chosen to collide with what the program uses.
"""

from __future__ import annotations

import ast
import math
import random
import zlib
from typing import Any

import numpy as np
import pytest

from app.engine.staged import MATH_RANGE, MAX_CODE_NODES, staged
from app.errors import LabError
from app.examples import EXAMPLES
from app.ops import REGISTRY, Op, ShapeError
from app.pipeline import run
from tests.test_gradcheck import CASES, Case, _plain, body, call, inputs_for


def execute(source: str, values: dict[str, Any] | None = None, seed: Any = None,
            expect: str | None = None) -> dict[str, Any]:
    """Generate, run, and compare every input's gradient with the engine's."""
    ev = run(source, values, seed)
    program = staged(ev)
    if expect:
        assert program.variant == expect, program.python
    scope: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        exec(compile(program.python, "<staged>", "exec"), scope)  # noqa: S102 (a test)
    for name, i in ev.graph.input_ids.items():
        got = scope[program.grads[name]]
        want = ev.grad(i)
        assert np.shape(got) == want.shape, (name, np.shape(got), want.shape, program.python)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=f"d{name}\n{program.python}")
        np.testing.assert_array_equal(np.asarray(scope[program.names[name]]), ev.value(i))
    out = ev.graph.nodes[ev.graph.output]
    return {"program": program, "scope": scope, "ev": ev, "out": out}


def test_every_op_has_code_templates() -> None:
    for op in REGISTRY.values():
        code = op.code
        assert code is not None and code.numpy, f"{op.name}: no code templates"
        if op.elementwise:
            assert code.math, f"{op.name}: no math forward"
            assert len(code.dmath) == len(code.dnumpy) == op.arity, op.name
        else:
            assert len(code.vjp) == op.arity, f"{op.name}: a vjp template per input"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_preset(example) -> None:
    execute(example["source"])


def test_seed_000_looks_like_seed_000() -> None:
    staged_example = next(e for e in EXAMPLES if e["id"] == "staged-backprop")
    python = execute(staged_example["source"], expect="math")["program"].python
    for line in ["import math", "x = 3.0", "sigy = 1.0 / (1 + math.exp(-y))",
                 "num = x + sigy", "xpysqr = xpy**2", "invden = 1 / den", "f = num * invden",
                 "# backprop f = num * invden", "dnum = (invden) * df",
                 "dxpy = (2 * xpy) * dxpysqr", "dx = (1) * dxpy",
                 "dx += ((1 - sigx) * sigx) * dsigx", "dy += ((1 - sigy) * sigy) * dsigy"]:
        assert line in python, line
    lines = python.splitlines()
    assert [line.split(" ")[1] for line in lines if line.startswith("dx ")] == ["=", "+=", "+="]
    assert "σ'(a) = σ(a)(1−σ(a))" in next(line for line in lines if line.startswith("dx +="))
    forward = lines.index("# forward pass")
    backward = lines.index("# backward pass")
    assert lines.index("x = 3.0") < forward < lines.index("f = num * invden  # line 10") < backward


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_op_case(case: Case) -> None:
    op = REGISTRY[case.op]
    rng = np.random.default_rng(zlib.crc32(f"code{case}".encode()))
    values = inputs_for(case, rng)
    shape_ev = run(body(op, case.params), _plain(values))
    values["r"] = rng.normal(size=shape_ev.shapes[shape_ev.graph.output])
    source = body(op, case.params) + "\nf = sum(y * r)\n" if op.name in ("sum", "mean") or \
        not op.elementwise or any(case.shapes) else body(op, case.params) + "\nf = y * r\n"
    execute(source, _plain(values))


def test_a_tensor_output_with_a_seed() -> None:
    result = execute("y = W @ x", {"W": [[1, 2], [3, 4]], "x": [1, -1]}, seed=[2, -1],
                     expect="numpy")
    assert "np.outer(dy, x)" in result["program"].python


def test_non_finite_values_switch_to_numpy() -> None:
    execute("f = log(x) + 1 / y", {"x": -1, "y": 0}, expect="numpy")
    execute("f = sigmoid(x)", {"x": -800}, expect="numpy")  # math.exp(800) would overflow
    execute("f = x - 1", {"x": MATH_RANGE}, expect="math")
    execute("f = x + 1", {"x": MATH_RANGE}, expect="numpy")
    execute("f = sqrt(x) * 0", {"x": 0}, expect="numpy")  # 0 · ∞ = NaN in the gradient
    execute("f = x ^ y", {"x": 0, "y": 2}, expect="math")  # ∂/∂y at 0 is taken as 0


def test_constants_are_written_in_place_and_folded() -> None:
    result = execute("t = 2 * 3\nf = x * t + (4 - 1) * x^2 - -1", {"x": 1.5})
    python = result["program"].python
    assert "t = 6.0  # 2 * 3: constants only, so no gradient" in python
    assert "* 3.0" not in python and "t3 = " not in python  # (4 - 1) written as 3
    assert "- (-1)" in python


def test_an_unused_input_gets_a_zero_gradient() -> None:
    result = execute("u = y * 2\nf = x * 3", {"x": 1, "y": [1, 2]})
    assert "dy = np.zeros((2,))  # the output does not depend on y" in result["program"].python


def test_an_output_of_constants_only() -> None:
    result = execute("f = 2 * 3 + x * 0", {"x": 1})
    assert result["scope"]["f"] == 6


@pytest.mark.parametrize("source", [
    "dx = x * 2\nf = dx + x",  # the gradient of x is dx
    "math = x + 1\nnp = math * 2\nf = np * x",  # module names
    "abs = x * 2\nmax = abs + 1\nmin = max * x\nf = relu(min) + abs(x)",  # builtins
    "el = x * 2\nef = el + 1\nf = ef * x",  # d + el is `del`, d + ef is `def`
    "t3 = x * 2\nf = (x + 1) * t3 * (x - 1)",  # fresh names are t<id>
    "ddx = x * 3\ndx = ddx + x\nf = dx * x",
    "unbroadcast = x * 2\nf = sum(unbroadcast * [1, 2])",
    "损失 = (y - t)^2\nf = 损失 * 2",  # unicode names are Python names too
    "ﬁ = x * 2\nf = fi * ﬁ + 1",  # NFKC: ﬁ is fi, in the language as in Python
])
def test_names_never_collide(source) -> None:
    values = {"x": 1.5, "y": 0.5, "t": 2.0}
    ev = run(source, {k: v for k, v in values.items() if k in source})
    result = execute(source, {name: values[name] for name in ev.graph.input_ids})
    program = result["program"]
    ast.parse(program.python)
    assigned = [line.split(" ")[0] for line in program.python.splitlines()
                if " = " in line and not line.startswith((" ", "#", "def"))]
    forward = [n for n in assigned if not n.startswith("d")]
    assert len(forward) == len(set(forward)), program.python
    if "x" in program.grads:
        assert program.grads["x"] == "dx"  # inputs claim their names first


def test_an_input_named_like_a_module() -> None:
    result = execute("f = np * 2 + math", {"np": 1.0, "math": 2.0})
    program = result["program"]
    assert program.names == {"np": "np_1", "math": "math_1"}
    assert program.grads == {"np": "dnp_1", "math": "dmath_1"}


def test_limits(monkeypatch) -> None:
    source = "f = " + " + ".join(f"x{k}" for k in range(MAX_CODE_NODES // 2 + 1))
    values = {f"x{k}": 1 for k in range(MAX_CODE_NODES // 2 + 1)}
    with pytest.raises(LabError) as info:
        staged(run(source, values))
    assert info.value.type == "too_large"
    with pytest.raises(LabError) as info:
        staged(run("f = sum(x)", {"x": list(range(20_000))}))
    assert info.value.type == "too_large"


# -- random well-formed programs ----------------------------------------------------

SHAPES = [(), (3,), (2, 3), (2,), (3, 2)]


def _random_params(op: Op, shape: tuple[int, ...], rng: random.Random) -> tuple[int, ...]:
    """Trailing integers for a call: an axis (sometimes), a window size, a reshape's sizes."""
    names = [p.name for p in op.params]
    if names == ["axis"]:
        if shape and rng.random() < 0.5:
            return (rng.randrange(-len(shape), len(shape)),)
        return ()
    if names == ["k"]:
        return (rng.choice([1, 2, 3]),)
    if names == ["d0", "d1"]:
        size = math.prod(shape)
        return rng.choice([(size,), (-1,), (1, -1), (-1, 1), (size, 1)])
    assert not names, f"{op.name}: no random params for {names}"
    return ()


def _random_program(rng: random.Random, tensors: bool) -> tuple[str, dict[str, Any]]:
    """Statements over a few inputs, each gate picked from the registry where shapes fit."""
    shapes: dict[str, tuple[int, ...]] = {}
    values: dict[str, Any] = {}
    for k in range(rng.randint(1, 3)):
        shape = rng.choice(SHAPES) if tensors else ()
        name = f"x{k}"
        shapes[name] = shape
        values[name] = np.round(np.random.default_rng(rng.randrange(1 << 30)).uniform(
            -2, 2, shape), 3).tolist()
    lines = []
    # Ops with class labels are left to their own cases: random labels are rarely whole numbers.
    ops = [op for op in REGISTRY.values() if (tensors or op.elementwise) and not op.nondiff]
    for k in range(rng.randint(1, 8)):
        for _ in range(50):
            op = rng.choice(ops)
            args = [rng.choice(list(shapes)) for _ in range(op.arity)]
            if rng.random() < 0.2 and op.arity == 2:
                args[rng.randrange(2)] = rng.choice(["2", "0.5", "-1", "[1, 2, 3]"])
            arg_shapes = [shapes.get(a, (3,) if a.startswith("[") else ()) for a in args]
            params = _random_params(op, arg_shapes[0], rng)
            try:
                shape = op.shape(*arg_shapes, **dict(zip([p.name for p in op.params], params,
                                                         strict=False)))
            except ShapeError:
                continue
            if op.name == "pow":  # keep powers real: positive bases, small exponents
                args = [f"abs({args[0]}) + 0.5", rng.choice(["2", "3", "0.5", args[1]])]
                args = [f"({args[0]})", args[1]]
                shape = op.shape(arg_shapes[0], shapes.get(args[1], ()))
            name = f"v{k}"
            expr = args[0] if op.name == "identity" else call(op, args, params)
            lines.append(f"{name} = {expr}")
            shapes[name] = shape
            break
    out = list(shapes)[-1]
    if shapes[out] and rng.random() < 0.5:
        lines.append(f"f = sum({out})")
    return "\n".join(lines) or "f = x0 * 1", values


@pytest.mark.parametrize("tensors", [False, True], ids=["scalars", "tensors"])
def test_random_programs(tensors: bool) -> None:
    rng = random.Random(20240 + tensors)
    variants: dict[str, int] = {}
    ran = 0
    while ran < 150:
        source, values = _random_program(rng, tensors)
        try:
            run(source, values)
        except LabError as err:
            raise AssertionError(f"not well formed: {source!r}: {err}") from None
        result = execute(source, values)
        variants[result["program"].variant] = variants.get(result["program"].variant, 0) + 1
        ran += 1
    assert variants.get("numpy") and (tensors or variants.get("math")), variants


def test_lines_follow_the_step_trace() -> None:
    from app.engine.trace import backward_steps

    source = next(e for e in EXAMPLES if e["id"] == "staged-backprop")["source"]
    result = execute(source)
    program, ev = result["program"], result["ev"]
    assert len(program.lines) == len(program.python.splitlines())
    forward = [t["node"] for t in program.lines if t and t["phase"] == "forward"]
    assert forward == [n.key for n in ev.graph.nodes if n.op != "const"]  # constants in place
    backward = [t["node"] for t in program.lines if t and t["phase"] == "backward"]
    visited = [node for k, node in enumerate(backward) if k == 0 or backward[k - 1] != node]
    assert visited == [step["node"] for step in backward_steps(ev)]
    for line, tag in zip(program.python.splitlines(), program.lines, strict=True):
        if line.startswith("dx "):
            assert ev.graph.nodes[int(tag["node"][1:])].op in ("add", "sigmoid")


def test_unnamed_stages_are_named_after_what_they_hold() -> None:
    """As cs231n's staged code names them: sigy, xpy, xpysqr — not t5, t6, t11."""
    result = execute("x = 3\ny = -4\nf = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)")
    python = result["program"].python
    for stage in ("sigy = ", "sigx = ", "xpy = x + y", "xpysqr = xpy**2", "dxpysqr"):
        assert stage in python, stage
    neuron = execute("f = sigmoid(w0*x0 + w1*x1 + w2)",
                     {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})["program"].python
    assert "w0x0 = w0 * x0" in neuron and "w1x1 = w1 * x1" in neuron
    assert "1 / den" not in neuron
    long = execute("f = sigmoid(aaaa * bbbb + cccc * dddd)",
                   {"aaaa": 1, "bbbb": 2, "cccc": 3, "dddd": 4})["program"].python
    assert "aaaabbbbpccccdddd" not in long  # past ten characters: t<id>
