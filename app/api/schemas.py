"""Request and response models: what /docs shows and what a body must look like."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

CS231N = {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}
TEACHING = {"source": "f = sigmoid(x * w)", "values": {"x": 2, "w": -1}, "expand": True,
            "check": True, "code": True, "sweep": {"input": "x", "points": 11}}


class SweepRequest(BaseModel):
    """The nudge plot: slide one scalar input, every other input held, and watch the output."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    input: StrictStr = Field(description="the input to slide (a scalar input of the program)")
    from_: StrictFloat | None = Field(
        default=None, alias="from", allow_inf_nan=False,
        description="where the range starts (default: the current value − max(1, 2|x|))")
    to: StrictFloat | None = Field(
        default=None, allow_inf_nan=False,
        description="where the range ends (default: the current value + max(1, 2|x|))")
    points: StrictInt | None = Field(
        default=None, description="how many evenly spaced points, 2 to 1,001 (default 101); "
        "over 1,001 is a 400 too_large")


class GraphRequest(BaseModel):
    """A program and the values of its inputs."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [CS231N, TEACHING]})

    source: StrictStr = Field(description="the program, in the circuit language")
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="input values by name: a number, a nested list of numbers, or "
                    '"NaN"/"Infinity"/"-Infinity"; they override defaults in the program')
    seed: Any = Field(default=None, description="the upstream gradient of a tensor output "
                      "(default: ones)")
    expand: StrictBool | list[StrictStr] = Field(
        default=False,
        description="draw composite gates (sigmoid, tanh) as their primitives: true for all "
        "of them, or a list of node ids of the unexpanded circuit (\"n3\") for just those; an "
        "id that is not a composite gate is a 400 value error. Every node then carries "
        "`origin`, and the primitives of an expanded gate `expanded_from`")
    check: StrictBool = Field(
        default=False, description="add `gradcheck`: each input's gradient against central "
        "differences (at most 2,000 perturbed elements in all)")
    code: StrictBool = Field(
        default=False, description="add `code`: the forward and backward pass as a staged "
        "Python program, as in the cs231n notes (at most 5,000 nodes)")
    sweep: SweepRequest | None = Field(
        default=None, description="add `sweep`, the nudge plot: the output against one scalar "
        "input (a scalar output only)")


class Span(BaseModel):
    line: int
    column: int
    end_line: int
    end_column: int


class Edge(BaseModel):
    input: str
    position: int
    upstream: Any
    local: Any = Field(description="the local derivative; null where it is a matrix (vjp)")
    product: Any
    sum: Any = Field(description="the receiving node's gradient so far")
    accumulate: bool = Field(description="true for a += (the value fans out)")
    formula: str


class Step(BaseModel):
    phase: str = Field(description='"forward" or "backward"')
    node: str
    grad: Any = None
    seed: bool | None = None
    edges: list[Edge] | None = None


class NodeOut(BaseModel):
    id: str
    op: str
    name: str | None
    label: str
    inputs: list[str]
    value: Any
    grad: Any = Field(description="null for constants and what depends only on constants")
    shape: list[int]
    span: Span | None
    requires_grad: bool
    warnings: list[str]
    formulas: list[str] | None = None
    params: dict[str, Any] | None = None
    composite: bool | None = None
    origin: str | None = Field(
        default=None, description="with `expand`: the id of the node of the unexpanded circuit "
        "this node comes from (its own counterpart, or the composite gate it is part of)")
    expanded_from: str | None = Field(
        default=None, description="with `expand`, on the primitives (and constants) that "
        "replace a composite gate: that gate's op, e.g. \"sigmoid\"")


class Point(BaseModel):
    x: float
    y: float
    layer: int


class Route(BaseModel):
    from_: str = Field(alias="from")
    to: str
    points: list[list[float]] = Field(description="the wire's polyline, source centre to "
                                      "target centre, one point per layer it crosses")


class Layout(BaseModel):
    """Where to draw everything, in pixels: inputs on the left, the output on the right."""

    nodes: dict[str, Point]
    edges: list[Route]
    width: float
    height: float


class GradCheckWorst(BaseModel):
    """The tensor element whose numeric and analytic gradients differ most."""

    index: list[int]
    analytic: Any
    numeric: Any
    rel_error: Any
    ok: bool
    kink: bool


class GradCheck(BaseModel):
    """One input's analytic gradient against central differences.

    numeric = (L(x+h) − L(x−h)) / 2h with h = 1e-6·max(1, |x|), L the output (times the
    seed, summed); rel_error = |analytic − numeric| / max(|analytic|, |numeric|, tiny);
    ok when rel_error ≤ 1e-5 or the difference is at most 1e-8·max(1, |L|).
    """

    shape: list[int]
    checked: int = Field(description="elements perturbed (all, unless over the budget)")
    size: int
    analytic: Any = Field(description="a number; for a tensor the whole array when it has at "
                          "most 100 elements and all were checked, else null")
    numeric: Any
    rel_error: Any = Field(description="for a tensor, the worst element's")
    ok: bool | None = Field(description="every checked element agrees; null if none checked")
    kink: bool = Field(description="a nudge crossed a point where an op is not "
                       "differentiable (relu/abs at 0, max/min on a tie): the two may rightly "
                       "disagree")
    step: Any = Field(description="h, for a tensor the worst element's")
    worst: GradCheckWorst | None = Field(default=None, description="tensors only")


class CodeLine(BaseModel):
    node: str
    phase: str = Field(description='"forward" or "backward"')


class CodeOut(BaseModel):
    python: str = Field(description="a self-contained program: inputs, the forward pass as "
                        "named stages, the backward pass with d-prefixed gradients")
    variant: str = Field(description='"math" (scalars) or "numpy"')
    grads: dict[str, str] = Field(description="each input's gradient variable (dx for x, "
                                  "unless renamed to avoid a collision)")
    names: dict[str, str] = Field(description="each input's variable in the program")
    lines: list[CodeLine | None] = Field(
        description="one entry per line of `python`: the node and phase (forward or backward) "
        "the line belongs to, or null (imports, blank lines, section comments)")


class SweepOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    input: str
    xs: list[Any]
    ys: list[Any] = Field(description="the output at each x; NaN and ∞ as strings")
    value: Any = Field(description="the input's current value")
    output: Any = Field(description="the output at the current value")
    grad: Any = Field(description="dy/dx at the current value: the tangent's slope")
    from_: float = Field(alias="from")
    to: float
    points: int
    reduced: bool = Field(description="fewer points than asked, to bound the work")


class GraphResponse(BaseModel):
    output: str
    nodes: list[NodeOut]
    steps: list[Step]
    inputs: list[str]
    warnings: list[str]
    layout: Layout
    gradcheck: dict[str, GradCheck] | None = Field(
        default=None, description="with `check`: by input name")
    code: CodeOut | None = Field(default=None, description="with `code`")
    sweep: SweepOut | None = Field(default=None, description="with `sweep`")


class ErrorBody(BaseModel):
    type: str
    message: str
    summary: str | None = None
    line: int | None
    column: int | None
    end_line: int | None = None
    end_column: int | None = None
    key: str | None = None
    args: dict[str, Any] | None = None
    detail: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
