"""`backprop-lab serve` runs the app; `backprop-lab eval` prints a program's circuit.

`eval --json` prints exactly the body POST /api/graph answers, errors included,
so scripts can use either interchangeably. The teaching tools are flags of
`eval`, as they are fields of the request: `--expand [IDS]`, `--check`,
`--code` and `--sweep NAME[:FROM:TO[:POINTS]]`.

`lesson` writes a program's lesson file (app/lesson.py): the page, its modules and the
program's answers in one HTML file that opens from disk.

`network` prints a small fully-connected network as a program (app/networks.py),
in its tensor or neuron form, ready to pipe into `eval -`; `network --json`
prints the body POST /api/network answers.

Everything printed that came from the user (names, labels, the source line under
an error's caret, the staged code, argparse's echo of arguments) goes through
app/cli/terminal.py, so escape sequences in a program are shown, not obeyed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import threading
import webbrowser
from typing import Any

import numpy as np

from app.api.serving import add_arguments as add_serving_arguments
from app.cli.terminal import emit, visible
from app.errors import LabError
from app.jsonify import dumps, encode
from app.networks import ACTIVATIONS, LOSSES, MAZUR, OUTPUTS, network
from app.ops import REGISTRY
from app.pipeline import Options, Sweep, graph_response


def parse_assignment(text: str) -> tuple[str, Any]:
    """`x=-2` or `W=[[1,2],[3,4]]` as a (name, JSON value) pair."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(
            f"the value of {name.strip()!r} is not a number or a JSON list: {raw!r}") from None
    return name.strip(), value


def format_value(x: Any) -> str:
    if x is None:
        return "—"
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    body = np.array2string(arr, precision=4, separator=", ", threshold=12,
                           max_line_width=10_000).replace("\n", "")
    return f"{body} {arr.shape}"


def table(body: dict[str, Any]) -> str:
    """Every node: name or label, op, value, gradient; the output marked with *."""
    rows = [("node", "op", "value", "gradient")]
    for node in body["nodes"]:
        mark = "*" if node["id"] == body["output"] else ""
        rows.append((visible(f"{node['name'] or node['label']}{mark}"), node["op"],
                     format_value(_decode(node["value"])), format_value(_decode(node["grad"]))))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.extend(f"warning: {visible(w)}" for w in body["warnings"])
    return "\n".join(lines)


def _decode(x: Any) -> Any:
    names = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
    if isinstance(x, str):
        return names[x]
    if isinstance(x, list):
        return [_decode(v) for v in x]
    return x


def parse_sweep(text: str) -> Sweep:
    """`x`, `x:-3:3` or `x:-3:3:41` as the nudge plot's request."""
    name, *rest = text.split(":")
    if not name or len(rest) not in (0, 2, 3):
        raise argparse.ArgumentTypeError(f"expected NAME or NAME:FROM:TO[:POINTS], got {text!r}")
    try:
        lo, hi = (float(rest[0]), float(rest[1])) if rest else (None, None)
        points = int(rest[2]) if len(rest) == 3 else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers in {text!r}") from None
    return Sweep(name, lo, hi, points)


def parse_expand(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def teaching_text(body: dict[str, Any]) -> str:
    """The gradient check, the nudge plot and the staged program, for the terminal."""
    parts = []
    rows: list[tuple[str, ...]]
    if "gradcheck" in body:
        rows = [("input", "analytic", "numeric", "rel error", "ok")]
        for name, entry in body["gradcheck"].items():
            worst = entry.get("worst") or entry
            ok = {True: "yes", False: "NO", None: "—"}[entry["ok"]]
            rows.append((name, format_value(_decode(worst["analytic"])),
                         format_value(_decode(worst["numeric"])),
                         format_value(_decode(worst["rel_error"])),
                         ok + (" (kink)" if entry["kink"] else "")))
        parts.append(_columns(rows))
    if "sweep" in body:
        plot = body["sweep"]
        rows = [(plot["input"], "output")]
        rows += [(format_value(_decode(x)), format_value(_decode(y)))
                 for x, y in zip(plot["xs"], plot["ys"], strict=True)]
        parts.append(_columns(rows))
    if "update" in body:
        step = body["update"]
        rows = [("parameter", "value", "gradient", f"new = value − {step['lr']} × gradient")]
        rows += [(p["name"], format_value(_decode(p["value"])), format_value(_decode(p["grad"])),
                  format_value(_decode(p["new"]))) for p in step["params"]]
        parts.append(_columns(rows))
    if "code" in body:
        parts.append(visible(body["code"]["python"].rstrip("\n")))
    return "\n\n".join(parts)


def _columns(rows: list[tuple[str, ...]]) -> str:
    rows = [tuple(visible(cell) for cell in row) for row in rows]  # widths of what is shown
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def read_program(args: argparse.Namespace) -> str | None:
    """The program of `eval` or `lesson`: -f FILE, - for standard input, or the argument."""
    if args.file:
        if args.source is not None:  # with -f, argparse puts the first name=value here
            try:
                args.values = [parse_assignment(args.source), *args.values]
            except argparse.ArgumentTypeError as err:
                emit(f"backprop-lab {args.command}: {err}", file=sys.stderr)
                raise SystemExit(2) from None
        # utf-8-sig: a byte-order mark marks the file, it is not part of the program
        with open(args.file, encoding="utf-8-sig") as handle:
            return handle.read()
    if args.source == "-":
        return sys.stdin.read().removeprefix("\ufeff")
    source: str | None = args.source
    return source


def cmd_eval(args: argparse.Namespace) -> int:
    source = read_program(args)
    if source is None:
        print("backprop-lab eval: give a program, -f FILE, or - for standard input",
              file=sys.stderr)
        return 2
    values = dict(args.values)
    seed = json.loads(args.seed) if args.seed else None
    options = Options(expand=args.expand, check=args.check, code=args.code, sweep=args.sweep,
                      lr=args.lr, params=args.params, columns=args.columns or args.base64,
                      packed=args.base64)
    try:
        body = graph_response(source, values, seed, options=options)
    except LabError as err:
        return report(err, args.json, args)
    if args.json or args.columns or args.base64:
        print(encode(body).decode("utf-8"))  # a large answer by orjson: ten times faster
        return 0
    extra = teaching_text(body)
    emit(table(body) + (f"\n\n{extra}" if extra else ""))
    return 0


def cmd_lesson(args: argparse.Namespace) -> int:
    """Write the program's lesson file: one HTML page that needs no server (app/lesson.py)."""
    from app.lesson import lesson_html

    source = read_program(args)
    if source is None:
        print("backprop-lab lesson: give a program, -f FILE, or - for standard input",
              file=sys.stderr)
        return 2
    try:
        text = lesson_html(source, dict(args.values), lang=args.lang, title=args.title)
    except LabError as err:
        return report(err, False, args)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    emit(f"wrote {args.output} ({len(text.encode('utf-8')):,} bytes): open it in a browser, "
         "no server needed", file=sys.stderr)
    return 0


def report(err: LabError, as_json: bool, args: argparse.Namespace | None = None) -> int:
    """A user's mistake: the API's error envelope on stdout with --json, else one line on
    stderr; the exit status 2. A program that is the name of a file (`eval prog.txt`)
    gets a hint on stderr: -f reads one."""
    if as_json:
        print(dumps(err.envelope()))
    else:
        emit(f"error ({err.type}): {err.render(visible)}", file=sys.stderr)
    source = getattr(args, "source", None) if args is not None and not args.file else None
    if isinstance(source, str) and source != "-" and "\n" not in source and "=" not in source:
        with contextlib.suppress(OSError, ValueError):
            if os.path.isfile(source):
                emit(f"hint: {source} is a file; to read the program from it, use -f {source}",
                     file=sys.stderr)
    return 2


def parse_sizes(text: str) -> list[int]:
    """`2,3,2` as layer sizes."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, like 2,3,2; got {text!r}") from None


def finite_float(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None


def cmd_network(args: argparse.Namespace) -> int:
    """Print one form of the network (or the whole API body with --json)."""
    spec: dict[str, Any] = dict(MAZUR) if args.mazur else {"sizes": [2, 2, 2]}
    given = {"sizes": args.sizes, "activation": args.activation, "output": args.output,
             "loss": args.loss, "x": args.x, "targets": args.targets, "weights": args.weights,
             "biases": args.biases, "seed": args.seed,
             "shared_bias": args.shared_bias}
    spec.update({k: v for k, v in given.items() if v is not None})
    try:
        net = network(**spec)
    except LabError as err:
        return report(err, args.json)
    if args.json:
        print(dumps(net.to_json()))
        return 0
    if args.form == "neuron":
        if net.neuron is None:
            emit(f"backprop-lab network: no neuron form: {net.neuron_reason}", file=sys.stderr)
            return 2
        emit(net.neuron, end="")
        return 0
    emit(net.tensor, end="")
    return 0


def ops_table() -> str:
    """The op catalogue as a Markdown table: the README's op table is this, verbatim."""
    rows = ["| written | gate | what it computes | local derivative |",
            "|---|---|---|---|"]
    for op in REGISTRY.values():
        if op.function:
            params = "".join(f", {p.name}" for p in op.params)
            args = ", ".join("ab"[:op.arity])
            written = f"`{op.function}({args}{params})`"
        elif op.operator and op.arity == 2:
            written = f"`a {op.operator} b`" + (" or `a ** b`" if op.operator == "^" else "")
        elif op.operator:
            written = f"`{op.operator}a`"
        else:
            written = "`f = q` (alias)"
        cells = (written, op.symbol, op.description, "; ".join(op.formulas))
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def cmd_ops(args: argparse.Namespace) -> int:
    print(ops_table())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train a program's parameters (POST /api/train's work, in this process).

    Prints "Loss after iteration i" every 1,000 passes as the numpy moons network does (the
    loss after
    i + 1 updates), then the loss and the accuracy, with a progress line on standard
    error; --json prints the API's answer instead. --example ID starts from a preset's
    program and run (`mazur-train`, `seed004-train`); the flags given override it.
    """
    import time

    from app.examples import EXAMPLES
    from app.training.data import AUTO, DataSpec
    from app.training.example import SEED_004_RUN
    from app.training.trainer import Training, TrainSpec

    run: dict[str, Any] = dict(SEED_004_RUN)
    if args.example:
        chosen = next((e for e in EXAMPLES if e["id"] == args.example and e.get("train")),
                      None)
        if chosen is None:
            names = ", ".join(e["id"] for e in EXAMPLES if e.get("train"))
            print(f"backprop-lab train: no training preset {args.example!r}; there are "
                  f"{names}", file=sys.stderr)
            return 2
        run = {"dataset": "auto", **chosen["train"]}
    if args.program == "-":
        run["source"] = sys.stdin.read().removeprefix("\ufeff")
    elif args.program:
        with open(args.program, encoding="utf-8-sig") as handle:
            run["source"] = handle.read()
        if not args.example:
            run = {"source": run["source"], "l2": 0.01, "dataset": "auto"}
    data = run.get("dataset", "auto")
    if args.csv:
        with open(args.csv, encoding="utf-8-sig") as handle:
            data = {"csv": handle.read()}
    elif args.dataset == "none":
        data = None
    elif args.dataset or args.n or args.noise is not None or args.seed is not None:
        base = data if isinstance(data, dict) else {}
        data = {**base, "name": args.dataset or base.get("name") or "moons"}
        for key in ("n", "noise", "seed"):
            if getattr(args, key) is not None:
                data[key] = getattr(args, key)
    if isinstance(data, dict) or (data == "auto" and (args.x or args.y)):
        data = {**(data if isinstance(data, dict) else {}),
                **({"x": args.x} if args.x else {}), **({"y": args.y} if args.y else {})}
    spec_data: DataSpec | None
    if data == "auto":
        spec_data = AUTO
    elif data is None:
        spec_data = None
    else:
        spec_data = DataSpec(name=data.get("name") or "moons", n=data.get("n", 200),
                             noise=data.get("noise"), seed=data.get("seed", 0),
                             csv=data.get("csv"), x=data.get("x"), y=data.get("y"),
                             auto="name" not in data and "csv" not in data)
    chosen_run = {key: value for key, value in vars(args).items() if value is not None}
    optimizer = dict(run.get("optimizer") or {})
    optimizer.update({key: chosen_run[key] for key in ("mu", "beta1", "beta2", "eps")
                      if key in chosen_run})
    if args.optimizer:
        optimizer["name"] = args.optimizer
    trainable = args.trainable or run.get("trainable")
    spec = TrainSpec(
        run["source"], spec_data, lr=chosen_run.get("lr", run.get("lr", 0.01)),
        l2=chosen_run.get("l2", run.get("l2", 0.0)),
        mode=chosen_run.get("mode", run.get("mode", "seed004")),
        init=chosen_run.get("init", run.get("init")),
        init_seed=chosen_run.get("init_seed", run.get("init_seed", 0)),
        passes=chosen_run.get("passes", run.get("passes", 20_000)),
        params=chosen_run.get("params", run.get("params")),
        trainable=None if trainable is None else tuple(trainable),
        optimizer=optimizer.get("name", "sgd"),
        hyper={k: v for k, v in optimizer.items() if k != "name"})
    try:
        training = Training(spec)
    except LabError as err:
        return report(err, args.json)
    start = time.perf_counter()
    shown = [start]

    def show(done: int, final: bool = False) -> None:
        now = time.perf_counter()
        if final or now - shown[0] >= 0.2:
            shown[0] = now
            print(f"\r{done:,} / {spec.passes:,} passes, {now - start:.1f} s  ",
                  end="\n" if final else "", file=sys.stderr, flush=True)

    if args.json:
        from app.jsonify import deep

        result = training.run(on_progress=lambda event: show(event["pass"]))
        show(result["passes_done"], final=True)
        print(dumps(deep({"run_id": None, **result})))
        return 0
    with np.errstate(all="ignore"):
        for i in range(spec.passes):
            training.step()
            if i % 1000 == 0:
                print(f"Loss after iteration {i}: {training.loss():f}", flush=True)
            if i % 100 == 0:
                show(i + 1)
    show(spec.passes, final=True)
    loss = training.loss()
    accuracy = training.accuracy()
    text = "—" if accuracy is None else f"{accuracy:.3f}"
    shown_loss = f"{loss:f}" if loss == 0 or abs(loss) >= 1e-3 else f"{loss:.6g}"
    print(f"after {spec.passes:,} passes: loss {shown_loss}, accuracy {text}")
    return 0


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib.util

    import uvicorn

    from app.api import serving

    try:
        settings = serving.from_args(args)
    except ValueError as err:  # a bad BACKPROP_LAB_* variable
        emit(f"backprop-lab serve: {err}", file=sys.stderr)
        return 2
    from app.training import limits

    cap = os.environ.get(limits.TIME_LIMIT_ENV, "").strip()
    if cap:  # a lower cap on each run's training (the server processes read it)
        try:
            limits.time_limit_of(cap)
        except ValueError as err:
            emit(f"backprop-lab serve: {err}", file=sys.stderr)
            return 2
    settings.to_env(os.environ)  # read by app.main:app, in this process and in --workers
    from app.training.channel import REDIS_URL_ENV

    if args.redis:  # training runs go to the job queue there (app/training/queue.py)
        os.environ[REDIS_URL_ENV] = args.redis
    if os.environ.get(REDIS_URL_ENV) and importlib.util.find_spec("rq") is None:
        emit("backprop-lab serve: training on a job queue needs RQ: "
             "pip install 'backprop-lab[queue]'", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{args.port}/"
    if args.open:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    emit(f"Backprop Lab on {url}  (API docs: {url}docs)", file=sys.stderr)
    if args.host in serving.WILDCARD_BINDS and settings.allowed_hosts == serving.LOOPBACK_HOSTS:
        print("serving every interface, but answering only Host localhost, 127.0.0.1 and "
              "[::1]: add --allowed-host NAME for the name or address clients use",
              file=sys.stderr)
    from app.training.registry import shared_runs

    with shared_runs(args.workers):  # training cancel and status across --workers processes
        uvicorn.run("app.main:app", host=args.host, port=args.port, log_level="info",
                    workers=args.workers, access_log=not args.quiet,
                    **settings.uvicorn_options())
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A training worker of the job queue (app/training/queue_worker.py)."""
    from app.training.channel import REDIS_URL_ENV

    url = args.redis or os.environ.get(REDIS_URL_ENV)
    if not url:
        emit(f"backprop-lab worker: give the Redis server with --redis URL or {REDIS_URL_ENV}",
             file=sys.stderr)
        return 2
    try:
        from app.training.queue_worker import work
    except ImportError:
        emit("backprop-lab worker: the job queue needs RQ: pip install 'backprop-lab[queue]'",
             file=sys.stderr)
        return 2
    from redis.exceptions import RedisError

    emit(f"Backprop Lab training worker on {url}", file=sys.stderr)
    try:
        work(url, name=args.name, burst=args.burst)
    except RedisError as err:
        emit(f"backprop-lab worker: the Redis server does not answer: {err}", file=sys.stderr)
        return 1
    return 0


class Parser(argparse.ArgumentParser):
    """argparse, its messages escaped: "unrecognized arguments" echoes argv as typed."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            emit(message, file=file or sys.stderr, end="")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="backprop-lab", description="See backpropagation happen, gate by gate.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the web app and the JSON API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--open", action="store_true", help="open the page in a browser")
    serve.add_argument("--workers", type=positive_int, default=1,
                       help="server processes (1)")
    serve.add_argument("--quiet", action="store_true", help="no access log line per request")
    serve.add_argument("--redis", metavar="URL", default=None,
                       help="train on the job queue of this Redis server (redis://host:6379/0; "
                       "default: $BACKPROP_LAB_REDIS_URL, else in this server's processes)")
    add_serving_arguments(serve)
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="train runs from the job queue of a Redis server")
    worker.add_argument("--redis", metavar="URL", default=None,
                        help="the Redis server (default: $BACKPROP_LAB_REDIS_URL)")
    worker.add_argument("--name", default=None, help="the worker's name (default: RQ's)")
    worker.add_argument("--burst", action="store_true",
                        help="end when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    ev = sub.add_parser("eval", help="print every node's value and gradient",
                        description="Example: backprop-lab eval 'f = (x + y) * z' x=-2 y=5 z=-4")
    ev.add_argument("source", nargs="?", help="the program ('-' reads standard input)")
    ev.add_argument("values", nargs="*", type=parse_assignment, metavar="name=value",
                    help="input values: numbers or JSON lists")
    ev.add_argument("-f", "--file", help="read the program from a file")
    ev.add_argument("--seed", help="upstream gradient for a tensor output, as JSON")
    ev.add_argument("--json", action="store_true", help="print what POST /api/graph returns")
    ev.add_argument("--columns", action="store_true", help="print its compact form, as "
                    "POST /api/graph answers '\"format\": \"columns\"' (implies --json)")
    ev.add_argument("--base64", action="store_true", help="print the compact form with its "
                    "columns packed, as POST /api/graph answers '\"format\": \"columns\", "
                    "\"arrays\": \"base64\"' (implies --columns)")
    ev.add_argument("--expand", nargs="?", const=True, default=False, type=parse_expand,
                    metavar="IDS", help="draw composite gates as primitives: all of them, or "
                    "the comma-separated node ids given (n3,n7)")
    ev.add_argument("--check", action="store_true",
                    help="check every input's gradient against central differences")
    ev.add_argument("--code", action="store_true",
                    help="print the forward and backward pass as a staged Python program")
    ev.add_argument("--sweep", type=parse_sweep, metavar="NAME[:FROM:TO[:POINTS]]",
                    help="the nudge plot: the output as one scalar input slides")
    ev.add_argument("--lr", type=finite_float, metavar="RATE",
                    help="one step of gradient descent at this learning rate: each "
                    "parameter's new value w − RATE·∂out/∂w")
    ev.add_argument("--params", type=lambda text: [p for p in text.split(",") if p],
                    metavar="NAMES", help="the inputs --lr updates, comma-separated "
                    "(default: those named like weights and biases, else all)")
    ev.set_defaults(func=cmd_eval)
    lesson = sub.add_parser(
        "lesson", help="write a lesson file: the page and this program in one HTML file",
        description="Example: backprop-lab lesson 'f = (x + y) * z' x=-2 y=5 z=-4 -o "
        "lesson.html   (the file opens from disk: no server, no network; editing is off)")
    lesson.add_argument("source", nargs="?", help="the program ('-' reads standard input)")
    lesson.add_argument("values", nargs="*", type=parse_assignment, metavar="name=value",
                        help="input values: numbers or JSON lists")
    lesson.add_argument("-f", "--file", help="read the program from a file")
    lesson.add_argument("-o", "--output", default="lesson.html",
                        help="the file to write (default lesson.html; - for standard output)")
    lesson.add_argument("--lang", choices=("en", "zh"),
                        help="the language it opens in (default: the reader's browser's)")
    lesson.add_argument("--title", help="the page's title (default: the program's first line)")
    lesson.set_defaults(func=cmd_lesson)
    net = sub.add_parser(
        "network", help="print a small fully-connected network as a program",
        description="Example: backprop-lab network --sizes 2,3,2 --activation tanh "
        "--form neuron | backprop-lab eval -   (what is not given is drawn from --seed)")
    net.add_argument("--sizes", type=parse_sizes, metavar="N,N,…",
                     help="neurons per layer, inputs first (default 2,2,2)")
    net.add_argument("--activation", choices=ACTIVATIONS,
                     help="the hidden layers' (default sigmoid)")
    net.add_argument("--output", choices=OUTPUTS, help="the output layer's (default sigmoid, "
                     "or none for cross_entropy)")
    net.add_argument("--loss", choices=LOSSES, help="mse (the default), half_sse (Mazur's "
                     "Σ ½(t − o)²) or cross_entropy")
    net.add_argument("--form", choices=("tensor", "neuron"), default="tensor",
                     help="tensor: one line per layer (the default); neuron: one "
                     "scalar per weight")
    net.add_argument("--x", "-X", dest="x", type=parse_json, metavar="JSON",
                     help="inputs, one row per example: [[0.05, 0.1]]")
    net.add_argument("--targets", type=parse_json, metavar="JSON",
                     help="rows of targets, or class labels for cross_entropy: [1, 0]")
    net.add_argument("--weights", type=parse_json, metavar="JSON",
                     help="one (inputs, outputs) matrix per layer")
    net.add_argument("--biases", type=parse_json, metavar="JSON",
                     help="one list per layer (one number per layer with --shared-bias)")
    net.add_argument("--seed", type=int, help="random seed for what is not given (default 0)")
    net.add_argument("--shared-bias", action=argparse.BooleanOptionalAction,
                     help="one bias per layer, as in Mazur's network (default: one per neuron)")
    net.add_argument("--mazur", action="store_true", help="Mazur's 2-2-2 network with his "
                     "numbers (the other flags override its parts)")
    net.add_argument("--json", action="store_true", help="print what POST /api/network returns")
    net.set_defaults(func=cmd_network)
    ops = sub.add_parser("ops", help="print the op catalogue as a Markdown table")
    ops.set_defaults(func=cmd_ops)
    add_train_parser(sub)
    return parser


def add_train_parser(sub: Any) -> None:
    """`backprop-lab train`: the flags are POST /api/train's fields."""
    from app.engine.optimizers import NAMES
    from app.training.datasets import DATASETS

    train = sub.add_parser(
        "train", help="train a program's parameters: on a data set, or on its own inputs",
        description="Examples: backprop-lab train   (the numpy moons network: 2-3-2 tanh on 200 "
        "moons points, 20,000 passes); backprop-lab train --example mazur-train   (Mazur's "
        "network, no data set: E over w1 … w8, 10,000 passes at rate 0.5)")
    train.add_argument("program", nargs="?", help="a file holding the program ('-' reads "
                       "standard input; default: the numpy moons network, or the --example's)")
    train.add_argument("--example", metavar="ID", help="a training preset's program and run "
                       "('seed004-train', 'mazur-train'); the other flags override it")
    train.add_argument("--dataset", choices=[*sorted(DATASETS), "none"],
                       help="the data set (default: moons for a program with the input X, "
                       "none for one without)")
    train.add_argument("--csv", metavar="FILE", help="points of your own: x0, x1, label a line")
    train.add_argument("--x", metavar="NAME", help="the input the points go to (X)")
    train.add_argument("--y", metavar="NAME", help="the input the labels go to (y)")
    train.add_argument("--n", type=int, help="points (200)")
    train.add_argument("--noise", type=finite_float, help="noise (default: the data set's)")
    train.add_argument("--seed", type=int, help="the data's random seed (0)")
    train.add_argument("--trainable", type=lambda text: [n.strip() for n in text.split(",")
                                                          if n.strip()],
                       metavar="NAMES", help="the inputs to train, by name: w1,w2 (default: "
                       "every input but the data's; without a data set those named like "
                       "weights and biases)")
    train.add_argument("--passes", type=int, help="passes (20,000)")
    train.add_argument("--lr", type=finite_float, help="learning rate (0.01)")
    train.add_argument("--l2", type=finite_float, help="L2 strength, on weight matrices only "
                       "(0.01, the numpy moons network's)")
    train.add_argument("--optimizer", choices=NAMES, help="sgd (the default), momentum or adam")
    train.add_argument("--mu", type=finite_float, help="momentum's μ (0.9)")
    train.add_argument("--beta1", type=finite_float, help="Adam's β₁ (0.9)")
    train.add_argument("--beta2", type=finite_float, help="Adam's β₂ (0.999)")
    train.add_argument("--eps", type=finite_float, help="Adam's ε (1e-8)")
    train.add_argument("--mode", choices=("seed004", "mean"),
                       help="'seed004' (the default): the numpy moons network's step on "
                       "the summed loss; 'mean': "
                       "the consistent mean form")
    train.add_argument("--init", choices=("seed004", "program"),
                       help="'seed004': the numpy moons network's random weights (the default with "
                       "a data set); 'program': the program's values (without one)")
    train.add_argument("--init-seed", type=int, help="the random seed of --init 'seed004'")
    train.add_argument("--params", type=parse_json, metavar="JSON",
                       help='starting values by name: {"b1": [0, 0, 0]}')
    train.add_argument("--json", action="store_true", help="print what POST /api/train returns")
    train.set_defaults(func=cmd_train)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
