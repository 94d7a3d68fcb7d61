"""micrograd's demo network as a program: the largest preset, written by code.

Karpathy's micrograd ends with `demo.ipynb`: `MLP(2, [16, 16, 1])` (two hidden layers of
16 relu neurons, a linear output) classifying 100 points of make_moons, with an SVM
max-margin loss plus L2 regularisation:

    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum((p*p for p in model.parameters()))   # alpha = 1e-4
    total_loss = data_loss + reg_loss

Unrolled over every point it is some 64,000 scalar gates, and its backward pass is the
`loss.backward()` of the notebook. `demo_program()` writes it gate for gate as micrograd
builds it (a neuron's sum starts at its bias, `(1 + -y·s).relu()` is `s·(−y) + 1`
through relu), layer by layer (each layer over every point) under heading comments
(`# layer 1: …`, `## neuron 1 of layer 1`, `# the scores: …`, `# the margins: …`,
`# the loss: …`) that the page folds into a picture of layers (app/groups.py), with
micrograd's own numbers: the notebook seeds both generators with 1337, so the weights
are `random.Random(1337).uniform(-1, 1)` drawn in micrograd's order (layer by layer,
neuron by neuron, weights then a zero bias) and the points are make_moons(100, noise
0.1) from `numpy.random.RandomState(1337)` (app/training/datasets.py writes
scikit-learn's make_moons out), labels as −1 and 1.

Names: weight `w{layer}_{neuron}_{input}`, bias `b{layer}_{neuron}`, point k's features
`x{k}_1`, `x{k}_2`, hidden outputs `h{layer}_{neuron}_{k}`, score `s{k}`, margin loss
`m{k}`, then `data_loss`, `reg_loss` and `loss`.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from app.training import datasets

SIZES = (2, 16, 16, 1)
SEED = 1337
ALPHA = 1e-4
POINTS = 100


def parameters(sizes: tuple[int, ...] = SIZES, seed: int = SEED
               ) -> list[tuple[list[list[float]], list[float]]]:
    """Each layer's weights (a row per neuron) and biases, drawn as micrograd draws them."""
    rng = random.Random(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        weights = [[rng.uniform(-1, 1) for _ in range(fan_in)] for _ in range(fan_out)]
        layers.append((weights, [0.0] * fan_out))
    return layers


def points(n: int = POINTS, seed: int = SEED) -> tuple[list[list[float]], list[int]]:
    """make_moons(n, noise=0.1) as the notebook draws it, labels as −1 and 1."""
    X, y = datasets.make("moons", n, 0.1, seed)
    return X.tolist(), [2 * int(v) - 1 for v in y]


def demo_program(n: int = POINTS, sizes: tuple[int, ...] = SIZES, seed: int = SEED) -> str:
    """The whole network on `n` points, its forward pass to `loss`, as a program."""
    layers = parameters(sizes, seed)
    X, y = points(n, seed)
    lines = [f"# micrograd's demo: MLP{sizes[0], list(sizes[1:])} on {n} points of "
             "make_moons, max-margin loss + L2", "# the weights and biases"]
    names: list[str] = []
    for li, (weights, biases) in enumerate(layers, start=1):
        for j, (row, bias) in enumerate(zip(weights, biases, strict=True), start=1):
            for i, w in enumerate(row, start=1):
                lines.append(f"w{li}_{j}_{i} = {w!r}")
                names.append(f"w{li}_{j}_{i}")
            lines.append(f"b{li}_{j} = {bias!r}")
            names.append(f"b{li}_{j}")
    lines.append("# the points")
    for k, row in enumerate(X, start=1):
        lines.extend(f"x{k}_{i} = {v!r}" for i, v in enumerate(row, start=1))
    last = len(layers)
    acts = {k: [f"x{k}_{i}" for i in range(1, sizes[0] + 1)] for k in range(1, n + 1)}
    for li in range(1, last + 1):
        width = sizes[li]
        if li < last:
            lines.append(f"# layer {li}: {width} relu neurons")
        else:
            lines.append("# the scores: the output neuron")
        for j in range(1, width + 1):
            if li < last:
                lines.append(f"## neuron {j} of layer {li}")
            for k in range(1, n + 1):
                terms = " + ".join(f"w{li}_{j}_{i}*{a}" for i, a in enumerate(acts[k], start=1))
                total = f"b{li}_{j} + {terms}"
                if li < last:
                    lines.append(f"h{li}_{j}_{k} = relu({total})")
                else:
                    lines.append(f"s{k} = {total}")
        acts = {k: ([f"h{li}_{j}_{k}" for j in range(1, width + 1)] if li < last else [f"s{k}"])
                for k in range(1, n + 1)}
    lines.append("# the margins: relu(1 − y·s)")
    for k in range(1, n + 1):
        lines.append(f"m{k} = relu(s{k} * {-float(y[k - 1])!r} + 1)")
    lines.append("# the loss: mean margin + L2")
    lines.append("data_loss = (" + " + ".join(f"m{k}" for k in range(1, n + 1))
                 + f") * {1.0 / n!r}")
    lines.append(f"reg_loss = ({' + '.join(f'{p}*{p}' for p in names)}) * {ALPHA!r}")
    lines.append("loss = data_loss + reg_loss")
    return "\n".join(lines) + "\n"


DEMO_INFO: dict[str, Any] = {
    "id": "micrograd-demo",
    "title": {"en": "micrograd's demo network: MLP(2, [16, 16, 1]) on 100 moons",
              "zh": "micrograd 的演示网络：MLP(2, [16, 16, 1])，100 个月牙点"},
    "description": {
        "en": "The network at the end of micrograd's demo notebook, unrolled gate by gate "
              "over its 100 training points (about 65,000 gates): two hidden layers of 16 "
              "relu neurons, a linear score, the SVM max-margin loss relu(1 − y·s) "
              "averaged over the points, plus 1e-4 times the sum of the squared weights. "
              "Its weights are micrograd's own (random.seed(1337)).",
        "zh": "micrograd 演示笔记本最后的网络，按它的 100 个训练点逐门展开（约 65,000 个门）："
              "两个各 16 个 relu 神经元的隐藏层，一个线性得分，对所有点取平均的 SVM "
              "最大间隔损失 relu(1 − y·s)，再加 1e-4 乘权重平方和。权重与 micrograd 的相同"
              "（random.seed(1337)）。",
    },
    "seed": "micrograd",
    "large": True,
}
"""The preset as listed, without its program (which takes 0.1 s to write)."""


@cache
def demo_preset() -> dict[str, Any]:
    """The whole preset, in the shape of app/examples.py's, its program written once."""
    return {**DEMO_INFO, "source": demo_program()}
