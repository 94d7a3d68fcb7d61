"""The compact form of POST /api/graph's answer (`"format": "columns"`): arrays per field.

The default answer writes an object per node, per step, per edge and per wire, so every
item repeats its field names, its node ids and what its op already says (a gate's
formulas); a big circuit costs about 1 KB a gate. The columns form holds the same content
as arrays, one per field, and leaves out what the rest of the answer already says:

- a node is its index: node i's id is "n<i>", and `output`, `inputs`, the steps' `node`
  and the edges' `input` are indices;
- a gate's `formulas` and `composite` are its op's, written once under `ops`;
- a column is a list with an entry per item, or a sparse column
  `{"at": [item indices], "values": [...]}` (only those items have the field; with
  `"else": x` the others have it too, equal to x);
- a field the other fields determine is left out where it is what they say: a backward
  step's `grad` (its node's gradient), an edge's `upstream` (its step's gradient),
  `formula` (its op's formula for its position) and `sum` (its product where it does not
  accumulate); a wire's ends (its nodes' positions) and its `from`/`to` (the graph's
  wires in order, node by node, input by input).

`to_columns(body)` writes it from the default body and `from_columns(columns)` gives that
body back, equal to it (tests/test_columns.py); the README's JSON API section is the
reference for clients.
"""

from __future__ import annotations

from typing import Any

NODE_FIELDS = ("op", "name", "label", "inputs", "value", "grad", "shape", "span",
               "requires_grad", "warnings")
GATE_FIELDS = ("formulas", "params", "composite")
SPAN_FIELDS = ("line", "column", "end_line", "end_column")
STEP_FIELDS = ("phase", "node", "grad", "seed", "edges")
EDGE_FIELDS = ("input", "position", "upstream", "local", "product", "sum", "accumulate",
               "formula")


def _sparse(items: list[dict[str, Any]], key: str, default: Any = None,
            has_default: bool = False) -> dict[str, Any]:
    """The items that have `key` (and, with a default, whose value differs from it)."""
    at, values = [], []
    for k, item in enumerate(items):
        if key in item and not (has_default and item[key] == default):
            at.append(k)
            values.append(item[key])
    column: dict[str, Any] = {"at": at, "values": values}
    if has_default:
        column["else"] = default
    return column


def _column(items: list[dict[str, Any]], key: str) -> Any:
    """A list when every item has `key`, else a sparse column."""
    if all(key in item for item in items):
        return [item[key] for item in items]
    return _sparse(items, key)


def _extras(items: list[dict[str, Any]], known: tuple[str, ...], into: dict[str, Any]) -> None:
    """Fields outside `known` (added to the default answer later) as columns of their own."""
    seen: dict[str, None] = {}
    for item in items:
        for key in item:
            if key not in known:
                seen[key] = None
    for key in seen:
        into[key] = _column(items, key)


def _index(key: str) -> int:
    return int(key[1:])


def to_columns(body: dict[str, Any]) -> dict[str, Any]:
    """The columns form of a default POST /api/graph body (read, never changed)."""
    nodes: list[dict[str, Any]] = body["nodes"]
    if any(node["id"] != f"n{k}" for k, node in enumerate(nodes)):
        raise ValueError("node ids are not n0, n1, … in order")
    out: dict[str, Any] = {"format": "columns", "output": _index(body["output"])}

    cols: dict[str, Any] = {"count": len(nodes)}
    for key in NODE_FIELDS:
        if key == "inputs":
            cols[key] = [[_index(i) for i in node["inputs"]] for node in nodes]
        elif key == "span":
            cols[key] = [None if node["span"] is None
                         else [node["span"][f] for f in SPAN_FIELDS] for node in nodes]
        elif key == "requires_grad":
            cols[key] = [1 if node[key] else 0 for node in nodes]
        elif key == "warnings":
            cols[key] = _sparse(nodes, key, [], True)
        else:
            cols[key] = [node[key] for node in nodes]
    cols["params"] = _sparse(nodes, "params")
    ops: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if "formulas" in node and node["op"] not in ops:
            ops[node["op"]] = {"formulas": node["formulas"], "composite": node["composite"]}
    if any(("formulas" in node) != (node["op"] in ops)
           or ("formulas" in node and (node["formulas"] != ops[node["op"]]["formulas"]
                                       or node["composite"] != ops[node["op"]]["composite"]))
           for node in nodes):
        raise ValueError("a gate's formulas differ from its op's")
    if any("origin" in node for node in nodes):
        cols["origin"] = [_index(node["origin"]) for node in nodes]
    _extras(nodes, ("id", *NODE_FIELDS, *GATE_FIELDS, "origin"), cols)
    out["nodes"] = cols
    out["ops"] = ops
    out["steps"] = _steps(body["steps"], nodes, ops)
    out["inputs"] = body["inputs"]
    out["warnings"] = body["warnings"]
    if "layout" in body:  # a folded answer (app/groups.py) has none
        out["layout"] = _layout(body["layout"], nodes)
    for key, value in body.items():
        if key not in out:
            out[key] = value
    return out


def _steps(steps: list[dict[str, Any]], nodes: list[dict[str, Any]],
           ops: dict[str, dict[str, Any]]) -> dict[str, Any]:
    forward = [s for s in steps if s["phase"] == "forward"]
    backward = [s for s in steps if s["phase"] == "backward"]
    if steps != forward + backward:
        raise ValueError("the forward steps do not all come first")
    fwd: dict[str, Any] = {"node": [_index(s["node"]) for s in forward]}
    _extras(forward, ("phase", "node"), fwd)
    gates = [_index(s["node"]) for s in backward]
    bwd: dict[str, Any] = {"node": gates}
    if any(s["grad"] != nodes[g]["grad"] for s, g in zip(backward, gates, strict=True)):
        bwd["grad"] = [s["grad"] for s in backward]
    bwd["seed"] = _sparse(backward, "seed")
    bwd["edges"] = [len(s["edges"]) for s in backward]
    _extras(backward, STEP_FIELDS, bwd)

    edges = [e for s in backward for e in s["edges"]]
    owner = [k for k, s in enumerate(backward) for _ in s["edges"]]
    ecols: dict[str, Any] = {"input": [_index(e["input"]) for e in edges],
                             "position": [e["position"] for e in edges]}
    if any(e["upstream"] != backward[k]["grad"] for e, k in zip(edges, owner, strict=True)):
        ecols["upstream"] = [e["upstream"] for e in edges]
    ecols["local"] = [e["local"] for e in edges]
    ecols["product"] = [e["product"] for e in edges]
    if all(e["sum"] == e["product"] for e in edges if not e["accumulate"]):
        ecols["sum"] = {"at": [k for k, e in enumerate(edges) if e["accumulate"]],
                        "values": [e["sum"] for e in edges if e["accumulate"]]}
    else:
        ecols["sum"] = [e["sum"] for e in edges]
    ecols["accumulate"] = [1 if e["accumulate"] else 0 for e in edges]
    op_of = [nodes[gates[k]]["op"] for k in owner]
    if any(e["formula"] != ops[op]["formulas"][e["position"]]
           for e, op in zip(edges, op_of, strict=True)):
        ecols["formula"] = [e["formula"] for e in edges]
    _extras(edges, EDGE_FIELDS, ecols)
    return {"forward": fwd, "backward": bwd, "edges": ecols}


def _layout(layout: dict[str, Any], nodes: list[dict[str, Any]]) -> dict[str, Any]:
    placed = layout["nodes"]
    if list(placed) != [f"n{k}" for k in range(len(placed))]:
        raise ValueError("the layout's nodes are not n0, n1, … in order")
    points = list(placed.values())
    where: dict[str, Any] = {"x": [p["x"] for p in points], "y": [p["y"] for p in points],
                             "layer": [p["layer"] for p in points],
                             "view": _sparse(points, "view")}
    _extras(points, ("x", "y", "layer", "view"), where)
    wires = layout["edges"]
    ends = [(_index(w["from"]), _index(w["to"])) for w in wires]
    routes: dict[str, Any] = {}
    if ends != [(i, o) for o, node in enumerate(nodes) for i in _inputs(node)]:
        routes["from"] = [a for a, _ in ends]
        routes["to"] = [b for _, b in ends]

    def at(k: int) -> list[float]:
        return [points[k]["x"], points[k]["y"]]

    if all(len(w["points"]) >= 2 and w["points"][0] == at(a) and w["points"][-1] == at(b)
           for w, (a, b) in zip(wires, ends, strict=True)):
        routes["bends"] = [[c for p in w["points"][1:-1] for c in p] for w in wires]
    else:
        routes["points"] = [[c for p in w["points"] for c in p] for w in wires]
    _extras(wires, ("from", "to", "points"), routes)
    out = {"nodes": where, "edges": routes}
    for key, value in layout.items():
        if key not in out:
            out[key] = value
    return out


def _inputs(node: dict[str, Any]) -> list[int]:
    return [_index(i) for i in node["inputs"]]


# ------------------------------------------------------------------------------ decoding


def _get(column: Any, k: int) -> tuple[bool, Any]:
    """(whether item k has the field, its value)."""
    if isinstance(column, list):
        return True, column[k]
    try:
        pos = column["_pos"][k]
    except KeyError:
        return ("else" in column), column.get("else")
    return True, column["values"][pos]


def _prepare(column: Any) -> Any:
    if isinstance(column, dict) and "at" in column:
        return {**column, "_pos": {k: p for p, k in enumerate(column["at"])}}
    return column


def _put(item: dict[str, Any], key: str, column: Any, k: int) -> None:
    has, value = _get(column, k)
    if has:
        item[key] = value


def from_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """The default body that `columns` is the compact form of."""
    cols = {k: _prepare(v) for k, v in columns["nodes"].items()}
    ops = columns["ops"]
    count = cols["count"]
    nodes = []
    for k in range(count):
        node: dict[str, Any] = {"id": f"n{k}"}
        for key in NODE_FIELDS:
            if key == "inputs":
                node[key] = [f"n{i}" for i in cols[key][k]]
            elif key == "span":
                span = cols[key][k]
                node[key] = None if span is None else dict(zip(SPAN_FIELDS, span, strict=True))
            elif key == "requires_grad":
                node[key] = bool(cols[key][k])
            else:
                _put(node, key, cols[key], k)
        if node["op"] in ops:
            node["formulas"] = ops[node["op"]]["formulas"]
        _put(node, "params", cols["params"], k)
        if node["op"] in ops:
            node["composite"] = ops[node["op"]]["composite"]
        if "origin" in cols:
            node["origin"] = f"n{cols['origin'][k]}"
        for key, column in cols.items():
            if key not in ("count", "origin", "params", *NODE_FIELDS):
                _put(node, key, column, k)
        nodes.append(node)

    body: dict[str, Any] = {"output": f"n{columns['output']}", "nodes": nodes,
                            "steps": _steps_back(columns["steps"], nodes, ops),
                            "inputs": columns["inputs"], "warnings": columns["warnings"]}
    if "layout" in columns:  # a folded answer (app/groups.py) has none
        body["layout"] = _layout_back(columns["layout"], nodes)
    for key, value in columns.items():
        if key not in body and key not in ("format", "ops"):
            body[key] = value
    return body


def _steps_back(steps: dict[str, Any], nodes: list[dict[str, Any]],
                ops: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    fwd = {k: _prepare(v) for k, v in steps["forward"].items()}
    out: list[dict[str, Any]] = []
    for k, node in enumerate(fwd["node"]):
        step: dict[str, Any] = {"phase": "forward", "node": f"n{node}"}
        for key, column in fwd.items():
            if key != "node":
                _put(step, key, column, k)
        out.append(step)
    bwd = {k: _prepare(v) for k, v in steps["backward"].items()}
    ecols = {k: _prepare(v) for k, v in steps["edges"].items()}
    e = 0
    for k, gate in enumerate(bwd["node"]):
        grad = bwd["grad"][k] if "grad" in bwd else nodes[gate]["grad"]
        step = {"phase": "backward", "node": f"n{gate}", "grad": grad}
        _put(step, "seed", bwd["seed"], k)
        edges = []
        for _ in range(bwd["edges"][k]):
            position = ecols["position"][e]
            product = ecols["product"][e]
            accumulate = bool(ecols["accumulate"][e])
            has_sum, total = _get(ecols["sum"], e)
            edge: dict[str, Any] = {
                "input": f"n{ecols['input'][e]}", "position": position,
                "upstream": ecols["upstream"][e] if "upstream" in ecols else grad,
                "local": ecols["local"][e], "product": product,
                "sum": total if has_sum else product, "accumulate": accumulate,
                "formula": (ecols["formula"][e] if "formula" in ecols
                            else ops[nodes[gate]["op"]]["formulas"][position])}
            for key, column in ecols.items():
                if key not in EDGE_FIELDS:
                    _put(edge, key, column, e)
            edges.append(edge)
            e += 1
        step["edges"] = edges
        for key, column in bwd.items():
            if key not in STEP_FIELDS:
                _put(step, key, column, k)
        out.append(step)
    return out


def _layout_back(layout: dict[str, Any], nodes: list[dict[str, Any]]) -> dict[str, Any]:
    where = {k: _prepare(v) for k, v in layout["nodes"].items()}
    xs, ys = where["x"], where["y"]
    placed: dict[str, Any] = {}
    for k in range(len(xs)):
        point: dict[str, Any] = {"x": xs[k], "y": ys[k], "layer": where["layer"][k]}
        for key, column in where.items():
            if key not in ("x", "y", "layer"):
                _put(point, key, column, k)
        placed[f"n{k}"] = point
    routes = {k: _prepare(v) for k, v in layout["edges"].items()}
    if "from" in routes:
        ends = list(zip(routes["from"], routes["to"], strict=True))
    else:
        ends = [(_index(i), o) for o, node in enumerate(nodes) for i in node["inputs"]]
    wires = []
    for w, (a, b) in enumerate(ends):
        if "points" in routes:
            flat = routes["points"][w]
        else:
            flat = [xs[a], ys[a], *routes["bends"][w], xs[b], ys[b]]
        wire: dict[str, Any] = {"from": f"n{a}", "to": f"n{b}",
                                "points": [flat[i:i + 2] for i in range(0, len(flat), 2)]}
        for key, column in routes.items():
            if key not in ("from", "to", "points", "bends"):
                _put(wire, key, column, w)
        wires.append(wire)
    body: dict[str, Any] = {"nodes": placed, "edges": wires}
    for key, value in layout.items():
        if key not in body:
            body[key] = value
    return body
