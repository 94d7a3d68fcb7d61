"""lab.compare_torch: the same circuit through PyTorch's autograd.

PyTorch is not a dependency. The comparison itself runs where torch imports: .ci/run
installs the CPU wheel that lies on these machines' disk (torch==2.13.0, no download) into
the test environment, so CI runs it; elsewhere it is skipped, saying so. The behaviour
without torch (a clear ImportError) and the report of a disagreement are tested always.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from app import lab
from app.torch_compare import Comparison, Row

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (optional; "
                                 ".ci/run installs the CPU wheel from this machine's disk)")

PROGRAMS = [
    ("f = (x + y) * z", {"x": -2, "y": 5, "z": -4}),
    ("x = 3\ny = -4\nsigy = sigmoid(y)\nnum = x + sigy\nden = sigmoid(x) + (x + y)^2\n"
     "f = num / den", {}),
    ("X = [[0.5, -1.0], [1.5, 0.2]]\ny = [0, 1]\nW1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\n"
     "b1 = [0, 0.1, 0]\nW2 = [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]\nb2 = [0, 0]\n"
     "h = tanh(X @ W1 + b1)\nscores = h @ W2 + b2\nloss = cross_entropy(scores, y)", {}),
    ("f = sum(softmax(x)) + mse(x, [1, 2, 3]) + mean(pick(log_softmax(x), 2))",
     {"x": [1.0, -2.0, 3.0]}),
    ("f = sum(max_pool(reshape(x, 4, 4), 2)) + sum(mean_pool(transpose(reshape(x, 4, 4)), 2))",
     {"x": list(np.linspace(-1, 2, 16))}),
    ("f = max(a, 2) + min(sqrt(a), 0.5) + abs(relu(-a)) + sin(cos(a)) + log(exp(a)) "
     "+ sigmoid(a)^a / 3 - -a + sum(a * [1, 2])", {"a": 1.3}),
]


@needs_torch
@pytest.mark.parametrize(("source", "values"), PROGRAMS)
def test_pytorch_agrees(source: str, values: dict) -> None:
    circuit = lab.circuit(source, values)
    comparison = lab.compare_torch(circuit)
    assert comparison.agrees, repr(comparison)
    assert comparison.torch_version.startswith("2.")
    names = set(circuit.inputs)
    assert set(comparison.grads) == names
    for name in names:
        np.testing.assert_allclose(comparison.grads[name], circuit[name].grad, rtol=1e-9,
                                   atol=1e-12)


@needs_torch
def test_a_traced_function_against_pytorch() -> None:
    def neuron(x, w, b):
        act = b
        for wi, xi in zip(w, x, strict=True):
            act = act + wi * xi
        return act.tanh()

    comparison = lab.compare_torch(lab.trace(neuron, x=[2.0, 0.0], w=[-3.0, 1.0], b=6.88))
    assert comparison.agrees and "agree" in repr(comparison)
    assert "<table>" in comparison._repr_html_()


def test_without_pytorch_it_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(ImportError, match="pip install torch"):
        lab.compare_torch(lab.circuit("f = x * 2", x=1))


def test_a_disagreement_is_shown() -> None:
    comparison = Comparison([Row("output", 1.0, 1.0), Row("∂/∂x", np.array([1.0, 2.0]),
                                                          np.array([1.0, 2.5]))], "2.x")
    assert not comparison.agrees
    assert "✗ differs by 0.5" in repr(comparison) and repr(comparison).endswith("DISAGREE")
    assert Row("output", float("nan"), float("nan")).agrees
    assert not Row("∂/∂W", np.zeros(2), np.zeros(3)).agrees
