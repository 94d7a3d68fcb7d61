"""How a tensor node's numbers are drawn, and the room that takes in the layout.

A tensor is shown as a matrix: a vector as one row, a matrix as it is, a
higher-rank tensor with its leading axes flattened into rows. Up to `GRID`
rows and columns its numbers are written in a grid (up to `BIG` rows and
columns at the wire labels' size, `FONT_BIG` px, so a small matrix reads as
well as the numbers on the wires; past that at `FONT` px); past that it is a colour
map of at most `MAP` × `MAP` cells (each cell a block of elements when the
tensor is bigger), with the numbers on hover. The value and the gradient sit
side by side under the node, so the layout reserves a box there: the page
draws into exactly the box the server placed.

The view is part of the layout JSON (`layout.nodes[id].view`), so the page
and the layout agree on sizes without sharing constants.
"""

from __future__ import annotations

import math
from typing import Any

GRID = 8  # largest rows/columns written out number by number
BIG = 4  # largest rows/columns written at the wire labels' size
MAP = 32  # largest rows/columns of colour-map cells
FONT = 11.0  # px of a grid's numbers (monospace, 0.6 em a character)
FONT_BIG = 13.0  # px of a small grid's numbers: the wire labels' size
CELL_W = 52.0  # px per written number: seven characters at FONT px, "−1.23e-5" tighter
CELL_H = 16.0
CELL_W_BIG = 68.0  # "−1.23e-5", eight characters at FONT_BIG px, and a margin
CELL_H_BIG = 20.0
MAP_CELL = 6.0  # px per colour-map cell
GAP = 10.0  # px between the value block and the gradient block
TOP = 30.0  # px from the node's centre to the top of the box: below its gradient label


def matrix_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """The rows and columns a tensor is drawn as."""
    if len(shape) == 1:
        return 1, shape[0]
    return math.prod(shape[:-1]), shape[-1]


def tensor_view(shape: tuple[int, ...]) -> dict[str, Any] | None:
    """The view of a node's numbers (None for a scalar or an empty tensor).

    `kind` is "grid" or "map"; `rows`/`cols` the matrix drawn; `cells` the
    drawn cells per side (a map bins a big matrix into at most MAP × MAP);
    `cell` a cell's width and height and, for a grid, `font` its numbers' px;
    `x`, `y`, `w`, `h` the box relative to the node's centre, holding the
    value block on the left and the gradient block on the right.
    """
    if not shape or 0 in shape:
        return None
    rows, cols = matrix_shape(shape)
    font = None
    if rows <= BIG and cols <= BIG:
        kind, cell_rows, cell_cols = "grid", rows, cols
        cw, ch, font = CELL_W_BIG, CELL_H_BIG, FONT_BIG
    elif rows <= GRID and cols <= GRID:
        kind, cell_rows, cell_cols, cw, ch, font = "grid", rows, cols, CELL_W, CELL_H, FONT
    else:
        kind, cell_rows, cell_cols = "map", min(rows, MAP), min(cols, MAP)
        cw = ch = MAP_CELL
    block = cell_cols * cw
    w = 2 * block + GAP
    h = cell_rows * ch
    view = {"kind": kind, "rows": rows, "cols": cols, "cells": [cell_rows, cell_cols],
            "cell": [cw, ch], "x": round(-w / 2, 1), "y": TOP, "w": round(w, 1),
            "h": round(h, 1)}
    if font is not None:
        view["font"] = font
    return view
