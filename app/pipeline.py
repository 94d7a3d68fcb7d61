"""From a request to the JSON the page draws: the one pipeline the API and the CLI share.

source ──lang──▶ program ──graph──▶ gates ──engine──▶ values, gradients, trace ──▶ JSON

The teaching tools are optional steps of the same pipeline (`Options`):
`expand` rewrites the graph before it is evaluated (app/graph/expand.py);
`check`, `code` and `sweep` read the evaluation afterwards
(app/engine/gradcheck.py, staged.py, sweep.py). A request without them runs
exactly the plain pipeline.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.columns import to_columns
from app.engine import Evaluation, evaluate
from app.engine.diagnose import node_warnings
from app.engine.gradcheck import gradcheck
from app.engine.run import CHECK_EVERY, Budget, Cancel
from app.engine.staged import staged
from app.engine.sweep import sweep
from app.engine.trace import TRACE_INLINE, answer_numbers, steps
from app.engine.update import update
from app.errors import LabError
from app.graph import Graph, build
from app.graph.expand import Expanded, expand, resolve
from app.graph.fast import fast_graph
from app.graph.renumber import Numbers, Renumber
from app.groups import add_group_columns, add_groups, folded
from app.jsonify import deep, tensor
from app.lang import parse
from app.layout import layout
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY
from app.packed import pack
from app.scalar_columns import applies as scalar_columns_apply
from app.scalar_columns import scalar_columns


@dataclass(frozen=True)
class Sweep:
    """The nudge plot's request: which input, over what range, at how many points."""

    input: str
    lo: float | None = None
    hi: float | None = None
    points: int | None = None


@dataclass(frozen=True)
class Options:
    """The teaching tools a request asks for; the default asks for none."""

    expand: bool | list[str] = False  # True: every composite gate; a list: those node ids
    check: bool = False
    code: bool = False
    sweep: Sweep | None = None
    lr: float | None = None  # a learning rate: add one step of gradient descent
    params: list[str] | None = None  # the inputs it updates (None: weights and biases)
    optimizer: str = "sgd"  # which optimiser steps (app/engine/optimizers.py)
    hyper: dict[str, float] | None = None  # its hyperparameters (None: the defaults)
    state: dict[str, dict[str, Any]] | None = None  # its state before the step, by input
    t: int = 1  # the number of the step (Adam's bias correction)
    full_trace: bool = False  # every tensor of the step trace written out
    columns: bool = False  # the compact form of the answer (app/columns.py)
    packed: bool = False  # with columns, its arrays packed as base64 (app/packed.py)
    groups: bool = False  # add the statement groups (app/groups.py); a big circuit folded

    @property
    def plain(self) -> bool:
        return (self.expand is False and not self.check and not self.code and self.sweep is None
                and self.lr is None and not self.groups)


def circuit(source: str, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """The gate graph of a program, parsed and built, or remembered from a recent request:
    a learner moving a slider sends the same program again and again, and the graph
    depends on its text alone. A program that differs from a recent one only in numbers
    (a learner editing a weight) gets that one's graph with its numbers
    (app/graph/renumber.py), not a parse. Raises LabError for a mistake in the program."""
    if len(source) > GRAPH_CACHE_CHARS:  # long: read in one pass where it can be
        return fast_graph(source, limits) or build(parse(source, limits), limits)
    key = (source, limits)
    with _graphs_lock:
        found = _graphs.get(key)
        if found is not None:
            _graphs.move_to_end(key)
            return found
    # (a program over the limit is the parser's to refuse, even where only a number grew)
    numbers = Numbers.of(source) if len(source) <= limits.max_source_chars else None
    graph = None
    if numbers is not None:
        with _graphs_lock:
            known = _templates.get((numbers.template, limits))
            if known is not None:
                _templates.move_to_end((numbers.template, limits))
        if known is not None:
            graph = known.apply(source, numbers)
    if graph is None:
        graph = build(parse(source, limits), limits)
        if numbers is not None:
            learned = Renumber.learn(graph, numbers)
            with _graphs_lock:
                _templates[(numbers.template, limits)] = learned
                if len(_templates) > GRAPH_CACHE_SIZE:
                    _templates.popitem(last=False)
    with _graphs_lock:
        _graphs[key] = graph
        if len(_graphs) > GRAPH_CACHE_SIZE:
            _graphs.popitem(last=False)
    return graph


GRAPH_CACHE_SIZE = 256
GRAPH_CACHE_CHARS = 20_000  # longer programs are built afresh: they are rarely re-sent
_graphs: OrderedDict[tuple[str, Limits], Graph] = OrderedDict()
_graphs_lock = threading.Lock()
# By template (app/graph/renumber.py): the last graph built from a program of that text
# between its numbers, and which number is which default.
_templates: OrderedDict[tuple[str, Limits], Renumber] = OrderedDict()


def run(source: str, values: dict[str, Any] | None = None, seed: Any = None,
        limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Parse, build and evaluate a program; raises LabError for anything the user can fix."""
    return evaluate(circuit(source, limits), values, seed, limits)


# An answer of more numbers than this is large: the server computes one such at a time,
# in a thread of its own, so that large answers neither crowd out small ones nor add up.
LARGE_ANSWER = 50_000


class LargeAnswer(Exception):
    """Raised instead of computing a large answer where the caller did not allow one."""


# A small circuit is answered on the event loop itself, without the hop to a worker thread
# (app/api/routes.py): at most this many nodes and answer numbers. Its work is a
# millisecond or two, less than what the hop, the thread's wake-up and the handing back and
# forth of the GIL cost; anything bigger still goes to a thread.
SMALL_NODES = 64
SMALL_ANSWER = 2_000


class NotSmall(Exception):
    """Raised, before any number is computed, where the caller asked for a small circuit
    only (`graph_response(..., small=True)`) and this one is bigger."""


def answer_budget(limits: Limits, full_trace: bool = False, large: bool = True,
                  small: bool = False) -> Budget:
    """Refuse, before anything is computed, a circuit whose answer would hold more than
    `limits.max_response_numbers` numbers (a 400 too_large where the count passes the limit);
    with `large` false, raise LargeAnswer for one of more than LARGE_ANSWER numbers; with
    `small`, raise NotSmall for one of more than SMALL_NODES nodes or SMALL_ANSWER numbers."""
    def check(graph: Graph, shapes: list[tuple[int, ...]]) -> None:
        if small and len(graph) > SMALL_NODES:
            raise NotSmall()
        count, over = answer_numbers(graph, shapes, full_trace, limits.max_response_numbers)
        if small and count > SMALL_ANSWER:
            raise NotSmall()
        if over is None and count > LARGE_ANSWER and not large:
            raise LargeAnswer()
        if over is not None:
            more = "" if full_trace else (" (tensors of the step trace count up to "
                                          f"{TRACE_INLINE} numbers each)")
            raise LabError(
                "too_large", f"the answer would hold {count:,} numbers — every node's value and "
                f"gradient and the backward steps' numbers{more} — over the limit of "
                f"{limits.max_response_numbers:,}: use smaller tensors or fewer of them",
                graph.nodes[over].at, key="answer_too_large",
                info={"numbers": count, "limit": limits.max_response_numbers},
                source=graph.source)
    return check


def _node_json(ev: Evaluation, node_id: int, warnings: list[str],
               expanded: Expanded | None = None) -> dict[str, Any]:
    graph: Graph = ev.graph
    node = graph.nodes[node_id]
    body: dict[str, Any] = {
        "id": node.key,
        "op": node.op,
        "name": node.name,
        "label": node.label,
        "inputs": [f"n{i}" for i in node.inputs],  # Node.key
        "value": tensor(ev.values[node_id]),  # what tensor(ev.value(node_id)) gives
        "grad": _grad_json(ev, node_id),
        "shape": list(ev.shapes[node_id]),
        "span": node.span.to_json() if node.span else None,
        "requires_grad": ev.plan.requires[node_id],
        "warnings": warnings,
    }
    if node.op not in ("input", "const"):
        op = REGISTRY[node.op]
        body["formulas"] = list(op.formulas)
        body["params"] = node.param_dict()
        body["composite"] = op.expansion is not None
    if expanded is not None:
        body["origin"] = f"n{expanded.origin[node_id]}"
        if expanded.expanded_from[node_id] is not None:
            body["expanded_from"] = expanded.expanded_from[node_id]
    return body


def _grad_json(ev: Evaluation, node_id: int) -> Any:
    """tensor(ev.grad(node_id)), without making an array of a scalar gradient."""
    grad = ev.grads[node_id] if ev.plan.requires[node_id] else None
    if isinstance(grad, float) and ev.shapes[node_id] == ():
        return tensor(grad)
    return tensor(ev.grad(node_id))


def _steps_json(ev: Evaluation, full: bool = False, cancel: Cancel | None = None
                ) -> list[dict[str, Any]]:
    """The trace as JSON. A tensor of more than TRACE_INLINE numbers is written as
    {"shape", "same_as"} unless `full`: same_as names the node field holding the same
    numbers (the gate's gradient for `upstream`, the input's gradient for a `sum` that is
    complete or a `product` that is its only part), or is null (a local derivative, a
    partial sum), so a big tensor is written once, on its node, not again on every edge."""
    trace = steps(ev)
    remaining: dict[str, int] = {}
    for step in trace:
        for edge in step.get("edges", ()):
            remaining[edge["input"]] = remaining.get(edge["input"], 0) + 1
    total = dict(remaining)

    def write(x: Any, same_as: str | None, field: str = "grad") -> Any:
        if full or x is None or isinstance(x, float) or np.size(x) <= TRACE_INLINE:
            return tensor(x)
        ref = None if same_as is None else {"node": same_as, "field": field}
        return {"shape": list(np.shape(x)), "same_as": ref}

    for k, step in enumerate(trace):
        if cancel is not None and not k % CHECK_EVERY:
            cancel.check()
        if step["phase"] != "backward":
            continue
        gate = step["node"]
        grad = step["grad"]
        step["grad"] = written = write(grad, gate)
        for edge in step["edges"]:
            source = edge["input"]
            remaining[source] -= 1
            complete = remaining[source] == 0
            # The same tensor written twice, when it is a number: written once (a list is
            # written again, so that no two places of the answer share one list).
            upstream = edge["upstream"]
            edge["upstream"] = (written if upstream is grad and isinstance(written, float)
                                else write(upstream, gate))
            edge["local"] = write(edge["local"], None)
            product, total_sum = edge["product"], edge["sum"]
            edge["product"] = write(product, source if total[source] == 1 else None)
            edge["sum"] = (edge["product"] if total_sum is product
                           and isinstance(edge["product"], float)
                           else write(total_sum, source if complete else None))
            if "factors" in edge:
                edge["factors"] = [tensor(x) for x in edge["factors"]]
    return trace


def graph_json(ev: Evaluation, expanded: Expanded | None = None, full_trace: bool = False,
               cancel: Cancel | None = None, with_layout: bool = True) -> dict[str, Any]:
    """The JSON contract of POST /api/graph for an evaluated program (without `layout`
    when not `with_layout`: a folded answer, app/groups.py)."""
    warnings = node_warnings(ev)
    nodes = [_node_json(ev, n.id, warnings.get(n.id, []), expanded) for n in ev.graph.nodes]
    if cancel is not None:
        cancel.check()
    messages = list(ev.warnings)
    for node_id, texts in sorted(warnings.items()):
        node = ev.graph.nodes[node_id]
        who = node.name or node.label
        messages.extend(f"{who}: {t}" for t in texts)
    trace = _steps_json(ev, full_trace, cancel)
    body: dict[str, Any] = {
        "output": ev.graph.nodes[ev.graph.output].key,
        "nodes": nodes,
        "steps": trace,
        "inputs": list(ev.graph.input_ids),
        "warnings": messages,
    }
    if with_layout:
        body["layout"] = layout(ev.graph, ev.shapes)
    return body


GC_PAUSE_CHARS = 50_000  # programs this long are computed with the cyclic collector paused
_gc_pausers = 0
_gc_was_enabled = True
_gc_lock = threading.Lock()


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large answer is built.

    A big circuit's answer is millions of small objects, all alive until it is written:
    the collector finds nothing to free among them, yet walks them again and again as
    they pile up (40% of the time of a 30,000-gate chain). Paused across threads by a
    count, so the collector runs again when the last large answer is done; what other
    threads leave meanwhile is collected then.
    """
    global _gc_pausers, _gc_was_enabled
    if not pause:
        yield
        return
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def graph_response(source: str, values: dict[str, Any] | None = None, seed: Any = None,
                   limits: Limits = DEFAULT_LIMITS, options: Options | None = None,
                   cancel: Cancel | None = None, large: bool = True,
                   small: bool = False) -> dict[str, Any]:
    """The body of POST /api/graph (and `eval --json`); raises LabError for user mistakes,
    Cancelled when `cancel` is raised (the client went away), with `large` false
    LargeAnswer before computing an answer of more than LARGE_ANSWER numbers, and with
    `small` NotSmall before computing a circuit over SMALL_NODES nodes or SMALL_ANSWER
    numbers."""
    with gc_paused(len(source) > GC_PAUSE_CHARS):
        return _graph_response(source, values, seed, limits, options or Options(), cancel,
                               large, small)


def _graph_response(source: str, values: dict[str, Any] | None, seed: Any, limits: Limits,
                    options: Options, cancel: Cancel | None, large: bool,
                    small: bool = False) -> dict[str, Any]:
    budget = answer_budget(limits, options.full_trace, large, small)
    graph = circuit(source, limits)
    if small and len(graph) > SMALL_NODES:
        raise NotSmall()  # before expanding it, too
    if options.plain:
        ev = evaluate(graph, values, seed, limits, budget, cancel)
        if options.columns and scalar_columns_apply(ev):  # the same answer, without an
            return scalar_columns(ev, cancel, options.packed)  # object per item
        body = graph_json(ev, full_trace=options.full_trace, cancel=cancel)
        return _compact(body, options)
    expanded = None
    written = graph  # folded or not by its gates as written (app/groups.py)
    if options.expand is not False:
        which = None if options.expand is True else resolve(graph, options.expand)
        expanded = expand(graph, which, limits)
        graph = expanded.graph
    ev = evaluate(graph, values, seed, limits, budget, cancel)
    fold = options.groups and folded(written)
    # the compact form of a scalar circuit as written, straight from its evaluation (the
    # page asks a long program's answer so: a fraction of the objects, the time, the bytes)
    direct = options.columns and expanded is None and scalar_columns_apply(ev)
    if direct:
        body = scalar_columns(ev, cancel, options.packed, with_layout=not fold)
        if options.groups:
            add_group_columns(body, graph, fold)
    else:
        body = graph_json(ev, expanded, options.full_trace, cancel, with_layout=not fold)
        if options.groups:
            add_groups(body, graph, fold)
    if options.check:
        body["gradcheck"] = deep(gradcheck(ev))
    if options.code:
        program = staged(ev)
        body["code"] = {"python": program.python, "variant": program.variant,
                        "grads": program.grads, "names": program.names, "lines": program.lines}
    if options.lr is not None:
        body["update"] = deep(update(ev, options.lr, options.params, options.optimizer,
                                     options.hyper, options.state, options.t))
    if options.sweep is not None:
        plot = sweep(ev, options.sweep.input, options.sweep.lo, options.sweep.hi,
                     options.sweep.points)
        body["sweep"] = deep(plot)
        if plot["reduced"]:
            body["warnings"].append(f"the nudge plot has {plot['points']} points, fewer than "
                                    "asked, to keep the work of this large circuit bounded")
    if direct:  # in columns already (packed but for the group column)
        return pack(body) if options.packed else body
    return _compact(body, options)


def _compact(body: dict[str, Any], options: Options) -> dict[str, Any]:
    """The answer in the form the request asks for: as it is, its columns, or those packed."""
    if not options.columns:
        return body
    columns = to_columns(body)
    return pack(columns) if options.packed else columns
