"""The compact answer (`"format": "columns"`) of a scalar circuit, written straight from its
evaluation, a column at a time.

`to_columns(graph_json(ev))` builds an object per node, per step and per edge and then
reads them back into columns: for micrograd's demo network (65,000 gates) that is
millions of small objects and seconds of work. When every node is a scalar, each column
is a numpy array or one list comprehension instead: values and gradients as arrays, the
backward steps' order and the `+=` marks by sorting, the local derivatives of lone gates
recomputed for a whole op at once where the op's derivative is plain arithmetic (the same
IEEE operations, so the same bits), the running sums in one loop over floats. The answer
is equal to `to_columns(graph_json(ev))` (tests/test_scalar_columns.py holds the two
together on the presets and on the oracle's random programs), so a client cannot tell
which wrote it.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from app.engine.diagnose import node_warnings
from app.engine.run import Cancel, Evaluation
from app.graph.fast import TextGraph
from app.layout import layout_arrays, layout_columns
from app.ops import REGISTRY
from app.packed import floats, ints, pack_column, ragged, rows

# Ops whose partials are arithmetic on the value and the inputs (no libm call): computed for
# all their lone gates at once they give the bits the gate-at-a-time computation gives.
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "neg", "identity", "exp", "log", "sqrt",
                        "tanh", "sigmoid", "relu", "abs", "max", "min"})


def applies(ev: Evaluation) -> bool:
    """Whether `scalar_columns` can write this evaluation's answer: every node a scalar."""
    return all(s == () for s in ev.shapes)


def _numbers(a: np.ndarray) -> list[Any]:
    """Floats as JSON numbers, non-finite ones as the strings of DESIGN.md (`tensor`'s)."""
    out = a.tolist()
    bad = np.flatnonzero(~np.isfinite(a))
    for k in bad.tolist():
        x = out[k]
        out[k] = "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    return out


def scalar_columns(ev: Evaluation, cancel: Cancel | None = None, packed: bool = False,
                   with_layout: bool = True) -> dict[str, Any]:
    """The columns form of `graph_json(ev)` for a scalar circuit (see `applies`), equal to
    `to_columns(graph_json(ev))`; with `packed`, its arrays packed (app/packed.py), equal
    to `pack` of it, written from the arrays without a list of their numbers made; without
    `layout` when not `with_layout` (a folded answer, app/groups.py)."""
    graph = ev.graph
    n = len(graph)
    plan = ev.plan
    requires = np.array(plan.requires, dtype=bool)
    reached = np.array(plan.reached, dtype=bool)
    values = np.array(ev.values, dtype=float).reshape(n)
    grads = np.array(ev.grads, dtype=float).reshape(n)
    grads[~requires] = 0.0  # (written as null)
    warnings = node_warnings(ev)

    ops_col = graph.ops
    counts = np.fromiter(map(len, graph.inputs), np.int64, n)
    src = np.fromiter(chain.from_iterable(graph.inputs), np.int64, int(counts.sum()))
    span_rows: np.ndarray | None = None
    spans: list[Any] = []
    if isinstance(graph, TextGraph):  # read in one pass: the columns as they are
        names, labels = graph.names, graph.labels
        if packed:
            span_rows = graph.spans
        else:
            spans = graph.spans.tolist()
    else:
        records = graph.nodes
        names = [r.name for r in records]
        labels = [r.label for r in records]
        spans = [None if r.span is None else
                 [r.span.line, r.span.column, r.span.end_line, r.span.end_column]
                 for r in records]
    leaf = np.array([op == "input" or op == "const" for op in ops_col], dtype=bool)
    gate_ids = np.flatnonzero(~leaf)
    warned = sorted(k for k, w in warnings.items() if w)
    cols: dict[str, Any] = {"count": n}
    if packed:
        cols.update({
            "op": pack_column(list(ops_col)), "name": pack_column(list(names)),
            "label": pack_column(list(labels)), "inputs": ragged(counts, src),
            "value": floats(values), "grad": floats(grads, ~requires),
            "shape": ragged(np.zeros(n, np.int64), np.zeros(0, np.int64)),
            "span": rows(span_rows) if span_rows is not None else pack_column(spans),
            "requires_grad": ints(requires),
            "warnings": {"at": pack_column(warned), "values": [warnings[k] for k in warned],
                         "else": []}})
    else:
        grad_col = _numbers(grads)
        for i in np.flatnonzero(~requires).tolist():
            grad_col[i] = None
        cols.update({
            "op": list(ops_col),
            "name": list(names),
            "label": list(labels),
            "inputs": [list(ins) for ins in graph.inputs],
            "value": _numbers(values),
            "grad": grad_col,
            "shape": [[] for _ in range(n)],
            "span": spans,
            "requires_grad": requires.astype(np.int64).tolist(),
            "warnings": {"at": warned, "values": [warnings[k] for k in warned], "else": []},
        })
    params = ([{} for _ in range(len(gate_ids))] if isinstance(graph, TextGraph)  # it has none
              else [graph.nodes[i].param_dict() for i in gate_ids.tolist()])
    cols["params"] = {"at": ints(gate_ids) if packed else gate_ids.tolist(), "values": params}
    ops: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(ops_col[i] for i in gate_ids.tolist()):
        op = REGISTRY[name]
        ops[name] = {"formulas": list(op.formulas), "composite": op.expansion is not None}
    if cancel is not None:
        cancel.check()

    messages = list(ev.warnings)
    for node_id, texts in sorted(warnings.items()):
        who = names[node_id] or labels[node_id]
        messages.extend(f"{who}: {t}" for t in texts)
    steps = _steps(ev, n, counts, src, requires, reached, values, grads, packed)
    if cancel is not None:
        cancel.check()
    body: dict[str, Any] = {
        "format": "columns",
        "output": graph.output,
        "nodes": cols,
        "ops": ops,
        "steps": steps,
        "inputs": list(graph.input_ids),
        "warnings": messages,
    }
    if with_layout:
        body["layout"] = (_packed_layout(graph, ev.shapes) if packed
                          else layout_columns(graph, ev.shapes))
    return body


def _packed_layout(graph: Any, shapes: Any) -> dict[str, Any]:
    """The layout's columns, packed."""
    arrays = layout_arrays(graph, shapes)
    return {"nodes": {"x": floats(arrays.x), "y": floats(arrays.y), "layer": ints(arrays.layer),
                      "view": {"at": pack_column(arrays.view_at), "values": arrays.views}},
            "edges": {"bends": ragged(arrays.bend_lengths, arrays.bends, "float")},
            "width": arrays.width, "height": arrays.height}


def _steps(ev: Evaluation, n: int, counts: np.ndarray, src: np.ndarray, requires: np.ndarray,
           reached: np.ndarray, values: np.ndarray, grads: np.ndarray,
           packed: bool = False) -> dict[str, Any]:
    """The trace's columns (app/engine/trace.py's steps, as app/columns.py writes them)."""
    graph = ev.graph
    out = graph.output
    whole = ints if packed else (lambda a: a.tolist())
    forward = {"node": whole(np.arange(n))}
    if not requires[out]:
        return {"forward": forward, "backward": {"node": [], "seed": {"at": [], "values": []},
                                                 "edges": []},
                "edges": {"input": [], "position": [], "local": [], "product": [],
                          "sum": {"at": [], "values": []}, "accumulate": []}}
    stepping = reached & requires & (counts > 0)
    stepping[out] = True
    gates = np.flatnonzero(stepping)[::-1]
    # every edge of the graph: target, input, position; then those the steps list, in order
    dst = np.repeat(np.arange(n, dtype=np.int64), counts)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    position = np.arange(len(dst), dtype=np.int64) - ptr[dst]
    keep = np.flatnonzero(stepping[dst] & requires[src])
    keep = keep[np.argsort(-dst[keep], kind="stable")]  # gates in reverse, slots in order
    e_dst, e_src, e_pos = dst[keep], src[keep], position[keep]
    listed = np.full(len(dst), -1, dtype=np.int64)  # a graph edge's place in the list
    listed[keep] = np.arange(len(keep))
    local, no_local, product = _edge_numbers(ev, keep, e_dst, e_pos, values, grads,
                                             listed, ptr)

    first = np.zeros(len(keep), dtype=bool)
    if len(keep):
        first[np.unique(e_src, return_index=True)[1]] = True
    accumulate = ~first
    acc_at = np.flatnonzero(accumulate)
    sums: list[Any] = []
    if len(acc_at):
        running: dict[int, float] = {}
        prod_list = product.tolist()
        acc_list = accumulate.tolist()
        for k, (i, p) in enumerate(zip(e_src.tolist(), prod_list, strict=True)):
            if acc_list[k]:
                running[i] = s = running[i] + p
                sums.append(s)
            else:
                running[i] = p
    per_step = np.bincount(np.searchsorted(-gates, -e_dst), minlength=len(gates)) \
        if len(gates) else np.zeros(0, dtype=np.int64)
    seed_at = np.flatnonzero(gates == out).tolist()
    backward: dict[str, Any] = {"node": whole(gates),
                                "seed": {"at": seed_at, "values": [True] * len(seed_at)},
                                "edges": whole(per_step)}
    sum_values = np.asarray(sums, dtype=float)
    if packed:
        edges: dict[str, Any] = {
            "input": ints(e_src), "position": ints(e_pos), "local": floats(local, no_local),
            "product": floats(product),
            "sum": {"at": ints(acc_at), "values": floats(sum_values)},
            "accumulate": ints(accumulate),
        }
        backward["seed"]["at"] = pack_column(seed_at)
    else:
        local_col = _numbers(local)
        for k in np.flatnonzero(no_local).tolist():
            local_col[k] = None
        edges = {
            "input": e_src.tolist(), "position": e_pos.tolist(), "local": local_col,
            "product": _numbers(product),
            "sum": {"at": acc_at.tolist(), "values": _numbers(sum_values)},
            "accumulate": accumulate.astype(np.int64).tolist(),
        }
    factors = _factors(ev, e_dst.tolist(), e_pos.tolist())
    if factors is not None:
        edges["factors"] = pack_column(factors) if packed else factors
    return {"forward": forward, "backward": backward, "edges": edges}


def _edge_numbers(ev: Evaluation, keep: np.ndarray, e_dst: np.ndarray, e_pos: np.ndarray,
                  values: np.ndarray, grads: np.ndarray, listed: np.ndarray, ptr: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each listed edge's local derivative, where the gate has none (JSON: null) and its
    product, as `Evaluation.edge` gives them. The edge into slot j of gate o is the graph's
    edge ptr[o] + j, listed at `listed` of that (-1: not listed)."""
    m = len(keep)
    local = np.zeros(m)
    product = np.zeros(m)
    done = np.zeros(m, dtype=bool)
    no_local = np.zeros(m, dtype=bool)
    if ev.batch_edges:  # vectorised groups: their numbers, as the engine kept them
        for batch, j, loc, contrib in ev.batch_edges:
            at = listed[ptr[batch.outs] + j]
            ok = at >= 0
            locs = np.broadcast_to(np.asarray(loc, dtype=float), contrib.shape)
            local[at[ok]] = locs[ok]
            product[at[ok]] = contrib[ok]
            done[at[ok]] = True
    for (o, j), (loc, contrib) in ev.edges.items():  # gates the engine ran one at a time
        k = int(listed[ptr[o] + j])
        if k < 0 or done[k]:
            continue
        if loc is None:
            no_local[k] = True
        else:
            local[k] = float(loc)
        product[k] = float(contrib)
        done[k] = True
    rest = np.flatnonzero(~done)
    if len(rest):  # lone scalar gates: the same arithmetic again, an op and slot at a time
        ops = ev.graph.ops
        inputs = ev.graph.inputs
        r_dst = e_dst[rest]
        names = [ops[o] for o in r_dst.tolist()]
        groups: dict[tuple[str, int], list[int]] = {}
        for k, name, j in zip(rest.tolist(), names, e_pos[rest].tolist(), strict=True):
            groups.setdefault((name, j), []).append(k)
        for (name, j), ks in groups.items():
            partial = REGISTRY[name].partials[j]  # type: ignore[index]
            idx = np.asarray(ks, dtype=np.int64)
            gates = e_dst[idx]
            with np.errstate(all="ignore"):
                if name in ARITHMETIC:
                    arity = REGISTRY[name].arity
                    xs = [values[np.fromiter((inputs[o][a] for o in gates.tolist()), np.int64,
                                             len(gates))] for a in range(arity)]
                    loc = np.broadcast_to(np.asarray(partial(values[gates], *xs), dtype=float),
                                          len(gates))
                else:
                    vals = ev.values
                    loc = np.array([float(partial(vals[o], *(vals[i] for i in inputs[o])))
                                    for o in gates.tolist()])
                local[idx] = loc
                product[idx] = grads[gates] * loc
    return local, no_local, product


def _factors(ev: Evaluation, e_dst: list[int], e_pos: list[int]) -> Any:
    """The edges' `factors` column (trace._factors), or None when no edge has them."""
    rules = {name: op.factors for name, op in REGISTRY.items() if op.factors}
    ops = ev.graph.ops
    if not rules.keys() & set(ops):
        return None
    inputs = ev.graph.inputs
    at, found = [], []
    vals = ev.values
    for k, (o, j) in enumerate(zip(e_dst, e_pos, strict=True)):
        rule_set = rules.get(ops[o])
        rule = rule_set[j] if rule_set else None
        if rule is None:
            continue
        with np.errstate(all="ignore"):
            parts = rule(np.asarray(vals[o], dtype=float),
                         *(np.asarray(vals[i], dtype=float) for i in inputs[o]))
        at.append(k)
        found.append(_numbers(np.array([float(x) for x in parts])))
    if not at:
        return None
    if len(at) == len(e_dst):
        return found
    return {"at": at, "values": found}
