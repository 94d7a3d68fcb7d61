"""Seed 004's network as a program to train: a 2-3-2 tanh network, softmax cross-entropy.

`X` and `y` are the data (the four rows written here make the program run on
its own in /api/graph; training replaces them with the data set), the rest
are the parameters. Written as zeros, since both `init` schemes fill them:
"seed004" with the seed's random draw, "program" with these values — and
zeros are a poor start (every hidden unit stays the same), which is a lesson
of its own.
"""

from __future__ import annotations

from typing import Any

SEED_004_PROGRAM = (
    "# seed 004: a 2-3-2 tanh network with softmax cross-entropy\n"
    "X = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [-1.2, -0.6]]\n"
    "y = [0, 1, 1, 0]\n"
    "W1 = [[0, 0, 0], [0, 0, 0]]\n"
    "b1 = [0, 0, 0]\n"
    "W2 = [[0, 0], [0, 0], [0, 0]]\n"
    "b2 = [0, 0]\n"
    "h = tanh(X @ W1 + b1)\n"
    "scores = h @ W2 + b2\n"
    "loss = cross_entropy(scores, y)\n"
)

# The request that reproduces seed 004's run (POST /api/train, `backprop-lab train`).
SEED_004_RUN: dict[str, Any] = {
    "source": SEED_004_PROGRAM,
    "lr": 0.01,
    "l2": 0.01,
    "mode": "seed004",
    "init": "seed004",
    "init_seed": 0,
    "dataset": {"name": "moons", "n": 200, "noise": 0.2, "seed": 0},
    "passes": 20_000,
}

# The preset, in the shape of app/examples.py's entries, for the page to add.
SEED_004_PRESET: dict[str, Any] = {
    "id": "seed004-train",
    "title": {"en": "Train seed 004's network on the moons",
              "zh": "在月牙数据上训练种子 004 的网络"},
    "source": SEED_004_PROGRAM,
    "description": {
        "en": "Seed 004's 2-3-2 tanh network with softmax cross-entropy. Trained on 200 "
              "moons points (noise 0.2) with learning rate 0.01, L2 0.01 and the seed's "
              "initialisation for 20,000 passes, it reaches about 97% accuracy; X and y are "
              "replaced by the data set.",
        "zh": "种子 004 的 2-3-2 tanh 网络，softmax 交叉熵损失。在 200 个月牙数据点（噪声 "
              "0.2）上以学习率 0.01、L2 0.01 和种子的初始化训练 20,000 轮，准确率约 97%；"
              "X 和 y 由数据集替换。",
    },
    "seed": "004",
    "train": SEED_004_RUN,
}
