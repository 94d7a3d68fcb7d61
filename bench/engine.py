"""Engine benchmark: Backprop Lab against micrograd, built the same way, in one run.

Both start from the same graph description (op, input indices, value) and
end with every gradient: micrograd builds `Value` objects and calls
`backward()`; Backprop Lab builds its gate graph and runs `evaluate`.

  python -m bench.engine            # needs `pip install -e '.[bench]'` for micrograd

Prints seconds and ratios (ours / micrograd); the README records them.

Whole requests (issue 15; `--whole` for only these): the same programs as micrograd
builds them — a chain of 2,000 and of 100,000 gates, micrograd's demo network on 10 and
100 points — through our engine alone, through the whole pipeline in this process (parse,
build, evaluate, trace, layout, the compact columns packed, the JSON bytes) and through
HTTP (`backprop-lab serve`, `"format": "columns"`, `"arrays": "base64"`, gzip, the answer
parsed and every packed column decoded to a numpy array), each against micrograd's
build+forward+backward; `--arrays json` for the columns as JSON lists instead (parsed
only). Goals: the 100,000-gate chain end to end under 3 s in at most 200 bytes a gate
(uncompressed); the demo network on 100 points end to end within 3× micrograd.
Targets: a 100,000-gate chain evaluates at all (micrograd's recursive
topological sort cannot); at 2,000 gates our time per gate is at most
micrograd's; on a wide scalar graph (an MLP unrolled into ~50,000 scalar
gates) our time is at most 0.5× micrograd's.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx
import numpy as np
import orjson

from app import micrograd_demo as demo
from app.engine import evaluate
from app.graph import from_description
from app.jsonify import encode
from app.limits import Limits
from app.packed import is_packed, numbers
from app.pipeline import Options, circuit, graph_response
from bench import programs as bench_programs
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
    parser.add_argument("--whole", action="store_true", help="only the whole requests")
    parser.add_argument("--no-http", action="store_true", help="whole requests in process only")
    parser.add_argument("--arrays", choices=("base64", "json"), default="base64",
                        help="the whole requests' columns packed (default) or JSON lists")
    args = parser.parse_args()
    if args.whole:
        whole_requests(args.repeats, not args.no_http, args.arrays == "base64")
        return
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
    whole_requests(args.repeats, not args.no_http, args.arrays == "base64")


# ------------------------------------------------------------ whole requests (issue 15)


def micrograd_chain(gates: int) -> float:
    """micrograd on bench.programs.chain: build, forward and backward."""
    from micrograd.engine import Value

    x = Value(0.5)
    v = x
    for k in range(gates):
        v = v * 0.999 if k % 2 == 0 else v + 0.001
    v.backward()
    return float(x.grad)


def micrograd_demo(n: int) -> float:
    """micrograd's demo network on n points, as its notebook builds it: the loss's value."""
    from micrograd.engine import Value

    layers = [([[Value(w) for w in row] for row in W], [Value(b) for b in B])
              for W, B in demo.parameters()]
    X, y = demo.points(n)
    scores = []
    for row in X:
        acts = [Value(v) for v in row]
        for k, (W, B) in enumerate(layers):
            acts = [sum((w * a for w, a in zip(ws, acts, strict=True)), b)
                    for ws, b in zip(W, B, strict=True)]
            if k < len(layers) - 1:
                acts = [a.relu() for a in acts]
        scores.append(acts[0])
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)) * (1.0 / n)
    params = [p for W, B in layers for ws, b in zip(W, B, strict=True) for p in [*ws, b]]
    total = data_loss + demo.ALPHA * sum(p * p for p in params)
    total.backward()
    return float(total.data)




_fresh = itertools.count()


def fresh(source: str) -> str:
    """The program with a new comment: no cache (graph, layout, answer) has seen it."""
    return f"{source}# request {next(_fresh)}\n"


def in_process(source: str, packed: bool = True) -> int:
    """The whole request in this process: parse, build, evaluate, trace, layout, the
    columns (packed: what `eval --base64` does; else `eval --columns`), the JSON bytes,
    never cached."""
    return len(encode(graph_response(fresh(source),
                                     options=Options(columns=True, packed=packed))))


def decoded(body: Any) -> int:
    """What a client does with a packed answer: every packed column's numbers as a numpy
    array (base64 decoded, read as its dtype); how many numbers in all."""
    if isinstance(body, dict):
        if is_packed(body):
            return len(numbers(body)) + sum(decoded(body[k]) for k in ("lengths", "null")
                                            if k in body)
        return sum(decoded(v) for v in body.values())
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return sum(decoded(v) for v in body)
    return 0


class Server:
    """`backprop-lab serve` on a free port of loopback, rate limit off."""

    def __init__(self) -> None:
        from bench.load import HOST, free_port, start_server, wait_ready

        self.base = f"http://{HOST}:{free_port()}"
        self.log = tempfile.TemporaryFile()
        port = int(self.base.rsplit(":", 1)[1])
        self.proc = start_server(port, self.log, quiet=True)
        wait_ready(self.proc, self.base)
        self.http = httpx.Client(base_url=self.base, timeout=600)

    def post(self, source: str, packed: bool = True) -> tuple[int, int]:
        """POST /api/graph with the compact format (packed, or JSON lists), gzip accepted;
        the answer parsed and its packed columns decoded. Its bytes: as sent (gzipped),
        and uncompressed."""
        request: dict[str, Any] = {"source": fresh(source), "format": "columns"}
        if packed:
            request["arrays"] = "base64"
        response = self.http.post("/api/graph", content=orjson.dumps(request), headers={
            "content-type": "application/json", "accept-encoding": "gzip"})
        assert response.status_code == 200, response.text[:300]
        decoded(orjson.loads(response.content))
        return (int(response.headers.get("content-length", len(response.content))),
                len(response.content))

    def close(self) -> None:
        from bench.load import stop_server

        self.http.close()
        stop_server(self.proc)


def whole_requests(repeats: int, http: bool, packed: bool = True) -> None:
    """Chain 2,000 and 100,000; micrograd's demo network on 10 and 100 points: micrograd's
    build+forward+backward against our engine alone, the whole request in process and
    through HTTP (compact format, packed or not, gzip); prints the times, the answer's
    bytes a gate and the ratios."""
    sys.setrecursionlimit(20_000)  # lets micrograd's recursive sort reach 2,000 gates
    server = Server() if http else None
    programs = [("chain 2,000", bench_programs.chain(2_000), lambda: micrograd_chain(2_000)),
                ("chain 100,000", bench_programs.chain(100_000), None),
                ("demo MLP, 10 points", demo.demo_program(10), lambda: micrograd_demo(10)),
                ("demo MLP, 100 points", demo.demo_program(100), lambda: micrograd_demo(100))]
    print(f"\nwhole requests, columns as {'base64' if packed else 'JSON lists'} (s; bytes a "
          "gate uncompressed; ratios ours / micrograd's build+forward+backward):")
    try:
        for name, source, theirs_fn in programs:
            graph = circuit(source, BIG)
            gates = sum(op not in ("input", "const") for op in graph.ops)
            big = gates > 10_000
            # the engine alone: the forward and backward passes over the graph already built
            times = best_of(lambda g=graph: evaluate(g, limits=BIG), 1 if big else repeats)
            whole = best_of(lambda s=source: in_process(s, packed), 1 if big else repeats)
            size = in_process(source, packed)
            line = (f"{name:22} {gates:7,} gates: engine {times:7.3f}   in process "
                    f"{whole:7.3f} ({size / gates:.0f} B/gate)")
            if server is not None:
                server.post(source, packed)  # the first: the server's imports are warm after
                wire = best_of(lambda s=source: server.post(s, packed), 1 if big else repeats)
                sent, plain = server.post(source, packed)
                line += (f"   HTTP {wire:7.3f} ({plain / gates:.0f} B/gate, "
                         f"{sent / gates:.0f} gzipped)")
            if theirs_fn is None:
                line += f"   micrograd {micrograd_deep_chain(100_000)}"
            else:
                theirs = best_of(theirs_fn, 1 if big else repeats)
                line += (f"   micrograd {theirs:7.3f}   ratio engine {times / theirs:.2f},"
                         f" in process {whole / theirs:.2f}")
                if server is not None:
                    line += f", HTTP {wire / theirs:.2f}"
            print(line, flush=True)
    finally:
        if server is not None:
            server.close()


if __name__ == "__main__":
    main()
