"""The seeds' worked examples as presets, in English and Chinese.

Each preset's numbers are the ones the seed publishes; tests/test_examples.py
checks them through the whole pipeline.
"""

from __future__ import annotations

from typing import Any

from app.micrograd_demo import DEMO_INFO, demo_preset
from app.training.example import MAZUR_PRESET, MAZUR_PROGRAM, SEED_004_PRESET

EXAMPLES: list[dict[str, Any]] = [
    {
        "id": "cs231n-add-mul",
        "title": {"en": "cs231n: f = (x + y) · z", "zh": "cs231n：f = (x + y) · z"},
        "source": "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z\n",
        "description": {
            "en": "The first circuit of the cs231n backprop notes. The add gate passes its "
                  "gradient unchanged to both inputs; the multiply gate swaps its inputs: "
                  "∂f/∂q = z = −4 and ∂f/∂z = q = 3, so ∂f/∂x = ∂f/∂y = −4.",
            "zh": "cs231n 反向传播笔记的第一个电路。加法门把梯度原样分给两个输入；乘法门交换"
                  "输入：∂f/∂q = z = −4，∂f/∂z = q = 3，所以 ∂f/∂x = ∂f/∂y = −4。",
        },
        "seed": "000",
    },
    {
        "id": "sigmoid-neuron",
        "title": {"en": "A 2-D sigmoid neuron", "zh": "二维 sigmoid 神经元"},
        "source": "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\n"
                  "f = sigmoid(w0*x0 + w1*x1 + w2)\n",
        "description": {
            "en": "f(w, x) = σ(w0·x0 + w1·x1 + w2) with w = [2, −3, −3] and x = [−1, −2]: the "
                  "output is 0.73 and the sigmoid's local gradient is σ(1 − σ) = 0.2, giving "
                  "∂f/∂w = [−0.2, −0.39, 0.2] and ∂f/∂x = [0.39, −0.59].",
            "zh": "f(w, x) = σ(w0·x0 + w1·x1 + w2)，w = [2, −3, −3]，x = [−1, −2]：输出 0.73，"
                  "sigmoid 的局部梯度 σ(1 − σ) = 0.2，于是 ∂f/∂w = [−0.2, −0.39, 0.2]，"
                  "∂f/∂x = [0.39, −0.59]。",
        },
        "seed": "000",
    },
    {
        "id": "sigmoid-neuron-expanded",
        "title": {"en": "The same neuron, σ as primitive gates",
                  "zh": "同一个神经元，σ 展开成基本门"},
        "source": "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\n"
                  "f = sigmoid(w0*x0 + w1*x1 + w2)\n",
        "expand": True,
        "description": {
            "en": "cs231n draws this neuron gate by gate: × −1, exp, + 1, 1/x. The gradients "
                  "flowing out are the same as through the single σ gate (whose local gradient "
                  "σ(1 − σ) = 0.2 the notes compute in one step): a composite gate is a "
                  "shortcut, not a different function. Untick \"Composite gates as "
                  "primitives\" to compare.",
            "zh": "cs231n 把这个神经元逐门画出：× −1、exp、+ 1、1/x。"
                  "流出的梯度与单个 σ 门的完全相同"
                  "（笔记里一步算出它的局部梯度 σ(1 − σ) = 0.2）：复合门只是捷径，函数并没有变。"
                  "取消勾选“把复合门展开成基本门”即可对比。",
        },
        "seed": "000",
    },
    {
        "id": "staged-backprop",
        "title": {"en": "Staged backprop: (x + σ(y)) / (σ(x) + (x + y)²)",
                  "zh": "分阶段反向传播：(x + σ(y)) / (σ(x) + (x + y)²)"},
        "source": "x = 3\ny = -4\nsigy = sigmoid(y)\nnum = x + sigy\nsigx = sigmoid(x)\n"
                  "xpy = x + y\nxpysqr = xpy^2\nden = sigx + xpysqr\ninvden = 1 / den\n"
                  "f = num * invden\n",
        "description": {
            "en": "The staged program of the cs231n notes. x is used three times and y twice, "
                  "so their gradients are sums: the backward pass must use += , never =.",
            "zh": "cs231n 笔记中的分阶段程序。x 用了三次、y 用了两次，所以它们的梯度是几项之和："
                  "反向传播必须用 +=，而不是 =。",
        },
        "seed": "000",
    },
    {
        "id": "mazur-network",
        "title": {"en": "A 2-2-2 sigmoid network (neuron by neuron)",
                  "zh": "2-2-2 sigmoid 网络（逐个神经元）"},
        "source": MAZUR_PROGRAM,
        "description": {
            "en": "Matt Mazur's worked example: the network with inputs i1, i2, weights "
                  "w1…w8 and biases b1, b2, and the squared error E = Σ ½(target − output)². "
                  "E = 0.298371109; "
                  "∂E/∂w5 = 0.082167041 and ∂E/∂w1 = 0.000438568. The weight update "
                  "w ← w − r·∂E/∂w at rate r = 0.5 gives w5 = 0.40 − 0.5 × 0.0822 = "
                  "0.35891648: tick \"Update\" to step through every parameter's update, "
                  "then apply it and watch E fall.",
            "zh": "Matt Mazur 的逐步示例里的网络：输入 i1、i2，权重 w1…w8，偏置 b1、b2，"
                  "误差 E = Σ ½(目标 − 输出)²。E = 0.298371109；∂E/∂w5 = 0.082167041，"
                  "∂E/∂w1 = 0.000438568。权重更新 "
                  "w ← w − r·∂E/∂w，学习率 r = 0.5 时 w5 = 0.40 − 0.5 × 0.0822 = 0.35891648："
                  "勾选“更新”逐个参数地看更新，再应用它，看 E 变小。",
        },
        "seed": "004",
    },
    {
        "id": "mazur-network-tensor",
        "title": {"en": "The same 2-2-2 network as matrices", "zh": "同一个 2-2-2 网络，矩阵形式"},
        "source": "X = [[0.05, 0.1]]\nW1 = [[0.15, 0.25], [0.2, 0.3]]\nb1 = 0.35\n"
                  "W2 = [[0.4, 0.5], [0.45, 0.55]]\nb2 = 0.6\nT = [[0.01, 0.99]]\n"
                  "H1 = sigmoid(X @ W1 + b1)\nO = sigmoid(H1 @ W2 + b2)\n"
                  "E = sum(0.5*(T - O)^2)\n",
        "description": {
            "en": "Mazur's network written as layers: W1[i][j] is the weight from input i to "
                  "hidden neuron j (w1 = W1[0][0], w2 = W1[1][0], …), so one matmul gate does the "
                  "work of four multiply gates. The numbers are the neuron form's: E = "
                  "0.298371109, ∂E/∂W2[0][0] = ∂E/∂w5 = 0.082167041, ∂E/∂W1[0][0] = ∂E/∂w1 = "
                  "0.000438568, and ∂E/∂W2 = H1ᵀ · ∂E/∂(H1 W2 + b2) is an outer product. "
                  "\"Build a network\" switches between the two views of any small network.",
            "zh": "把 Mazur 的网络写成层：W1[i][j] 是输入 i 到隐藏神经元 j 的权重"
                  "（w1 = W1[0][0]，w2 = W1[1][0]……），一个矩阵乘法门顶替四个乘法门。"
                  "数值与神经元形式相同：E = "
                  "0.298371109，∂E/∂W2[0][0] = ∂E/∂w5 = 0.082167041，∂E/∂W1[0][0] = ∂E/∂w1 = "
                  "0.000438568；∂E/∂W2 = H1ᵀ · ∂E/∂(H1 W2 + b2) 是一个外积。"
                  "用“搭建一个网络”可以在任何小网络的两种视图之间切换。",
        },
        "seed": "004",
    },
    {
        "id": "tanh-mlp-softmax",
        "title": {"en": "A 2-layer tanh network with softmax cross-entropy",
                  "zh": "两层 tanh 网络与 softmax 交叉熵"},
        "source": "X = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [-1.2, -0.6]]\n"
                  "y = [0, 1, 1, 0]\n"
                  "W1 = [[0.2, -0.5, 0.3], [0.4, 0.1, -0.6]]\n"
                  "b1 = [0.0, 0.1, -0.1]\n"
                  "W2 = [[0.7, -0.3], [-0.2, 0.5], [0.4, 0.6]]\n"
                  "b2 = [0.0, 0.0]\n"
                  "h = tanh(X @ W1 + b1)\n"
                  "scores = h @ W2 + b2\n"
                  "loss = cross_entropy(scores, y)\n",
        "description": {
            "en": "The numpy moons network (a 2-3-2 tanh network trained with numpy) on a "
                  "batch of 4 points with class labels y: h = tanh(X W1 + b1), scores = "
                  "h W2 + b2, and the mean of −log softmax(scores)[y]. The gradient of the "
                  "scores is (probs − one_hot(y)) / N, the numpy code's delta3 = probs; "
                  "delta3[range(N), y] −= 1; then dW2 = hᵀ · delta3 and "
                  "delta2 = delta3 W2ᵀ ⊙ (1 − h²). Expand the CE gate to see softmax, log and "
                  "pick.",
            "zh": "numpy 月牙网络（用 numpy 训练的 2-3-2 tanh 网络），作用在 4 个带类别标签 y "
                  "的点上：h = tanh(X W1 + b1)，scores = h W2 + b2，损失是 −log softmax(scores)[y] "
                  "的平均。scores 的梯度是 (probs − one_hot(y)) / N，即 numpy 代码里的 "
                  "delta3 = probs; delta3[range(N), y] −= 1；"
                  "接着 dW2 = hᵀ · delta3，delta2 = delta3 W2ᵀ ⊙ (1 − h²)。展开 CE 门可以看到 "
                  "softmax、log 和 pick。",
        },
        "seed": "004",
    },
    {
        "id": "pooling",
        "title": {"en": "Max pooling and mean pooling", "zh": "最大池化与平均池化"},
        "source": "X = [[1, 3, 2, 0], [4, -1, 5, 6], [0, 2, -3, 1], [7, 1, 2, 8]]\n"
                  "U = [[1, 2], [3, 4]]\n"
                  "M = max_pool(X, 2)\n"
                  "A = mean_pool(X, 2)\n"
                  "L = sum(M * U) + sum(A * U)\n",
        "description": {
            "en": "Both pool the 4×4 X in 2×2 windows and both get the upstream gradient U = "
                  "[[1, 2], [3, 4]]. Max pooling sends each window's gradient to the one cell that "
                  "won it (4, 6, 7 and 8 get 1, 2, 3, 4; the others 0); mean pooling spreads it "
                  "evenly, ¼ to every cell. X's gradient is the sum of the two: e.g. 1 + ¼ = 1.25 "
                  "for the 4 and 4 + 1 = 5 for the 8.",
            "zh": "两者都用 2×2 窗口池化 4×4 的 X，收到的上游梯度都是 U = [[1, 2], [3, 4]]。"
                  "最大池化把每个窗口的梯度送给窗口里胜出的那一格"
                  "（4、6、7、8 分别得到 1、2、3、4，其余得 0）；"
                  "平均池化把梯度平均分给每格 ¼。X 的梯度是两者之和：例如 4 那格是 1 + ¼ = 1.25，"
                  "8 那格是 4 + 1 = 5。",
        },
        "seed": "002",
    },
    {
        "id": "hung-yi-lee",
        "title": {"en": "Forward and backward: ∂C/∂w = ∂z/∂w · ∂C/∂z",
                  "zh": "前向与反向：∂C/∂w = ∂z/∂w · ∂C/∂z"},
        "source": "x1 = 1\nx2 = -1\nw1 = 1\nw2 = -2\nb = 1\nt = 0.5\n"
                  "z = w1*x1 + w2*x2 + b\na = sigmoid(z)\nC = (a - t)^2\n",
        "description": {
            "en": "Hung-yi Lee's view of backprop: for a weight, ∂C/∂w = ∂z/∂w · "
                  "∂C/∂z. The forward pass already knows ∂z/∂w1: it is the input x1 on the "
                  "wire into the w1·x1 gate. The backward pass brings ∂C/∂z back from the "
                  "output. Step to the end and check that ∂C/∂w1 = x1 · ∂C/∂z and "
                  "∂C/∂w2 = x2 · ∂C/∂z.",
            "zh": "李宏毅老师对反向传播的讲法：对一个权重，∂C/∂w = ∂z/∂w · ∂C/∂z。"
                  "前向传播时就已知道 ∂z/∂w1：它就是进入 w1·x1 门的输入 x1；反向传播把 ∂C/∂z "
                  "从输出带回来。走到最后，验证 ∂C/∂w1 = x1 · ∂C/∂z，∂C/∂w2 = x2 · ∂C/∂z。",
        },
        "seed": "001",
    },
    {
        "id": "max-gate",
        "title": {"en": "Gates that route: add, multiply, max", "zh": "路由梯度的门：加、乘、max"},
        "source": "x = 3\ny = -4\nz = 2\nw = -1\nf = 2 * (x*y + max(z, w))\n",
        "description": {
            "en": "cs231n's patterns in backward flow: the add gate distributes the gradient, "
                  "the max gate routes it to the larger input (z gets 2, w gets 0), and the "
                  "multiply gate swaps its inputs (x gets 2·y = −8, y gets 2·x = 6).",
            "zh": "cs231n 总结的反向流动模式：加法门分配梯度，max 门把梯度送给较大的输入"
                  "（z 得到 2，w 得到 0），乘法门交换输入（x 得到 2·y = −8，y 得到 2·x = 6）。",
        },
        "seed": "000",
    },
    {
        "id": "relu-neuron",
        "title": {"en": "A ReLU neuron", "zh": "ReLU 神经元"},
        "source": "w1 = 0.5\nx1 = 2\nw2 = -1\nx2 = 1.5\nb = 0.25\n"
                  "f = relu(w1*x1 + w2*x2 + b)\n",
        "description": {
            "en": "relu passes the gradient where its input is positive and blocks it where it "
                  "is not (relu'(0) = 0, as deep-learning frameworks define it). Here the sum is "
                  "−0.25, so every gradient is 0: try b = 1 to bring the neuron back to life.",
            "zh": "relu 在输入为正时让梯度通过，否则挡住（深度学习框架约定 relu'(0) = 0）。这里的"
                  "加权和是 −0.25，所以所有梯度都是 0：把 b 改成 1，神经元就“复活”了。",
        },
        "seed": "002",
    },
    {
        "id": "matrix-vector",
        "title": {"en": "u = W x with a squared loss", "zh": "u = W x 与平方损失"},
        "source": "W = [[1, 2, -1], [0.5, -1, 3]]\nx = [1, -2, 0.5]\nu = W @ x\n"
                  "L = sum(u^2)\n",
        "description": {
            "en": "The linear map u = Wx of a full backprop derivation: the gradient of the "
                  "weights is an outer product, ∇W L = (∇u L) xᵀ, and the input's is "
                  "∇x L = Wᵀ ∇u L.",
            "zh": "完整推导反向传播时的线性映射 u = Wx：权重的梯度是外积 ∇W L = (∇u L) xᵀ，"
                  "输入的梯度是 ∇x L = Wᵀ ∇u L。",
        },
        "seed": "002",
    },
]


EXAMPLES.append(SEED_004_PRESET)
EXAMPLES.append(MAZUR_PRESET)

# Presets too large to send with the list: GET /api/examples names them (without their
# programs, which are written by code on first use), GET /api/examples/{id} sends one whole.
LARGE_EXAMPLES: list[dict[str, Any]] = [DEMO_INFO]
_LARGE = {DEMO_INFO["id"]: demo_preset}


def catalogue() -> dict[str, Any]:
    """GET /api/examples: every preset whole, and the large ones without their program."""
    large = [{k: e[k] for k in ("id", "title", "description", "seed")} for e in LARGE_EXAMPLES]
    return {"examples": EXAMPLES, "large": large}


def large_example(example_id: str) -> dict[str, Any] | None:
    """A large preset whole, with its program; None for an id that names none."""
    make = _LARGE.get(example_id)
    return None if make is None else make()


def example(example_id: str) -> dict[str, Any]:
    return next(e for e in EXAMPLES if e["id"] == example_id)
