"""Programs of a given size in the circuit language, for benchmarks and large-circuit tests."""

from __future__ import annotations

import random
from collections.abc import Sequence

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def neuron_network(gates: int, width: int = 6, inputs: int = 4, seed: int = 0) -> str:
    """Scalar sigmoid neurons, layer after layer, until the program has about `gates` gates.

    Each neuron is `sigmoid(w·a + w·b + c)` over two neurons of the previous layer: five
    gates, with fan-out, so it has the shape of a real network rather than a chain.
    """
    rng = random.Random(seed)
    lines = [f"i{k} = {rng.uniform(-1, 1):.2f}" for k in range(inputs)]
    previous = [f"i{k}" for k in range(inputs)]
    count = 0
    layer = 0
    while count + 5 <= gates - 2:
        current = []
        for j in range(width):
            if count + 5 > gates - 2:
                break
            a, b = rng.sample(previous, 2)
            name = f"h{layer}_{j}"
            lines.append(f"{name} = sigmoid({rng.uniform(-2, 2):.2f} * {a} + "
                         f"{rng.uniform(-2, 2):.2f} * {b} + {rng.uniform(-1, 1):.2f})")
            count += 5
            current.append(name)
        previous = current or previous
        layer += 1
    lines.append(f"f = {previous[0]} * {previous[-1]}")
    return "\n".join(lines) + "\n"


def chain(gates: int) -> str:
    """x, then alternately × 0.999 and + 0.001, `gates` times: a chain as deep as it is long,
    written two gates a line (about 14 characters a gate: 100,000 gates in 1.4 MB)."""
    lines = ["x = 0.5"]
    previous = "x"
    for k in range(1, gates // 2 + 1):
        lines.append(f"c{k} = {previous}*0.999+0.001")
        previous = f"c{k}"
    if gates % 2:
        lines.append(f"c = {previous}*0.999")
    return "\n".join(lines) + "\n"


def from_description(items: Sequence[tuple[str, tuple[int, ...], float | None]]) -> str:
    """A graph description (op, input indices, value) — bench/layout.py's random circuits,
    bench/engine.py's — as a program: node k is `v{k}`, an input a name with its value."""
    lines = []
    for k, (op, ins, value) in enumerate(items):
        args = [f"v{i}" for i in ins]
        if op in ("input", "const"):
            lines.append(f"v{k} = {value!r}")
        elif op in SYMBOLS and len(args) == 2:
            lines.append(f"v{k} = {args[0]} {SYMBOLS[op]} {args[1]}")
        else:
            lines.append(f"v{k} = {op}({', '.join(args)})")
    return "\n".join(lines) + "\n"
