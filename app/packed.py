"""The columns answer with its arrays packed (`"arrays": "base64"`): numbers as base64 of
little-endian typed arrays, repeated strings as codes into a list of the distinct ones.

The columns answer (app/columns.py) of a 100,000-gate chain is 27 MB of JSON: 800,000
small lists (spans, inputs, shapes, bends) and a few million numbers of up to 18 digits,
which a client spends longer taking apart than the server spent writing. Packed, each
column of numbers is one string: a client decodes it with `atob` and a typed array (JS) or
`base64.b64decode` and `numpy.frombuffer` (Python), in milliseconds.

Every number stays exact — the same bits the JSON number gives:

- whole numbers (indices, counts, lines, 1/0 flags) as the narrowest of uint8, int8,
  uint16, int16, uint32 and int32 that holds them all;
- floats as float64 (NaN and ±∞ as IEEE bits, where the JSON has "NaN", "Infinity",
  "-Infinity"; a NaN always as 0x7ff8000000000000, the JSON's has no sign or payload),
  or, with `"scale": s`, as whole numbers k that give each float as k / s: one IEEE
  division, which the server has checked gives every float's bits (layout coordinates,
  rounded to a tenth of a pixel, are k / 10; 0.999 is 999 / 1000);
- a column of lists of numbers as the numbers one after another, with `"width": k`
  (every list k long: a span) or `"lengths"` (each list's length, itself packed);
- `"null"`: the (packed) indices of the items that are null; they hold 0 in the numbers
  (or no number, in a column of lists).

A column of strings (and nulls) with few distinct values — `op`, `label` — comes as
`{"categories": [...], "codes": packed}`: item i is `categories[codes[i]]`.

Which columns are packed is the server's choice, column by column: a client reads each
as it comes (a list, a sparse `{"at", "values"}` whose parts may be packed, a packed
array or categories). `unpack` gives the plain columns answer back, equal to it
(tests/test_packed.py holds the two together on the presets and on random programs);
the README's JSON API section is the reference for clients.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

# (name, numpy dtype): the integer dtypes in the order they are tried, narrowest first
INTS = (("uint8", "<u1"), ("int8", "<i1"), ("uint16", "<u2"), ("int16", "<i2"),
        ("uint32", "<u4"), ("int32", "<i4"))
DTYPES = {**dict(INTS), "float64": "<f8"}
# the scales tried for a column of floats, smallest first: k / s must give every float
SCALES = (1, 10, 100, 1000, 10_000, 100_000, 1_000_000)
NONFINITE = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
# the sections of a columns answer whose entries are columns
SECTIONS = (("nodes",), ("steps", "forward"), ("steps", "backward"), ("steps", "edges"),
            ("layout", "nodes"), ("layout", "edges"))


# ------------------------------------------------------------------------------ packing


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=DTYPES[dtype]).tobytes()
                            ).decode("ascii")


def _int_dtype(low: int, high: int) -> str | None:
    for name, code in INTS:
        info = np.iinfo(code)
        if info.min <= low and high <= info.max:
            return name
    return None


def _plain(n: int, null: np.ndarray | None) -> list[Any] | None:
    """What a column with nothing to pack is written as: [] when it is empty, n nulls when
    every item is null (as `pack_column` leaves them); None for any other column."""
    if n == 0:
        return []
    if null is not None and null.all():
        return [None] * n
    return None


def ints(a: np.ndarray | Sequence[int], null: np.ndarray | None = None) -> Any:
    """A column of whole numbers packed (see the module doc); `null`, a mask of the items
    that are null. Raises ValueError for a number outside int32 and uint32."""
    arr = np.asarray(a, dtype=np.int64).reshape(-1)
    plain = _plain(len(arr), null)
    if plain is not None:
        return plain
    if null is not None and null.any():
        arr = np.where(null, 0, arr)
    low, high = (int(arr.min()), int(arr.max())) if len(arr) else (0, 0)
    dtype = _int_dtype(low, high)
    if dtype is None:
        raise ValueError("a whole number outside int32 and uint32")
    out: dict[str, Any] = {"dtype": dtype, "data": _b64(arr, dtype)}
    _nulls(out, null)
    return out


def _nulls(out: dict[str, Any], null: np.ndarray | None) -> None:
    if null is not None and null.any():
        out["null"] = ints(np.flatnonzero(null))


def _scale(a: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(s, k) with k / s equal to `a` bit for bit and k in int32 or uint32, the smallest
    such s of SCALES; None if there is none (a NaN, an ∞, −0.0 or a float of many
    digits)."""
    if not len(a):
        return 1, np.zeros(0, dtype=np.int64)
    probe = a[:: max(1, len(a) // 64)]  # a quick look first: most float columns fail here
    with np.errstate(all="ignore"):
        for s in SCALES:
            if _over(probe, s) is None:
                continue
            whole = _over(a, s)
            if whole is not None:
                return s, whole
    return None


def _over(a: np.ndarray, s: int) -> np.ndarray | None:
    """The whole numbers k with k / s equal to `a` bit for bit, or None."""
    k = np.rint(a * s)
    if not (np.abs(k) < 2.0**32).all():  # (false for a NaN or an ∞)
        return None
    whole = k.astype(np.int64)
    if not np.array_equal((whole / s).view(np.int64), a.view(np.int64)):
        return None  # (−0.0 fails here: 0 / s is +0.0)
    return whole


def floats(a: np.ndarray | Sequence[float], null: np.ndarray | None = None) -> Any:
    """A column of floats packed: as whole numbers over a scale where that is exact, else
    float64; `null`, a mask of the items that are null."""
    arr = np.asarray(a, dtype=np.float64).reshape(-1)
    plain = _plain(len(arr), null)
    if plain is not None:
        return plain
    if null is not None and null.any():
        arr = np.where(null, 0.0, arr)
    scaled = _scale(arr)
    if scaled is not None:
        s, k = scaled
        dtype = _int_dtype(int(k.min()), int(k.max())) if len(k) else "uint8"
        if dtype is not None:
            out: dict[str, Any] = {"dtype": dtype, "scale": s, "data": _b64(k, dtype)}
            _nulls(out, null)
            return out
    nan = np.isnan(arr)
    if nan.any():  # one NaN, as the JSON's "NaN" has no sign or payload
        arr = np.where(nan, np.nan, arr)
    out = {"dtype": "float64", "data": _b64(arr, "float64")}
    _nulls(out, null)
    return out


def rows(a: np.ndarray, kind: str = "int", null: np.ndarray | None = None) -> Any:
    """A column of equally long lists of numbers (a 2-D array, a row an item, at least one
    number a row) packed."""
    arr = np.asarray(a)
    plain = _plain(len(arr), null)
    if plain is not None:
        return plain
    width = arr.shape[1]
    if null is not None and null.any():
        arr = np.where(null[:, None], 0, arr)
    out = _numbers_packed(arr.reshape(-1), kind)
    out["width"] = width
    _nulls(out, null)
    return out


def ragged(lengths: np.ndarray | Sequence[int], flat: np.ndarray | Sequence[float],
           kind: str = "int", null: np.ndarray | None = None) -> Any:
    """A column of lists of numbers packed: `flat`, their numbers one after another, and
    each list's length (a null item's is 0); lists that are all empty as whole numbers."""
    lengths = np.asarray(lengths, dtype=np.int64)
    plain = _plain(len(lengths), null)
    if plain is not None:
        return plain
    if not len(flat):
        kind = "int"
    out = _numbers_packed(flat, kind)
    out["lengths"] = ints(lengths)
    _nulls(out, null)
    return out


def _numbers_packed(flat: Any, kind: str) -> dict[str, Any]:
    """The numbers of a column of lists, packed (never [], as `ints` gives an empty one)."""
    arr = np.asarray(flat, dtype=np.int64 if kind == "int" else np.float64)
    if not len(arr):
        return {"dtype": "uint8", "data": ""}
    out: dict[str, Any] = (ints if kind == "int" else floats)(arr)
    return out


def categories(items: Sequence[Any]) -> dict[str, Any]:
    """A column of strings (or nulls) as its distinct values, in order of first use, and
    each item's index into them."""
    index = {s: k for k, s in enumerate(dict.fromkeys(items))}
    codes = np.fromiter(map(index.__getitem__, items), np.int64, len(items))
    return {"categories": list(index), "codes": ints(codes)}


def _kind(items: Sequence[Any], nulls: bool = True) -> str | None:
    """"int" or "float" where every item is a number of that kind (a float also NaN or ±∞
    as its string) or, with `nulls`, null; None otherwise."""
    types = set(map(type, items))
    if nulls:
        types.discard(type(None))
    if types == {int}:
        return "int"
    if types and types <= {float, str} and (
            str not in types or all(x in NONFINITE for x in items if type(x) is str)):
        return "float"
    return None


def _as_floats(items: Sequence[Any]) -> np.ndarray:
    return np.array([NONFINITE[x] if type(x) is str else (0.0 if x is None else x)
                     for x in items], dtype=np.float64)


def pack_column(column: Any) -> Any:
    """One column of a columns answer packed where that is exact and worth it; anything
    else (nested lists, objects, mixed kinds, few items) as it is."""
    if isinstance(column, dict):
        if "at" in column and "values" in column and "data" not in column:  # sparse
            return {**column, "at": pack_column(column["at"]),
                    "values": pack_column(column["values"])}
        return column
    if not isinstance(column, list) or not column:
        return column
    types = set(map(type, column))
    if types <= {str, type(None)} and not (types & {str} and _kind(column) is not None):
        if str in types and len(dict.fromkeys(column)) * 2 <= len(column):
            return categories(column)  # strings, not all "NaN" and ±"Infinity"
        return column
    null = np.fromiter((x is None for x in column), bool, len(column))
    kind = _kind(column)
    if kind is not None:
        try:
            if kind == "int":
                return ints([0 if x is None else x for x in column], null)
            return floats(_as_floats(column), null)
        except (ValueError, OverflowError):
            return column
    if types <= {list, type(None)}:
        inner = [x for item in column if item is not None for x in item]
        kind = _kind(inner, nulls=False) if inner else "int"
        if kind is None:
            return column
        lengths = np.fromiter((0 if item is None else len(item) for item in column),
                              np.int64, len(column))
        try:
            if not null.any() and len(set(lengths.tolist())) == 1 and lengths[0] > 0:
                flat = inner if kind == "int" else _as_floats(inner)
                width = int(lengths[0])
                return rows(np.asarray(flat).reshape(len(column), width), kind)
            return ragged(lengths, inner if kind == "int" else _as_floats(inner), kind, null)
        except (ValueError, OverflowError):
            return column
    return column


def pack(body: dict[str, Any]) -> dict[str, Any]:
    """A columns answer with its columns packed (those already packed kept as they are)."""
    out = dict(body)
    for path in SECTIONS:
        parent = out
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                break
            parent[key] = parent = dict(parent[key])
        else:
            section = parent.get(path[-1])
            if isinstance(section, dict):
                parent[path[-1]] = {k: v if k == "count" else pack_column(v)
                                    for k, v in section.items()}
    return out


# ------------------------------------------------------------------------------ unpacking


def is_packed(column: Any) -> bool:
    """Whether a column is a packed array (rather than a list, categories or sparse)."""
    return isinstance(column, dict) and "dtype" in column and "data" in column


def numbers(column: dict[str, Any]) -> np.ndarray:
    """A packed array's numbers, flat, as numpy: float64 where it holds floats, int64
    where whole numbers (a null item's are 0 here)."""
    raw = np.frombuffer(base64.b64decode(column["data"]), dtype=DTYPES[column["dtype"]])
    if "scale" in column:
        return raw.astype(np.float64) / column["scale"]
    return raw.astype(np.float64 if column["dtype"] == "float64" else np.int64)


def _json_numbers(a: np.ndarray) -> list[Any]:
    out = a.tolist()
    if a.dtype == np.float64:
        for k in np.flatnonzero(~np.isfinite(a)).tolist():
            x = out[k]
            out[k] = "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    return out


def unpack_column(column: Any) -> Any:
    """The plain form of one column (a list, or a sparse column with plain parts)."""
    if isinstance(column, dict) and "categories" in column and "codes" in column:
        cats = column["categories"]
        return [cats[k] for k in unpack_column(column["codes"])]
    if isinstance(column, dict) and "at" in column and "values" in column:
        return {**column, "at": unpack_column(column["at"]),
                "values": unpack_column(column["values"])}
    if not is_packed(column):
        return column
    flat = _json_numbers(numbers(column))
    null = unpack_column(column["null"]) if "null" in column else []
    if "lengths" in column:
        ends = np.cumsum(unpack_column(column["lengths"])).tolist()
        items: list[Any] = [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    elif "width" in column:
        w = column["width"]
        count = len(flat) // w if w else 0
        items = [flat[k * w:(k + 1) * w] for k in range(count)]
    else:
        items = flat
    for k in null:
        items[k] = None
    return items


def unpack(body: dict[str, Any]) -> dict[str, Any]:
    """The plain columns answer that `body` is the packed form of."""
    out = dict(body)
    for path in SECTIONS:
        parent = out
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                break
            parent[key] = parent = dict(parent[key])
        else:
            section = parent.get(path[-1])
            if isinstance(section, dict):
                parent[path[-1]] = {k: unpack_column(v) for k, v in section.items()}
    return out
