"""The numpy moons network and Mazur's network as programs to train: the 2-3-2 tanh
network with softmax cross-entropy on the moons, and Mazur's 2-2-2 sigmoid network on its
one example.

`X` and `y` are the data (the four rows written here make the program run on
its own in /api/graph; training replaces them with the data set), the rest
are the parameters. Written as zeros, since both `init` schemes fill them:
"seed004" with the numpy code's random draw, "program" with these values — and
zeros are a poor start (every hidden unit stays the same), which is a lesson
of its own.
"""

from __future__ import annotations

from typing import Any

SEED_004_PROGRAM = (
    "# the numpy moons network: 2-3-2, tanh, softmax cross-entropy\n"
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

# The request that reproduces the numpy moons network's run (POST /api/train, `backprop-lab train`).
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
    "title": {"en": "Train the numpy moons network",
              "zh": "训练 numpy 月牙网络"},
    "source": SEED_004_PROGRAM,
    "description": {
        "en": "The numpy moons network: 2-3-2, tanh, softmax cross-entropy. Trained on 200 "
              "moons points (noise 0.2) with learning rate 0.01, L2 0.01 and the numpy code's "
              "initialisation for 20,000 passes, it reaches about 97% accuracy; X and y are "
              "replaced by the data set.",
        "zh": "numpy 月牙网络：2-3-2 tanh 网络，softmax 交叉熵损失。在 200 个月牙数据点（噪声 "
              "0.2）上以学习率 0.01、L2 0.01 和 numpy 代码的初始化训练 20,000 轮，准确率约 97%；"
              "X 和 y 由数据集替换。",
    },
    "seed": "004",
    "train": SEED_004_RUN,
}


# Mazur's network, neuron by neuron (the preset "mazur-network"): its one example is written
# in the program (i1, i2, t1, t2), so it trains with no data set.
MAZUR_PROGRAM = (
    "i1 = 0.05\ni2 = 0.10\nw1 = 0.15\nw2 = 0.20\nw3 = 0.25\nw4 = 0.30\n"
    "w5 = 0.40\nw6 = 0.45\nw7 = 0.50\nw8 = 0.55\nb1 = 0.35\nb2 = 0.60\n"
    "t1 = 0.01\nt2 = 0.99\n"
    "out_h1 = sigmoid(w1*i1 + w2*i2 + b1)\n"
    "out_h2 = sigmoid(w3*i1 + w4*i2 + b1)\n"
    "out_o1 = sigmoid(w5*out_h1 + w6*out_h2 + b2)\n"
    "out_o2 = sigmoid(w7*out_h1 + w8*out_h2 + b2)\n"
    "E = 0.5*(t1 - out_o1)^2 + 0.5*(t2 - out_o2)^2\n"
)
MAZUR_WEIGHTS = [f"w{k}" for k in range(1, 9)]

# Mazur's run: w1 … w8 (his biases stay put), learning rate 0.5, 10,000 passes; his post
# prints E = 0.0000351085 at the end.
MAZUR_RUN: dict[str, Any] = {
    "source": MAZUR_PROGRAM,
    "trainable": MAZUR_WEIGHTS,
    "lr": 0.5,
    "dataset": None,
    "passes": 10_000,
}

MAZUR_PRESET: dict[str, Any] = {
    "id": "mazur-train",
    "title": {"en": "Train Mazur's network: 10,000 passes at rate 0.5",
              "zh": "训练 Mazur 的网络：学习率 0.5，10,000 轮"},
    "source": MAZUR_PROGRAM,
    "description": {
        "en": "Mazur's 2-2-2 sigmoid network has one example written in the program, so it "
              "trains with no data set: the optimiser makes E smaller over w1 … w8 (his "
              "biases stay). After one pass w5 = 0.35891648 and E = 0.291027774; after "
              "10,000, E = 0.0000351. Try momentum or Adam, or slow the pace and watch "
              "each pass.",
        "zh": "Mazur 的 2-2-2 sigmoid 网络把唯一的样本写在程序里，所以不需要数据集就能训练："
              "优化器在 w1 … w8 上让 E 变小（偏置不动）。一轮之后 w5 = 0.35891648，"
              "E = 0.291027774；10,000 轮之后 E = 0.0000351。试试动量或 Adam，或者放慢速度，"
              "一轮一轮地看。",
    },
    "seed": "004",
    "train": MAZUR_RUN,
}
