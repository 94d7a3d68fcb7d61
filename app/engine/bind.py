"""Bind input values: defaults from the program, overridden by the request's `values`.

Request values arrive as decoded JSON; anything but a number, a list of
numbers (rectangular, any depth) or one of the strings "NaN", "Infinity",
"-Infinity" is a `value` error naming the input.

A key of `values` is a name, normalised as the language normalises names
(NFKC): `{"ｘ": 1}` binds the input `x`, which the response calls `x`. Two
keys that normalise to one name are an error, since either value could win.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np

from app.errors import LabError, Span
from app.graph import Graph
from app.lang.names import normalize
from app.limits import DEFAULT_LIMITS, Limits

NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def to_array(raw: Any, what: str, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """A JSON value as a float array; raises LabError(`value`/`too_large`) otherwise."""
    count = 0
    stack = [(raw, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            if depth >= 32:
                raise LabError("value", f"{what} is nested more than 32 lists deep",
                               key="value_too_deep", info={"what": what})
            if not item:
                raise LabError("value", f"{what} contains an empty list", key="value_empty",
                               info={"what": what})
            stack.extend((x, depth + 1) for x in item)
            continue
        count += 1
        if count > limits.max_tensor_elements:
            raise LabError("too_large", f"{what} has more than {limits.max_tensor_elements:,} "
                           "numbers", key="tensor_too_large",
                           info={"what": what, "limit": limits.max_tensor_elements})
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            raise LabError("value", f"{what} must be a number or a list of numbers, not "
                           f"{type(item).__name__}", key="value_type",
                           info={"what": what, "type": type(item).__name__})
        if isinstance(item, str) and item not in NON_FINITE:
            raise LabError("value", f"{what} contains the string {item!r}; numbers are "
                           'written as numbers (or "NaN", "Infinity", "-Infinity")',
                           key="value_string", info={"what": what})
    try:
        converted = _replace_strings(raw)
        return np.array(converted, dtype=float)
    except (ValueError, OverflowError):
        raise LabError("shape", f"{what} is a ragged list: its rows differ in length",
                       key="ragged", info={"what": what}) from None


def _replace_strings(raw: Any) -> Any:
    if isinstance(raw, str):
        return NON_FINITE[raw]
    if isinstance(raw, list):
        if any(isinstance(x, str | list) for x in raw):
            return [_replace_strings(x) for x in raw]
        return raw
    return raw


def normalize_keys(values: dict[str, Any]) -> dict[str, Any]:
    """`values` keyed by the names as the program knows them (NFKC, as names are).

    Raises LabError(`value`) when two keys are spellings of one name (`x` and `ｘ`).
    """
    out: dict[str, Any] = {}
    spelt: dict[str, str] = {}
    for key, value in values.items():
        name = normalize(key)
        if name in out:
            raise LabError("value", f"values gives '{name}' twice, as '{spelt[name]}' and as "
                           f"'{key}': these are one name; give it once",
                           key="value_twice", info={"name": name, "first": spelt[name],
                                                    "second": key})
        out[name], spelt[name] = value, key
    return out


def _place(span: Span | None) -> tuple[int, int]:
    """Where a span starts, for ordering (a graph built by code has none: first)."""
    return (span.line, span.column) if span is not None else (0, 0)


def bind(graph: Graph, values: dict[str, Any] | None,
         limits: Limits = DEFAULT_LIMITS) -> tuple[dict[int, np.ndarray], list[str]]:
    """Each input node's value, and warnings about `values` entries that are not inputs."""
    values = normalize_keys(values or {})
    leaves = [i for i, op in enumerate(graph.ops) if op == "input"]
    defaults: list[Any] = graph.defaults
    if not values and all(defaults[i] is not None for i in leaves):
        return {i: defaults[i] for i in leaves}, []
    bound: dict[int, np.ndarray] = {}
    missing: list[int] = []
    inputs = graph.input_ids
    for name, node_id in inputs.items():
        node = graph.nodes[node_id]
        if name in values:
            try:
                bound[node_id] = to_array(values[name], f"the value of '{name}'", limits)
            except LabError as err:
                err.span = node.at
                err.info.setdefault("name", name)
                raise err.with_source(graph.source) from None
        elif node.default is not None:
            bound[node_id] = node.default
        else:
            missing.append(node_id)
    if missing:
        names = [graph.nodes[i].name or "" for i in missing]  # inputs always have a name
        first = min(missing, key=lambda i: _place(graph.nodes[i].at))
        listed = ", ".join(f"'{n}'" for n in names)
        # a missing name one typo away from a name the program has is probably that name
        known = [n.name for n in graph.nodes if n.name and n.name not in names]
        suggestions: dict[str, str] = {}
        for name in names:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            if close:
                suggestions[name] = close[0]
        if len(names) == 1 and suggestions:
            hint = f" — did you mean '{suggestions[names[0]]}'?"
        else:
            hint = "".join(f" — did you mean '{close}' for '{name}'?"
                           for name, close in suggestions.items())
        raise LabError(
            "missing_value",
            f"no value for {listed}: give {'it' if len(names) == 1 else 'them'} in values, "
            f"or assign a number in the program (e.g. {names[0]} = 1){hint}",
            graph.nodes[first].at, key="missing_value",
            info={"names": names, "suggestions": suggestions}, source=graph.source)
    warnings = []
    for name in values:
        if name not in inputs:
            warnings.append(f"'{name}' in values is not an input of this program; it was ignored")
    return bound, warnings
