"""Engine benchmark: Backprop Lab against micrograd, built the same way, in one run.

Both start from the same graph description (op, input indices, value) and
end with every gradient: micrograd builds `Value` objects and calls
`backward()`; Backprop Lab builds its gate graph and runs `evaluate`.

  python -m bench.engine            # needs `pip install -e '.[bench]'` for micrograd

Prints seconds and ratios (ours / micrograd); the README records them.
Targets: a 100,000-gate chain evaluates at all (micrograd's recursive
topological sort cannot); at 2,000 gates our time per gate is at most
micrograd's; on a wide scalar graph (an MLP unrolled into ~50,000 scalar
gates) our time is at most 0.5× micrograd's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from app.engine import evaluate
from app.graph import from_description
from app.limits import Limits
from bench.timing import best_of

Description = list[tuple[str, tuple[int, ...], float | None]]
BIG = Limits(max_nodes=10_000_000, max_total_elements=100_000_000)


def chain(n_gates: int) -> Description:
    """x0, then alternately × 0.999 and + 0.001, n_gates times: depth n_gates."""
    items: Description = [("input", (), 0.5)]
    prev = 0
    for k in range(n_gates):
        items.append(("const", (), 0.999 if k % 2 == 0 else 0.001))
        items.append(("mul" if k % 2 == 0 else "add", (prev, len(items) - 1), None))
        prev = len(items) - 1
    return items


def mlp(samples: int, sizes: tuple[int, ...] = (4, 16, 16, 1), seed: int = 0) -> Description:
    """A relu MLP unrolled into scalar gates over a small batch, with a squared loss."""
    rng = np.random.default_rng(seed)
    items: Description = []

    def add(op: str, ins: tuple[int, ...] = (), value: float | None = None) -> int:
        items.append((op, ins, value))
        return len(items) - 1

    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = [[add("input", (), float(rng.normal() / np.sqrt(fan_in))) for _ in range(fan_in)]
             for _ in range(fan_out)]
        b = [add("input", (), 0.0) for _ in range(fan_out)]
        layers.append((w, b))
    loss = None
    for _ in range(samples):
        acts = [add("const", (), float(v)) for v in rng.normal(size=sizes[0])]
        for li, (w, b) in enumerate(layers):
            out = []
            for row, bias in zip(w, b, strict=True):
                s = bias
                for wi, ai in zip(row, acts, strict=True):
                    s = add("add", (s, add("mul", (wi, ai))))
                out.append(add("relu", (s,)) if li < len(layers) - 1 else s)
            acts = out
        target = add("const", (), float(rng.normal()))
        diff = add("sub", (acts[0], target))
        sq = add("mul", (diff, diff))
        loss = sq if loss is None else add("add", (loss, sq))
    return items


def run_ours(items: Description) -> float:
    graph = from_description(items)
    ev = evaluate(graph, limits=BIG)
    return float(ev.grads[0])


def run_micrograd(items: Description) -> float:
    from micrograd.engine import Value

    vals: list = []
    for op, ins, value in items:
        if op in ("input", "const"):
            vals.append(Value(value))
        elif op == "add":
            vals.append(vals[ins[0]] + vals[ins[1]])
        elif op == "mul":
            vals.append(vals[ins[0]] * vals[ins[1]])
        elif op == "sub":
            vals.append(vals[ins[0]] - vals[ins[1]])
        elif op == "relu":
            vals.append(vals[ins[0]].relu())
        else:
            raise ValueError(op)
    vals[-1].backward()
    return float(vals[0].grad)


def micrograd_deep_chain(n_gates: int) -> str:
    """Whether micrograd survives a chain this deep, tried in a child process."""
    code = ("import sys; sys.setrecursionlimit(20_000); "
            "from bench.engine import chain, run_micrograd; "
            f"run_micrograd(chain({n_gates})); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode == 0 and "ok" in proc.stdout:
        return "ran"
    last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return f"failed: {last[:80]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=70, help="MLP batch size")
    args = parser.parse_args()
    sys.setrecursionlimit(20_000)  # lets micrograd's recursive sort reach 2,000 gates

    small = chain(2_000)
    assert abs(run_ours(small) - run_micrograd(small)) < 1e-9
    ours = best_of(lambda: run_ours(small), args.repeats)
    theirs = best_of(lambda: run_micrograd(small), args.repeats)
    print(f"chain, 2,000 gates:      ours {ours * 1e3:8.2f} ms ({ours / 2000 * 1e6:.2f} µs/gate)"
          f"   micrograd {theirs * 1e3:8.2f} ms ({theirs / 2000 * 1e6:.2f} µs/gate)"
          f"   ratio {ours / theirs:.2f}")

    big = chain(100_000)
    start = time.perf_counter()
    run_ours(big)
    ours_big = time.perf_counter() - start
    print(f"chain, 100,000 gates:    ours {ours_big:8.2f} s"
          f"   micrograd {micrograd_deep_chain(100_000)}")

    wide = mlp(args.samples)
    gates = sum(1 for op, _, _ in wide if op not in ("input", "const"))
    a, b = run_ours(wide), run_micrograd(wide)
    assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), (a, b)
    ours = best_of(lambda: run_ours(wide), args.repeats)
    theirs = best_of(lambda: run_micrograd(wide), args.repeats)
    print(f"MLP, {gates:,} scalar gates: ours {ours * 1e3:8.2f} ms   micrograd "
          f"{theirs * 1e3:8.2f} ms   ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
