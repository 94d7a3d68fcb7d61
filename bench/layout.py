"""Layout benchmark: Backprop Lab's layered layout against Graphviz's `dot`, on one random DAG.

Both lay out the same seeded random circuit: 50 inputs, then 5,000 gates (add, mul,
sub, sigmoid, tanh, relu) whose inputs are earlier nodes, usually recent ones (the
distance back is exponential with mean 10), as formulas make them.

  python -m bench.layout            # dot is timed only if Graphviz is installed

Prints seconds (best of 3 for ours, one run for dot, which is slow) and the ratio.
Target: under 0.5 s for the 5,000-gate DAG. A second, informational line lays out
the same kind of DAG with its inputs spread through the program, so that many edges
reach far back and most of the nodes crossing reduction sees are dummies.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time

import numpy as np

from app.graph import Graph, from_description
from app.layout import count_crossings, layout
from bench.timing import best_of

Description = list[tuple[str, tuple[int, ...], float | None]]
TARGET_SECONDS = 0.5
UNARY = ("sigmoid", "tanh", "relu")
OPS = ("add", "mul", "sub", "sigmoid", "tanh", "relu", "add", "mul")


def random_dag(n_gates: int = 5_000, n_inputs: int = 50, seed: int = 0, reach: float = 10.0,
               spread_inputs: bool = False) -> Description:
    """A seeded random circuit; each gate input lies an Exp(reach)-distributed way back."""
    rng = np.random.default_rng(seed)
    total = n_gates + n_inputs
    is_input = np.zeros(total, dtype=bool)
    if spread_inputs:  # node 0 and 49 others anywhere
        is_input[rng.choice(np.arange(1, total), n_inputs - 1, replace=False)] = True
        is_input[0] = True
    else:
        is_input[:n_inputs] = True
    items: Description = []
    for n in range(total):
        if is_input[n]:
            items.append(("input", (), float(rng.normal())))
            continue
        op = OPS[int(rng.integers(len(OPS)))]
        back = np.minimum(rng.exponential(reach, 1 if op in UNARY else 2).astype(np.int64),
                          n - 1)
        items.append((op, tuple(int(n - 1 - b) for b in back), None))
    return items


def to_dot(graph: Graph) -> str:
    """The graph in Graphviz's DOT language, laid out left to right as ours is."""
    lines = ["digraph circuit {", "  rankdir=LR;", "  node [shape=circle, width=0.6];"]
    lines += [f'  n{i} [label="{op}"];' for i, op in enumerate(graph.ops)]
    lines += [f"  n{u} -> n{v};" for v, ins in enumerate(graph.inputs) for u in ins]
    lines.append("}")
    return "\n".join(lines) + "\n"


def time_dot(graph: Graph, timeout: float) -> str | float:
    """Seconds `dot -Tplain` takes, or why it was not timed."""
    dot = shutil.which("dot")
    if dot is None:
        return "Graphviz `dot` is not installed (not on PATH): not timed"
    text = to_dot(graph)
    start = time.perf_counter()
    try:
        subprocess.run([dot, "-Tplain"], input=text, capture_output=True, text=True,
                       timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"dot did not finish within {timeout:.0f} s"
    except subprocess.CalledProcessError as exc:
        return f"dot failed: {exc.stderr.strip()[:80]}"
    return time.perf_counter() - start


def describe(graph: Graph) -> str:
    result = layout(graph)
    points = sum(len(e["points"]) for e in result["edges"])
    dummies = points - 2 * len(result["edges"])
    layers = max(node["layer"] for node in result["nodes"].values()) + 1
    return (f"{len(graph):,} nodes, {layers:,} layers, {dummies:,} dummy nodes, "
            f"{count_crossings(result):,} crossings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gates", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dot-timeout", type=float, default=120.0)
    args = parser.parse_args()

    graph = from_description(random_dag(args.gates))
    ours = best_of(lambda: layout(graph), args.repeats)
    verdict = "under" if ours < TARGET_SECONDS else "NOT under"
    print(f"random DAG, {args.gates:,} gates: {describe(graph)}")
    print(f"  ours {ours:.3f} s (best of {args.repeats}): {verdict} the "
          f"{TARGET_SECONDS} s target")
    theirs = time_dot(graph, args.dot_timeout)
    if isinstance(theirs, str):
        print(f"  {theirs}")
    else:
        print(f"  dot -Tplain {theirs:.2f} s   ratio ours/dot {ours / theirs:.4f} "
              f"({theirs / ours:.0f}x faster)")

    spread = from_description(random_dag(args.gates, spread_inputs=True))
    print(f"inputs spread through the program (informational): {describe(spread)}")
    print(f"  ours {best_of(lambda: layout(spread), args.repeats):.3f} s (best of {args.repeats})")


if __name__ == "__main__":
    main()
