"""numpy values to strictly valid JSON: NaN and ±∞ become the strings of DESIGN.md."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def number(x: float) -> float | str:
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def tensor(x: Any) -> Any:
    """A scalar as a JSON number, a tensor as nested lists, non-finite numbers as strings."""
    if x is None:
        return None
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        return number(float(arr))
    if np.isfinite(arr).all():
        return arr.tolist()
    return _replace(arr.tolist())


def deep(x: Any) -> Any:
    """Dicts and lists holding numpy values, as JSON: numbers through `tensor`."""
    if isinstance(x, dict):
        return {k: deep(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [deep(v) for v in x]
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.ndarray | np.floating | float):
        return tensor(x)
    return x


def _replace(items: list) -> list:
    return [_replace(v) if isinstance(v, list) else number(v) for v in items]


def dumps(body: Any) -> str:
    """Serialise, refusing NaN so that nothing invalid can slip out."""
    # ASCII-only output: a lone surrogate a client sent (JSON "\ud800") is echoed as an
    # escape, where UTF-8 encoding would fail.
    return json.dumps(body, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
