"""`lab.compare_torch(circuit)`: the same circuit through PyTorch's autograd, side by side.

Each node of the circuit becomes the PyTorch operation that computes the same thing
(TORCH_OPS, in float64), the output is seeded as Backprop Lab seeds it (ones, or the
circuit's seed), and `backward()` runs; the comparison lines up the output and every
input's gradient with Backprop Lab's. An independent autodiff agreeing on a program is
the check the project's differential oracle makes with autograd (tests/oracle.py); this
lets a learner make it with the library they will use next.

PyTorch is not a dependency of Backprop Lab: without it, `compare` raises ImportError.
Conventions at kinks follow each library (relu'(0) = 0 in both; a max or min tie splits
the gradient evenly in both; a max-pool tie goes to the first cell in both).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

RTOL = 1e-9
ATOL = 1e-12


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:
        raise ImportError("compare_torch needs PyTorch, which Backprop Lab does not install: "
                          "pip install torch (the CPU build is enough)") from err
    return torch


def _ops(torch: Any) -> dict[str, Callable[..., Any]]:
    """Each op of the registry as PyTorch writes it: (inputs, params) -> tensor."""
    F = torch.nn.functional  # noqa: N806

    def labels(y: Any) -> Any:
        return y.detach().round().long()

    def pick(x: Any, y: Any) -> Any:
        index = labels(y).unsqueeze(-1)
        return torch.gather(x, -1, index).squeeze(-1)

    def pool(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda x, k: fn(x[None, None], int(k))[0, 0]

    def reduce(fn: str) -> Callable[..., Any]:
        def apply(x: Any, axis: int | None = None) -> Any:
            return getattr(x, fn)() if axis is None else getattr(x, fn)(dim=axis)
        return apply

    return {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "pow": torch.pow, "neg": lambda a: -a,
        "identity": lambda a: a * 1,
        "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin,
        "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "abs": torch.abs, "max": torch.maximum, "min": torch.minimum,
        "matmul": torch.matmul, "sum": reduce("sum"), "mean": reduce("mean"),
        "transpose": lambda x: x.permute(*reversed(range(x.dim()))),
        "softmax": lambda x: torch.softmax(x, -1),
        "log_softmax": lambda x: torch.log_softmax(x, -1),
        "pick": pick,
        "cross_entropy": lambda x, y: F.cross_entropy(x, labels(y)),
        "mse": lambda a, b: torch.mean((a - b) ** 2),
        "max_pool": pool(F.max_pool2d), "mean_pool": pool(F.avg_pool2d),
        "reshape": lambda x, d0, d1=None: x.reshape(d0) if d1 is None else x.reshape(d0, d1),
    }


@dataclass(frozen=True)
class Row:
    """One quantity both computed: the output's value, or an input's gradient."""

    what: str
    lab: Any
    torch: Any

    @property
    def error(self) -> float:
        """The largest absolute difference."""
        a, b = np.asarray(self.lab, dtype=float), np.asarray(self.torch, dtype=float)
        if a.shape != b.shape:
            return math.inf
        both = np.isnan(a) & np.isnan(b)
        same = (a == b) | both
        return float(np.max(np.where(same, 0.0, np.abs(a - b)), initial=0.0))

    @property
    def agrees(self) -> bool:
        a, b = np.asarray(self.lab, dtype=float), np.asarray(self.torch, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL,
                                                       equal_nan=True))


@dataclass(frozen=True)
class Comparison:
    """Backprop Lab's numbers beside PyTorch's: the output, then each input's gradient."""

    rows: list[Row]
    torch_version: str

    @property
    def agrees(self) -> bool:
        return all(row.agrees for row in self.rows)

    @property
    def grads(self) -> dict[str, Any]:
        """PyTorch's gradient of each input, by name."""
        return {row.what.removeprefix("∂/∂"): row.torch for row in self.rows
                if row.what.startswith("∂/∂")}

    def __repr__(self) -> str:
        width = max(len(r.what) for r in self.rows)
        lines = [f"{'':{width}}  Backprop Lab            PyTorch {self.torch_version}"]
        for row in self.rows:
            mark = "" if row.agrees else f"   ✗ differs by {row.error:.3g}"
            lines.append(f"{row.what:{width}}  {_show(row.lab):22}  {_show(row.torch)}{mark}")
        lines.append("agree" if self.agrees else "DISAGREE")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><td>{html.escape(r.what)}</td><td><pre>{html.escape(_show(r.lab))}</pre></td>"
            f"<td><pre>{html.escape(_show(r.torch))}</pre></td>"
            f"<td>{'✓' if r.agrees else '✗ ' + format(r.error, '.3g')}</td></tr>"
            for r in self.rows)
        return (f"<table><tr><th></th><th>Backprop Lab</th><th>PyTorch "
                f"{html.escape(self.torch_version)}</th><th>agree</th></tr>{cells}</table>")


def _show(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, separator=", ", threshold=12,
                               max_line_width=10_000).replace("\n", "")
    return f"{x:.10g}" if isinstance(x, float) else str(x)


def compare(circuit: Any) -> Comparison:
    """Run a circuit (app.lab.Circuit: its answer, nodes by id and name, seed) in PyTorch
    (float64) and line its numbers up with the circuit's."""
    torch = _torch()
    ops = _ops(torch)
    values: dict[str, Any] = {}
    leaves: dict[str, Any] = {}
    body = circuit.answer
    for node in body["nodes"]:
        if node["op"] in ("input", "const"):
            value = torch.tensor(np.asarray(circuit[node["id"]].value, dtype=float),
                                 dtype=torch.float64)
            if node["op"] == "input":
                value.requires_grad_(True)
                leaves[node["name"]] = value
            values[node["id"]] = value
            continue
        args = [values[i] for i in node["inputs"]]
        params = [v for v in node.get("params", {}).values() if v is not None]
        values[node["id"]] = ops[node["op"]](*args, *params)
    out = values[body["output"]]
    seed = circuit.seed
    if seed is None:
        upstream = torch.ones_like(out)
    else:
        upstream = torch.tensor(np.asarray(seed, dtype=float), dtype=torch.float64)
    out.backward(upstream)
    rows = [Row("output", circuit.value, _numpy(out))]
    for name, leaf in leaves.items():
        lab_grad = circuit[name].grad
        torch_grad = np.zeros(tuple(leaf.shape)) if leaf.grad is None else _numpy(leaf.grad)
        if lab_grad is None:
            continue
        rows.append(Row(f"∂/∂{name}", lab_grad, torch_grad))
    return Comparison(rows, str(torch.__version__))


def _numpy(t: Any) -> Any:
    arr = t.detach().numpy().astype(float)
    return float(arr) if arr.ndim == 0 else arr
