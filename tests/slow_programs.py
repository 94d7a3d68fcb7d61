"""Legal training programs whose phases are slow (issue 19): for the tests that stop them.

`deep_classifier()` is a classifier of ~19,000 nodes on 4 points: a pass takes tens of
milliseconds, but its decision boundary is 1,024 chunks of 4 grid points, each a forward
pass of the whole network — about 20 s. Every number in it is inside the documented
limits (nodes, program length, nesting, tensor sizes).
"""

from __future__ import annotations

from typing import Any

NODES = 19_000


def deep_source(nodes: int = NODES, depth: int = 30) -> str:
    """h0 = tanh(X @ A), then lines of `depth` nested tanh(… @ W), then the loss."""
    lines = ["h0 = tanh(X @ A)"]
    count, k = 4, 0
    while count < nodes - 10:
        k += 1
        expr = f"h{k - 1}"
        for _ in range(depth):
            expr = f"tanh({expr}@W)"
            count += 2
        lines.append(f"h{k}={expr}")
    lines += [f"s = h{k} @ V", "loss = cross_entropy(s, y)"]
    return "\n".join(lines)


def deep_classifier(passes: int = 100_000) -> dict[str, Any]:
    """A POST /api/train body: the deep network on 4 xor points."""
    return {"source": deep_source(), "init": "program", "mode": "mean", "lr": 0.1,
            "params": {"A": [[0.9, -0.4], [0.3, 1.1]], "W": [[1.0, 0.0], [0.0, 1.0]],
                       "V": [[0.5, -0.5], [-0.7, 0.7]]},
            "dataset": {"name": "xor", "n": 4, "seed": 0}, "passes": passes}
