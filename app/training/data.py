"""What a run learns from: a generated data set, points given as lists or as CSV, or nothing.

A data set is bound to two of the program's inputs, named by the request: `x` (default
`X`) receives the points, one row each, and `y` (default `y`, where the program has
it) their labels. Labels that are all whole numbers are classes (0, 1, …: a classifier's,
for cross_entropy); any other numbers are targets, one number or one row of numbers
per point (a regression's, for mse). A program without the `x` input and a request
that names no data set train with no data set at all: the program's own inputs are
its data.

CSV: one point a line, its coordinates then its label (`x0, x1, label`), separated by
commas (or semicolons, tabs or spaces); a first line that is not numbers is a header;
empty lines and lines starting with # are skipped. Every mistake is a LabError whose
line and column point into the CSV text, with the text as its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import LabError, Span
from app.training import datasets
from app.training import limits as bounds


@dataclass(frozen=True)
class DataSpec:
    """Which points: a generated data set (`name`, `n`, `noise`, `seed`), or `points` with
    `labels` (classes) or `targets`, or `csv`; and the inputs they go to, `x` and `y`
    (None: X, and y where the program has it). `auto`: this spec is the default, used
    only for a program that has the `x` input."""

    name: str = "moons"
    n: int = 200
    noise: float | None = None
    seed: int = 0
    points: list[Any] | None = None
    labels: list[Any] | None = None
    targets: list[Any] | None = None
    csv: str | None = None
    x: str | None = None
    y: str | None = None
    auto: bool = False

    @property
    def generated(self) -> bool:
        return self.points is None and self.csv is None

    @property
    def x_name(self) -> str:
        return self.x or "X"


AUTO = DataSpec(auto=True)


@dataclass
class Data:
    """The points and their labels (intp, with `classes`) or targets (float, no classes)."""

    X: np.ndarray
    y: np.ndarray | None
    classes: int | None

    @property
    def n(self) -> int:
        return len(self.X)

    def to_json(self) -> dict[str, Any]:
        y = None if self.y is None else self.y.tolist()
        return {"X": self.X, "y": y, "classes": self.classes}


def fail(type_: str, where: str, summary: str, key: str = "train_bound",
         **info: Any) -> LabError:
    return LabError(type_, summary, key=key, info={"where": where, **info})


def load(spec: DataSpec) -> Data:
    """The points the spec describes; a LabError (400) for points, labels or CSV that do not
    fit the bounds of app/training/limits.py."""
    if spec.generated:
        X, y = datasets.make(spec.name, spec.n, spec.noise, spec.seed)
        return Data(X, y, datasets.DATASETS[spec.name].classes)
    if spec.csv is not None:
        points, labels = parse_csv(spec.csv)
        if all(isinstance(v, int) for v in labels):
            return given(points, labels, None, "dataset.csv")
        return given(points, None, labels, "dataset.csv")
    return given(spec.points, spec.labels, spec.targets, "dataset.points")


def given(points: Any, labels: Any, targets: Any, where: str) -> Data:
    """Points given as rows of numbers, with class labels or targets (or neither)."""
    try:
        X = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise fail("value", where, "the points are rows of numbers, every row as long as "
                   "the first", key="data_points") from None
    if X.ndim != 2 or X.shape[1] < 1:
        raise fail("value", where, "the points are rows of numbers, every row as long as the "
                   "first", key="data_points")
    n, d = X.shape
    if not bounds.MIN_POINTS <= n <= bounds.MAX_POINTS:
        raise fail("too_large", where, f"a data set has {bounds.MIN_POINTS} to "
                   f"{bounds.MAX_POINTS:,} points, not {n:,}", key="data_count", n=n,
                   low=bounds.MIN_POINTS, high=bounds.MAX_POINTS)
    if d > bounds.MAX_FEATURES:
        raise fail("too_large", where, f"a point has at most {bounds.MAX_FEATURES} numbers, "
                   f"not {d}", key="data_features", d=d, limit=bounds.MAX_FEATURES)
    if not np.isfinite(X).all():
        raise fail("value", where, "the points must be finite numbers", key="data_finite")
    if labels is not None and targets is not None:
        raise fail("value", "dataset.labels", "give labels (classes) or targets, not both",
                   key="data_labels_and_targets")
    if labels is not None:
        y, classes = class_labels(labels, n, "dataset.labels")
        return Data(X, y, classes)
    if targets is not None:
        return Data(X, target_values(targets, n, "dataset.targets"), None)
    return Data(X, None, None)


def class_labels(labels: Any, n: int, where: str) -> tuple[np.ndarray, int]:
    """One whole number 0 … MAX_CLASSES − 1 per point; the labels and the number of classes."""
    values = list(labels) if isinstance(labels, list | tuple) else None
    if values is None or len(values) != n:
        raise fail("value", where, f"one label per point: {n:,} points, "
                   f"{len(values) if values is not None else 0:,} labels",
                   key="data_label_count", n=n)
    for v in values:
        whole = isinstance(v, int) and not isinstance(v, bool)
        if not whole or not 0 <= v < bounds.MAX_CLASSES:
            raise fail("value", where, f"a class label is a whole number from 0 to "
                       f"{bounds.MAX_CLASSES - 1}, not {v!r}", key="data_label",
                       label=str(v), last=bounds.MAX_CLASSES - 1)
    y = np.asarray(values, dtype=np.intp)
    return y, int(y.max()) + 1


def target_values(targets: Any, n: int, where: str) -> np.ndarray:
    """One number, or one row of numbers, per point."""
    try:
        y = np.asarray(targets, dtype=float)
    except (TypeError, ValueError):
        y = None
    if y is None or y.ndim not in (1, 2) or len(y) != n:
        raise fail("value", where, f"one target per point (a number, or a row of numbers): "
                   f"{n:,} points", key="data_targets", n=n)
    if not np.isfinite(y).all():
        raise fail("value", where, "the targets must be finite numbers", key="data_finite")
    return y


# ---------------------------------------------------------------- CSV

SEPARATOR = re.compile(r"\s*[,;\t]\s*|\s+")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
WHOLE = re.compile(r"[+-]?\d+")


def parse_csv(text: str) -> tuple[list[list[float]], list[Any]]:
    """The points and labels of CSV text: whole-number labels as ints (classes), others as
    floats (targets). A LabError pointing at the line and column of the first mistake."""
    if len(text) > bounds.MAX_CSV_CHARS:
        raise _csv_error("too_large", f"the CSV text has {len(text):,} characters, over the "
                         f"limit of {bounds.MAX_CSV_CHARS:,}", text, None, "csv_too_long",
                         limit=bounds.MAX_CSV_CHARS)
    points: list[list[float]] = []
    labels: list[str] = []
    places: list[tuple[int, int, int]] = []  # each label's line and columns
    width = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = _fields(line)
        if width is None and not any(NUMBER.fullmatch(f) for f, _ in fields):
            width = len(fields)  # a header (no number in it) names the columns
            continue
        if width is None:
            width = len(fields)
        if width < 2:
            raise _csv_error("value", "a line holds a point's coordinates and then its label: "
                             "at least two numbers", text, (number, 1, len(line) + 1),
                             "csv_columns", line=number, want=2, got=len(fields))
        if len(fields) != width:
            raise _csv_error("value", f"line {number} has {len(fields)} fields and the first "
                             f"has {width}", text, (number, 1, len(line) + 1),
                             "csv_columns", line=number, want=width, got=len(fields))
        for field, column in fields:
            if not NUMBER.fullmatch(field):
                shown = field[:20] or "(empty)"
                raise _csv_error("value", f"'{shown}' is not a number", text,
                                 (number, column, column + len(field)), "csv_number",
                                 field=shown)
        if len(points) >= bounds.MAX_POINTS:
            raise _csv_error("too_large", f"the CSV has more than {bounds.MAX_POINTS:,} "
                             "points", text, (number, 1, len(line) + 1), "csv_too_many",
                             limit=bounds.MAX_POINTS)
        points.append([float(f) for f, _ in fields[:-1]])
        label, column = fields[-1]
        labels.append(label)
        places.append((number, column, column + len(label)))
    if len(points) < bounds.MIN_POINTS:
        raise _csv_error("value", f"the CSV has {len(points)} points; training needs at least "
                         f"{bounds.MIN_POINTS}", text, None, "csv_too_few", n=len(points),
                         low=bounds.MIN_POINTS)
    if not all(WHOLE.fullmatch(label) for label in labels):
        return points, [float(label) for label in labels]
    classes = [int(label) for label in labels]
    for value, place in zip(classes, places, strict=True):
        if not 0 <= value < bounds.MAX_CLASSES:
            raise _csv_error("value", f"a class label is a whole number from 0 to "
                             f"{bounds.MAX_CLASSES - 1}, not {value}", text, place,
                             "data_label", label=str(value), last=bounds.MAX_CLASSES - 1)
    return points, classes


def _fields(line: str) -> list[tuple[str, int]]:
    """The fields of a line and their 1-based columns."""
    body = line.rstrip()
    position = len(body) - len(body.lstrip())
    out = []
    for match in SEPARATOR.finditer(body, position):
        out.append((body[position:match.start()], position + 1))
        position = match.end()
    out.append((body[position:], position + 1))
    return out


def _csv_error(type_: str, summary: str, source: str, place: tuple[int, int, int] | None,
               key: str, **info: Any) -> LabError:
    span = None if place is None else Span(place[0], place[1], place[0], max(place[2],
                                                                             place[1] + 1))
    return LabError(type_, summary, span, key=key, info={"where": "dataset.csv", **info},
                    source=source)

