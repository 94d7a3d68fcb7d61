"""Programs of a given size in the circuit language, for benchmarks and large-circuit tests."""

from __future__ import annotations

import random


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
