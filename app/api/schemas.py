"""Request and response models: what /docs shows and what a body must look like."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)
from typing_extensions import TypeAliasType

from app.engine.optimizers import BETA1, BETA2, EPS, MU
from app.training import limits as train_limits
from app.training.example import MAZUR_RUN, SEED_004_RUN

CS231N: dict[str, Any] = {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}
TEACHING: dict[str, Any] = {
    "source": "f = sigmoid(x * w)", "values": {"x": 2, "w": -1}, "expand": True, "check": True,
    "code": True, "sweep": {"input": "x", "points": 11}}


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


LearningRate = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]


def _hyper(h: Any) -> Any:
    """A hyperparameter field from its entry in app/engine/optimizers.py."""
    low = {"gt": h.low} if h.low_open else {"ge": h.low}
    return Field(default=None, lt=h.high, allow_inf_nan=False, **low,
                 description=f"{h.symbol}, {h.description} (default {h.default:g})")


class OptimizerRequest(BaseModel):
    """Which optimiser steps, and its hyperparameters (each optimiser reads its own; null or
    left out: the default)."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["sgd", "momentum", "adam"] = Field(
        default="sgd", description="sgd: w ← w − r·g; momentum: v ← μ·v − r·g, w ← w + v; "
        "adam: m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², m̂ = m/(1 − β₁ᵗ), "
        "v̂ = v/(1 − β₂ᵗ), w ← w − r·m̂/(√v̂ + ε)")
    mu: StrictFloat | StrictInt | None = _hyper(MU)
    beta1: StrictFloat | StrictInt | None = _hyper(BETA1)
    beta2: StrictFloat | StrictInt | None = _hyper(BETA2)
    eps: StrictFloat | StrictInt | None = _hyper(EPS)

    def hyper(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model_dump().items()
                if k != "name" and v is not None}


class OptimizerState(BaseModel):
    """The optimiser's state before this step, as the last step's answer left it."""

    model_config = ConfigDict(extra="forbid")

    t: StrictInt = Field(default=1, ge=1, le=10**9, description="the number of this step, 1 "
                         "for the first (Adam's bias correction reads it)")
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict, max_length=10_000,
        description="by parameter name, the state's slots (momentum: v; adam: m, v) as "
        "numbers or nested lists the parameter's shape; a slot left out is zeros")


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
    lr: LearningRate | None = Field(
        default=None, description="a learning rate: add `update`, one step of gradient descent "
        "w ← w − lr·∂out/∂w for every parameter")
    params: list[StrictStr] | None = Field(
        default=None, max_length=10_000, description="the inputs `lr` updates (default: the "
        "inputs named like weights and biases — w1, W2, b, bias, theta — if any, else all; "
        "class labels never)")
    optimizer: OptimizerRequest | None = Field(
        default=None, description="with `lr`: the optimiser of the step (default sgd, "
        "gradient descent)")
    optimizer_state: OptimizerState | None = Field(
        default=None, description="with `lr`: the optimiser's state before the step and the "
        "step's number (default: zeros, step 1); an applied update's `update.params[].terms` "
        "hold the state after it")
    full_trace: StrictBool = Field(
        default=False, description="write every tensor of the step trace out in full; by "
        "default one of more than 64 numbers is written as {\"shape\", \"same_as\"}: a "
        "reference to the node field holding the same numbers, or null (a partial sum, a "
        "local derivative). Either way the answer holds at most 1,500,000 numbers, else a "
        "400 too_large before anything is computed")
    groups: StrictBool = Field(
        default=False, description="add `groups`, the program's statement groups (every "
        "statement that makes gates, nested in the sections its heading comments — `# …`, "
        "`## …` on a line of their own — make), each node's `group`, and `folded`: true for "
        "a circuit of more than 300 gates, whose answer then leaves out `layout` (the page "
        "draws it folded, one box a group)")
    format: Literal["objects", "columns"] = Field(
        default="objects", description="\"columns\": the same answer in its compact form, "
        "arrays per field instead of an object per node, step, edge and wire, with nodes as "
        "indices (GraphColumnsResponse; the README's JSON API section); \"objects\" (the "
        "default): GraphResponse")
    arrays: Literal["json", "base64"] = Field(
        default="json", description="with `\"format\": \"columns\"`: \"base64\" packs the "
        "columns — numbers as base64 of little-endian typed arrays (uint8 … int32, float64, "
        "or whole numbers over a `scale`), exact to the bit; strings with few distinct "
        "values as `categories` and `codes` — about 180 bytes a gate for a long chain "
        "where the JSON lists take 270 (app/packed.py; the README's JSON API section); "
        "\"json\" (the default): every column a JSON list")

    @model_validator(mode="after")
    def _arrays_with_columns(self) -> GraphRequest:
        if self.arrays != "json" and self.format != "columns":
            raise ValueError('"arrays": "base64" needs "format": "columns"')
        return self


# ---------------------------------------------------------------- response models
#
# Every 200 answer of every route is validated against its model in the tests
# (tests/test_response_models.py): the models are closed (a field they do not name is an
# error) and strict (a number is not a string, a whole number not a float), so what /docs
# shows is what the API sends.


class Out(BaseModel):
    """A response model: closed and strict."""

    model_config = ConfigDict(extra="forbid", strict=True)


Number = Annotated[float | Literal["NaN", "Infinity", "-Infinity"],
                   Field(description='a JSON number; NaN and ±∞ as the strings "NaN", '
                         '"Infinity", "-Infinity"')]
# A scalar as a number, a tensor as nested lists of numbers.
Tensor = TypeAliasType("Tensor", "Number | list[Tensor]")


class SameAs(Out):
    node: str = Field(description="the node whose field holds the same numbers")
    field: Literal["grad"]


class Elided(Out):
    """A tensor of the step trace over 64 numbers, unless `full_trace` was asked for."""

    shape: list[int]
    same_as: SameAs | None = Field(description="where the same numbers are written, or null "
                                   "(a local derivative, a partial sum)")


TraceTensor = Tensor | Elided


class Span(Out):
    line: int
    column: int
    end_line: int
    end_column: int


class Edge(Out):
    """A tensor field of more than 64 numbers is, unless `full_trace` was asked for,
    {"shape": [...], "same_as": {"node": "n3", "field": "grad"} or null}."""

    input: str
    position: int
    upstream: TraceTensor = Field(description="the gate's gradient (∂out/∂gate)")
    local: TraceTensor | None = Field(description="the local derivative; null where it is a "
                                      "matrix (vjp)")
    product: TraceTensor = Field(description="upstream · local: what this edge adds to its "
                                 "input")
    sum: TraceTensor = Field(description="the receiving node's gradient so far")
    accumulate: bool = Field(description="true for a += (the value fans out)")
    formula: str
    factors: list[Tensor] | None = Field(default=None, description="the numbers whose product "
                                         "is the local derivative (σ(a) and 1 − σ(a)), for "
                                         "a scalar edge of an op that has them")


class Step(Out):
    """A forward step names its node; a backward step adds the gate's gradient and its edges."""

    phase: Literal["forward", "backward"]
    node: str
    grad: TraceTensor | None = None
    seed: bool | None = Field(default=None, description="true on the output's step, whose "
                              "gradient is the seed")
    edges: list[Edge] | None = None


class NodeOut(Out):
    id: str
    op: str
    name: str | None
    label: str
    inputs: list[str]
    value: Tensor
    grad: Tensor | None = Field(description="null for constants and what depends only on "
                                "constants")
    shape: list[int]
    span: Span | None
    requires_grad: bool
    warnings: list[str]
    formulas: list[str] | None = Field(default=None, description="gates only")
    params: dict[str, int] | None = Field(default=None, description="gates only: the "
                                          "integer arguments given (axis, k, d0 …)")
    composite: bool | None = Field(default=None, description="gates only")
    origin: str | None = Field(
        default=None, description="with `expand`: the id of the node of the unexpanded circuit "
        "this node comes from (its own counterpart, or the composite gate it is part of)")
    expanded_from: str | None = Field(
        default=None, description="with `expand`, on the primitives (and constants) that "
        "replace a composite gate: that gate's op, e.g. \"sigmoid\"")
    group: str | None = Field(
        default=None, description="with `groups`: the innermost group the node belongs to "
        "(null: none, e.g. an input nobody binds)")


class GroupOut(Out):
    """A statement group (app/groups.py): a statement's gates, or a section's statements."""

    id: str = Field(description="\"g0\", \"g1\" … in program order")
    kind: Literal["statement", "section"]
    title: str = Field(description="the statement as written (`h1 = sigmoid(w1*i1 + b1)`), "
                       "or the section's heading without its #s; cut at 200 characters")
    line: int = Field(description="the statement's, or the heading's, line (1-based)")
    parent: str | None = Field(description="the section it is in, or null")
    output: str | None = Field(description="a statement's node; a section's one node used "
                               "outside it (or the program's output), else null")
    nodes: int = Field(description="the nodes in it, its nested groups' too")
    gates: int = Field(description="of them, the gates (neither inputs nor constants)")


class TensorView(Out):
    """How a tensor node's numbers are drawn under it (app/layout/views.py), relative to the
    node's centre: value block on the left, gradient block on the right."""

    kind: Literal["grid", "map"]
    rows: int
    cols: int
    cells: list[int] = Field(description="[rows, columns] of cells drawn")
    cell: list[float] = Field(description="[width, height] of a cell, px")
    x: float
    y: float
    w: float
    h: float
    font: float | None = Field(default=None, description="a grid's numbers, px")


class Point(Out):
    x: float
    y: float
    layer: int
    view: TensorView | None = Field(default=None, description="tensor nodes only")


class Route(Out):
    from_: str = Field(alias="from")
    to: str
    points: list[list[float]] = Field(description="the wire's polyline, source centre to "
                                      "target centre, one point per layer it crosses")


class Layout(Out):
    """Where to draw everything, in pixels: inputs on the left, the output on the right."""

    nodes: dict[str, Point]
    edges: list[Route]
    width: float
    height: float


class GradCheckWorst(Out):
    """The tensor element whose numeric and analytic gradients differ most."""

    index: list[int]
    analytic: Number
    numeric: Number
    rel_error: Number
    ok: bool
    kink: bool


class GradCheck(Out):
    """One input's analytic gradient against central differences.

    numeric = (L(x+h) − L(x−h)) / 2h with h = 1e-6·max(1, |x|), L the output (times the
    seed, summed); rel_error = |analytic − numeric| / max(|analytic|, |numeric|, tiny);
    ok when rel_error ≤ 1e-5 or the difference is at most 1e-8·max(1, |L|).
    """

    shape: list[int]
    checked: int = Field(description="elements perturbed (all, unless over the budget)")
    size: int
    analytic: Tensor | None = Field(description="a number; for a tensor the whole array when "
                                    "it has at most 100 elements and all were checked, else "
                                    "null; null when nothing was checked")
    numeric: Tensor | None
    rel_error: Number | None = Field(description="for a tensor, the worst element's")
    ok: bool | None = Field(description="every checked element agrees; null if none checked")
    kink: bool = Field(description="a nudge crossed a point where an op is not "
                       "differentiable (relu/abs at 0, max/min on a tie): the two may rightly "
                       "disagree")
    step: Number | None = Field(description="h, for a tensor the worst element's")
    worst: GradCheckWorst | None = Field(default=None, description="tensors only")


class CodeLine(Out):
    node: str
    phase: Literal["forward", "backward"]


class CodeOut(Out):
    python: str = Field(description="a self-contained program: inputs, the forward pass as "
                        "named stages, the backward pass with d-prefixed gradients")
    variant: Literal["math", "numpy"] = Field(description='"math" (scalars) or "numpy"')
    grads: dict[str, str] = Field(description="each input's gradient variable (dx for x, "
                                  "unless renamed to avoid a collision)")
    names: dict[str, str] = Field(description="each input's variable in the program")
    lines: list[CodeLine | None] = Field(
        description="one entry per line of `python`: the node and phase (forward or backward) "
        "the line belongs to, or null (imports, blank lines, section comments)")


class SweepOut(Out):
    model_config = ConfigDict(populate_by_name=True)

    input: str
    xs: list[Number]
    ys: list[Number] = Field(description="the output at each x; NaN and ∞ as strings")
    value: Number = Field(description="the input's current value")
    output: Number = Field(description="the output at the current value")
    grad: Number = Field(description="dy/dx at the current value: the tangent's slope")
    from_: float = Field(alias="from")
    to: float
    points: int
    reduced: bool = Field(description="fewer points than asked, to bound the work")


class UpdateParam(Out):
    name: str
    value: Tensor
    grad: Tensor
    new: Tensor = Field(description="the value after the step (sgd: value − lr · grad)")
    state: dict[str, Tensor] = Field(description="the optimiser's state before the step, by "
                                     "slot (momentum: v; adam: m, v; sgd: none)")
    terms: dict[str, Tensor] = Field(description="what each line of the optimiser's update "
                                     "but the last computes, in order (momentum: v; adam: m, "
                                     "v, mhat, vhat): the state after the step among them")


class OptimizerLine(Out):
    name: str = Field(description="what the line sets: w (the parameter), a state slot or a "
                      "term such as mhat")
    formula: str = Field(description="its right-hand side over names in braces: {w} the "
                         "parameter, {g} its gradient, {r} the learning rate, {t} the step, "
                         "the hyperparameters, the slots and the lines above")


class OptimizerOut(Out):
    """The optimiser of the step, written out line by line."""

    name: Literal["sgd", "momentum", "adam"]
    hyper: dict[str, float] = Field(description="its hyperparameters' values")
    state: list[str] = Field(description="the slots of its state")
    lines: list[OptimizerLine] = Field(description="the update, in order; the last sets w")
    symbols: dict[str, str] = Field(description="how to write each name (mu: μ, mhat: m̂ …)")
    t: int = Field(description="the number of this step")


class HyperInfo(Out):
    name: str
    symbol: str
    default: float
    low: float = Field(description="the value is at least this (above it with low_open)")
    high: float = Field(description="the value is below this")
    low_open: bool
    description: str


class OptimizerInfo(Out):
    """One entry of the optimiser table (app/engine/optimizers.py)."""

    name: Literal["sgd", "momentum", "adam"]
    description: str
    hyper: list[HyperInfo]
    state: list[str] = Field(description="the slots kept between steps")
    lines: list[OptimizerLine] = Field(description="the update, in order; the last sets w")
    symbols: dict[str, str]


class OptimizersResponse(Out):
    optimizers: list[OptimizerInfo]


class UpdateOut(Out):
    """One step of an optimiser (`lr`): each parameter before and after."""

    lr: float
    params: list[UpdateParam] = Field(description="the inputs updated, in the order named")
    data: list[str] = Field(description="the inputs left as they are (data, labels)")
    loss: Tensor = Field(description="the output before the step")
    optimizer: OptimizerOut


class GraphResponse(Out):
    output: str
    nodes: list[NodeOut]
    steps: list[Step]
    inputs: list[str] = Field(description="the names of the inputs, in program order")
    warnings: list[str]
    layout: Layout | None = Field(default=None, description="left out only where `folded`")
    groups: list[GroupOut] | None = Field(default=None, description="with `groups`")
    folded: bool | None = Field(default=None, description="with `groups`: more than 300 "
                                "gates, no `layout`: drawn folded, one box a group")
    gradcheck: dict[str, GradCheck] | None = Field(
        default=None, description="with `check`: by input name")
    code: CodeOut | None = Field(default=None, description="with `code`")
    sweep: SweepOut | None = Field(default=None, description="with `sweep`")
    update: UpdateOut | None = Field(default=None, description="with `lr`")

    @model_validator(mode="after")
    def _layout_unless_folded(self) -> Any:
        """Only a folded answer leaves its layout out."""
        if self.layout is None and not self.folded:
            raise ValueError("layout is missing from an answer that is not folded")
        return self


class Packed(Out):
    """A column packed (`"arrays": "base64"`, app/packed.py): its numbers as base64 of a
    little-endian array of `dtype`; floats where `scale` or float64 is given, else whole
    numbers. Item i is the i-th number, or with `width` the i-th run of that many, or with
    `lengths` the next lengths[i] numbers; the items `null` lists are null."""

    dtype: Literal["uint8", "int8", "uint16", "int16", "uint32", "int32", "float64"]
    data: str = Field(description="base64 (standard alphabet, padded) of the array's bytes")
    scale: int | None = Field(default=None, description="floats written as whole numbers: "
                              "each float is its number / scale, one IEEE division, exact")
    width: int | None = Field(default=None, description="each item a list this long")
    lengths: Packed | None = Field(default=None, description="each item a list this long")
    null: Packed | None = Field(default=None, description="the indices of the null items "
                                "(0 in the numbers, or no number in a column of lists)")


class Categories(Out):
    """A column of strings packed: item i is `categories[codes[i]]`."""

    categories: list[str | None]
    codes: Packed


class Sparse(Out):
    """A column only some items have: item `at[k]` has `values[k]`; with `else`, every
    other item has that value, without it the others do not have the field."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    at: list[int] | Packed
    values: list[Any] | Packed | Categories
    else_: Any = Field(default=None, alias="else")


class NodeColumns(Out):
    """Node i is index i (its id is "n<i>"); a gate's formulas and composite are its op's."""

    count: int
    op: list[str] | Categories
    name: list[str | None] | Categories
    label: list[str] | Categories
    inputs: list[list[int]] | Packed = Field(description="node indices")
    value: list[Tensor] | Packed
    grad: list[Tensor | None] | Packed
    shape: list[list[int]] | Packed
    span: list[list[int] | None] | Packed = Field(
        description="[line, column, end_line, end_column]")
    requires_grad: list[int] | Packed = Field(description="1 or 0")
    warnings: Sparse = Field(description='the nodes with warnings; the others []')
    params: Sparse = Field(description="the gates' params")
    origin: list[int] | Packed | None = Field(default=None, description="with `expand`")
    expanded_from: Sparse | list[str] | Categories | None = Field(
        default=None, description="with `expand`")
    group: list[str | None] | Categories | None = Field(default=None,
                                                        description="with `groups`")


class OpColumns(Out):
    formulas: list[str]
    composite: bool


class ForwardColumns(Out):
    node: list[int] | Packed = Field(description="the forward steps' nodes, in order")


class BackwardColumns(Out):
    node: list[int] | Packed = Field(description="the backward steps' nodes, after the "
                                     "forward steps")
    grad: list[TraceTensor | None] | Packed | None = Field(
        default=None, description="left out where each step's gradient is its node's")
    seed: Sparse
    edges: list[int] | Packed = Field(description="how many edges each step has, in order")


class EdgeColumns(Out):
    """The backward steps' edges, step after step."""

    input: list[int] | Packed
    position: list[int] | Packed
    upstream: list[TraceTensor] | Packed | None = Field(
        default=None, description="left out where each is its step's gradient")
    local: list[TraceTensor | None] | Packed
    product: list[TraceTensor] | Packed
    sum: list[TraceTensor] | Packed | Sparse = Field(
        description="sparse: only the edges that accumulate; the others' sum is their product")
    accumulate: list[int] | Packed = Field(description="1 or 0")
    formula: list[str] | Categories | None = Field(
        default=None, description="left out where each is its op's formula for its position")
    factors: Sparse | list[list[Tensor]] | Packed | None = None


class StepColumns(Out):
    forward: ForwardColumns
    backward: BackwardColumns
    edges: EdgeColumns


class LayoutNodeColumns(Out):
    x: list[float] | Packed
    y: list[float] | Packed
    layer: list[int] | Packed
    view: Sparse = Field(description="tensor nodes only (TensorView)")


class LayoutEdgeColumns(Out):
    """The wires: the graph's edges in order (node by node, input by input) unless `from`
    and `to` are given; `bends`, each wire's points between its two nodes, flattened
    [x, y, x, y …], unless `points` gives each wire's whole polyline."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    from_: list[int] | Packed | None = Field(default=None, alias="from")
    to: list[int] | Packed | None = None
    bends: list[list[float]] | Packed | None = None
    points: list[list[float]] | Packed | None = None


class LayoutColumns(Out):
    nodes: LayoutNodeColumns
    edges: LayoutEdgeColumns
    width: float
    height: float


class GraphColumnsResponse(Out):
    """POST /api/graph's answer with `"format": "columns"`: the same content as
    GraphResponse, as arrays per field (app/columns.py; the README's JSON API section)."""

    format: Literal["columns"]
    output: int = Field(description="the output's node index")
    nodes: NodeColumns
    ops: dict[str, OpColumns] = Field(description="the ops of the gates, by name")
    steps: StepColumns
    inputs: list[str]
    warnings: list[str]
    layout: LayoutColumns | None = Field(default=None, description="left out only where "
                                         "`folded`")
    groups: list[GroupOut] | None = None
    folded: bool | None = None
    gradcheck: dict[str, GradCheck] | None = None
    code: CodeOut | None = None
    sweep: SweepOut | None = None
    update: UpdateOut | None = None

    @model_validator(mode="after")
    def _layout_unless_folded(self) -> Any:
        """Only a folded answer leaves its layout out."""
        if self.layout is None and not self.folded:
            raise ValueError("layout is missing from an answer that is not folded")
        return self


class GraphAnswer(RootModel[GraphResponse | GraphColumnsResponse]):
    """POST /api/graph's answer: GraphResponse, or GraphColumnsResponse when the request
    asks for `"format": "columns"`."""


class ValidationDetail(Out):
    """One of pydantic's complaints about a body, without the input it echoes."""

    type: str
    loc: list[str]
    msg: str


class ErrorBody(Out):
    """Every error envelope has every field but `detail` (app.errors.envelope builds them)."""

    type: str = Field(description="one of the types the README lists (syntax, name, … "
                      "request, too_large, host, timeout, rate_limited, busy, internal)")
    message: str = Field(description="the summary, then the place and the source line "
                         "with a caret under it, when there is one")
    summary: str = Field(description="one plain sentence")
    line: int | None = Field(description="1-based; null where no place in the source is "
                             "to blame")
    column: int | None = Field(description="1-based, in characters")
    end_line: int | None
    end_column: int | None = Field(description="the end of the span, exclusive")
    key: str = Field(description="names the message for translation (the type, where "
                     "nothing more specific applies)")
    args: dict[str, Any] = Field(description="the message's parameters")
    detail: list[ValidationDetail] | None = Field(
        default=None, description="a 422's complaints, one per field that does not fit")


class ErrorResponse(Out):
    error: ErrorBody


# ---------------------------------------------------------------- POST /api/network

Finite = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Width = Annotated[StrictInt, Field(ge=1, le=8)]
Row = Annotated[list[Finite], Field(min_length=1, max_length=8)]

MAZUR_NETWORK: dict[str, Any] = {"sizes": [2, 2, 2], "activation": "sigmoid", "output": "sigmoid",
                 "loss": "half_sse", "X": [[0.05, 0.1]], "targets": [[0.01, 0.99]],
                 "weights": [[[0.15, 0.25], [0.2, 0.3]], [[0.4, 0.5], [0.45, 0.55]]],
                 "biases": [0.35, 0.6], "shared_bias": True}
SEED_004_NETWORK: dict[str, Any] = {
    "sizes": [2, 3, 2], "activation": "tanh", "loss": "cross_entropy",
    "X": [[0.5, -1.0], [1.5, 0.2]], "targets": [0, 1], "seed": 0}


class NetworkRequest(BaseModel):
    """A small fully-connected network, to be written as a program in two forms.

    Everything but `sizes` has a default; weights, biases, inputs and targets
    that are not given are drawn from `seed` and rounded to 2 decimals. Shapes
    that do not fit `sizes` (a row of X, a weight matrix, a label out of range)
    are a 400 `shape` or `value` error naming the field in `args.where`.
    """

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [MAZUR_NETWORK, SEED_004_NETWORK]})

    sizes: list[Width] = Field(
        min_length=2, max_length=5, description="neurons per layer, the inputs first and the "
        "outputs last: [2, 2, 2] is Mazur's network; 1 to 8 each, 2 to 5 layers")
    activation: Literal["sigmoid", "tanh", "relu"] = Field(
        default="sigmoid", description="the hidden layers' activation")
    output: Literal["sigmoid", "none"] | None = Field(
        default=None, description="the output layer's activation (default: sigmoid, or none "
        "for cross_entropy, whose outputs are logits)")
    loss: Literal["mse", "half_sse", "cross_entropy"] = Field(
        default="mse", description="mse: the mean of (o − t)² over every output of every row; "
        "half_sse: Σ ½(t − o)², Mazur's E_total (a sum); cross_entropy: the mean over rows of "
        "−log softmax(o)[label]")
    X: list[Row] | None = Field(
        default=None, min_length=1, max_length=64, description="the inputs, one row of "
        "sizes[0] numbers per example, at most 64 rows (default: one random row); the neuron "
        "form needs exactly one row")
    targets: list[Row] | list[StrictInt] | None = Field(
        default=None, max_length=64, description="one row of sizes[-1] numbers per row of X "
        "(mse, half_sse), or one class label 0 … sizes[-1]−1 per row (cross_entropy); "
        "default: random")
    weights: list[Annotated[list[Row], Field(min_length=1, max_length=8)]] | None = Field(
        default=None, min_length=1, max_length=4, description="one matrix per layer of "
        "weights, of shape (inputs, outputs): weights[0][i][j] joins input i to neuron j of "
        "the first layer (tensor form: X @ W1 + b1); default: random ~ N(0, 1/inputs)")
    biases: list[Finite | Row] | None = Field(
        default=None, min_length=1, max_length=4, description="one entry per layer of "
        "weights: a list of one number per neuron, or a single number with `shared_bias`; "
        "default: random in [−0.5, 0.5]")
    seed: StrictInt = Field(default=0, ge=0, le=2**32 - 1,
                            description="seeds numpy's default_rng for what is not given")
    shared_bias: StrictBool = Field(
        default=False, description="one bias per layer, as in Mazur's network, instead of one "
        "per neuron")


class NetworkParam(Out):
    """Where a scalar of the neuron form lives in the tensor form."""

    tensor: str = Field(description="its name in the tensor form: X, W1, b1, T, H1, O, E …")
    index: list[int] = Field(description="its element of that tensor; [] for a scalar")
    kind: Literal["input", "weight", "bias", "target", "hidden", "output", "loss"]


class NetworkSpec(Out):
    """The request with every default filled in: send it back to get the same programs."""

    sizes: list[int]
    activation: Literal["sigmoid", "tanh", "relu"]
    output: Literal["sigmoid", "none"]
    loss: Literal["mse", "half_sse", "cross_entropy"]
    X: list[list[float]]
    targets: list[list[float]] | list[int]
    weights: list[list[list[float]]]
    biases: list[float] | list[list[float]]
    seed: int
    shared_bias: bool


class NetworkResponse(Out):
    tensor: str = Field(description="the tensor form: one line per layer, "
                        "H1 = sigmoid(X @ W1 + b1) … and the loss")
    neuron: str | None = Field(description="the neuron form: every input, weight, bias and "
                               "target a named scalar (i1, w1, b1, t1, h1, o1, E); null for a "
                               "batch of more than one row or over 64 weights")
    neuron_reason: str | None = Field(description="why `neuron` is null")
    params: dict[str, NetworkParam] = Field(
        description="each scalar of the neuron form (by name) and its tensor element in the "
        "tensor form, to line their gradients up; empty when `neuron` is null")
    spec: NetworkSpec


# ---------------------------------------------------------------- POST /api/train

Seed32 = Annotated[StrictInt, Field(ge=0, le=train_limits.MAX_SEED)]
DatasetName = Literal["moons", "circles", "xor", "spiral"]


DataNumber = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]
InputName = Annotated[StrictStr, Field(min_length=1, max_length=64)]


class TrainDataset(BaseModel):
    """What to learn from: a generated data set (`name`, `n`, `noise`, `seed`), points given
    (`points` with `labels` or `targets`), or CSV; and the inputs it goes to."""

    model_config = ConfigDict(extra="forbid")

    name: DatasetName | None = Field(
        default=None, description="moons (scikit-learn's make_moons, exactly), circles "
        "(make_circles, factor 0.5), xor (uniform in [-1, 1]², class 1 where the signs "
        "differ), spiral (cs231n's, 3 classes); the default when neither points nor csv "
        "is given: moons")
    n: StrictInt = Field(default=200, ge=train_limits.MIN_POINTS, le=train_limits.MAX_POINTS,
                         description="how many points")
    noise: StrictFloat | None = Field(
        default=None, ge=0, le=train_limits.MAX_NOISE, allow_inf_nan=False,
        description="the noise (default: moons 0.2, circles 0.1, xor 0.1, spiral 0.2); "
        "for the spiral it is on the angle")
    seed: Seed32 = Field(default=0, description="the points are numpy's RandomState(seed)'s")
    points: list[list[DataNumber]] | None = Field(
        default=None, description=f"points of your own, one row of numbers each "
        f"({train_limits.MIN_POINTS} to {train_limits.MAX_POINTS:,} of them, at most "
        f"{train_limits.MAX_FEATURES} numbers a row)")
    labels: list[StrictInt] | None = Field(
        default=None, description="with points: one class label per point, 0 … "
        f"{train_limits.MAX_CLASSES - 1}")
    targets: list[DataNumber] | list[list[DataNumber]] | None = Field(
        default=None, description="with points: one target per point, a number or a row of "
        "numbers (regression, e.g. an mse loss)")
    csv: StrictStr | None = Field(
        default=None, description="points as CSV, one a line: its coordinates then its label "
        "(x0, x1, label); whole-number labels are classes, others targets; a first line "
        f"without numbers is a header; at most {train_limits.MAX_CSV_CHARS:,} characters")
    x: InputName | None = Field(default=None, description="the input the points go to "
                                "(default X)")
    y: InputName | None = Field(default=None, description="the input the labels or targets go "
                                "to (default y, where the program has it)")

    @model_validator(mode="after")
    def _one_source(self) -> TrainDataset:
        given = [k for k in ("name", "points", "csv") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of name, points and csv, not {' and '.join(given)}")
        if self.points is None and (self.labels is not None or self.targets is not None):
            raise ValueError("labels and targets go with points")
        return self


class TrainRequest(BaseModel):
    """A program whose output is a loss, what it learns from, and how to learn.

    With a data set the program reads its points as the input `x` names (X) and their
    labels as `y` (y); a default written for them in the program is replaced. Without one
    the program's own inputs are its data, and its output is minimised over the
    parameters.
    """

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [SEED_004_RUN, MAZUR_RUN]})

    source: StrictStr = Field(description="the program, in the circuit language; its last "
                              "line is the loss, a single number")
    params: dict[str, Any] | None = Field(
        default=None, description="starting values of some parameters by name (numbers or "
        "nested lists), over what `init` gives them")
    trainable: list[InputName] | None = Field(
        default=None, max_length=10_000, description="the inputs to train (default: with a "
        "data set every input but the data's; without one the inputs named like weights "
        "and biases — w1, W2, b, theta — if any, else every input; class labels never)")
    lr: StrictFloat = Field(default=0.01, gt=0, le=train_limits.MAX_LR, allow_inf_nan=False,
                            description="the learning rate")
    l2: StrictFloat = Field(default=0.0, ge=0, le=train_limits.MAX_L2, allow_inf_nan=False,
                            description="the L2 strength λ, on parameters with two or more "
                            "axes (the weight matrices) only, as the numpy moons network does")
    mode: Literal["seed004", "mean"] = Field(
        default="seed004", description="\"seed004\": the gradient N·∇loss + λW, the numpy "
        "moons network's gradient of the summed loss, and the printed loss mean + "
        "λ/(2N)·Σ‖W‖²; mean: loss "
        "= mean + λ/2·Σ‖W‖² and its gradient. Without a data set N = 1: the same")
    optimizer: OptimizerRequest = Field(
        default_factory=OptimizerRequest, description="what steps down the gradient: sgd "
        "(default), momentum or adam")
    init: Literal["seed004", "program"] | None = Field(
        default=None, description="\"seed004\": weight matrices randn(shape)/√shape[0] in "
        "program order from RandomState(init_seed), biases zeros, as the numpy moons network "
        "starts; \"program\": the values written in the program. Default: \"seed004\" with "
        "a data set, \"program\" without")
    init_seed: Seed32 = Field(default=0, description="the random seed of init \"seed004\"")
    dataset: TrainDataset | None = Field(
        default_factory=TrainDataset, description="what to learn from; null: no data set. "
        "Left out: moons (200 points) for a program with the input X, none for one without")
    passes: StrictInt = Field(default=20_000, ge=1, le=train_limits.MAX_PASSES,
                              description="optimiser steps over the whole data set")
    progress_every: StrictInt | None = Field(
        default=None, ge=1, le=train_limits.MAX_PASSES,
        description="with Accept: text/event-stream, a progress event every this many passes "
        "(raised to passes/1,000 if lower); default: one every ~100 ms")
    pace: StrictFloat | StrictInt | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="passes a second, to watch "
        "(POST /api/train/{run_id}/control changes it); default: as fast as it can. At "
        f"{train_limits.EVERY_PASS_PACE:g} a second or slower, or paused, a progress event "
        "follows every pass")
    paused: StrictBool = Field(default=False, description="start paused: each step asked "
                               "for with POST /api/train/{run_id}/control is one pass")


class TrainControl(BaseModel):
    """A change of a run's pace: any of the three."""

    model_config = ConfigDict(extra="forbid")

    pace: StrictFloat | StrictInt | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="passes a second; null: as fast "
        "as it can; left out: unchanged")
    paused: StrictBool | None = Field(default=None, description="pause (true) or resume "
                                      "(false); left out: unchanged")
    step: StrictInt = Field(default=0, ge=0, le=1_000, description="passes to make while "
                            "paused, one by one")


class CsvRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv: StrictStr = Field(description="points, one a line: x0, x1, label")


class TrainHistory(Out):
    passes: list[int] = Field(description="updates done when the loss was taken: 0, s, 2s, … "
                              "and the last, s = ⌈passes/1,000⌉")
    loss: list[Number] = Field(description="the printed loss there (NaN and ∞ as strings)")


class TrainData(Out):
    X: list[list[float]] = Field(description="the points, one [x0, x1] per row")
    y: list[int] | list[float] | list[list[float]] | None = Field(
        description="their class labels, or their targets (regression), or null (none)")
    classes: int | None = Field(description="how many classes; null for targets or none")


class NeuronLayer(Out):
    """One hidden layer's units, each a map over the plane."""

    node: str = Field(description="the layer's node in /api/graph's circuit (n7)")
    name: str = Field(description="its name in the program, or its op and number")
    units: int
    low: float = Field(description="the lowest finite value of its maps")
    high: float = Field(description="the highest")
    maps: list[list[list[Number]]] = Field(description="per unit, size × size values, 3 "
                                           "decimals; row 0 is the bottom")


class TrainNeurons(Out):
    """What each neuron learned: each hidden unit's output over the plane of 2-D points
    (cell (r, c) at the centre of cell (2r + 1, 2c + 1) of the boundary's grid)."""

    x0: float
    x1: float
    y0: float
    y1: float
    size: int
    layers: list[NeuronLayer]


class TrainSnapshot(Out):
    """The flight recorder's entry for one pass."""

    model_config = ConfigDict(populate_by_name=True)

    pass_: int = Field(alias="pass", description="updates done")
    loss: Number = Field(description="the printed loss there")
    params: dict[str, Tensor]
    state: dict[str, dict[str, Tensor]] = Field(
        description="the optimiser's state before the next step, by parameter and slot "
        "(empty for sgd)")


class TrainOptimizer(Out):
    name: Literal["sgd", "momentum", "adam"]
    mu: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None


class TrainBoundary(Out):
    """The classifier's prediction at the centres of a size × size grid over the data's box
    plus 0.5; row 0 is the bottom (y0), column 0 the left (x0)."""

    x0: float
    x1: float
    y0: float
    y1: float
    size: int
    grid: list[list[int]] = Field(description="the predicted class of each cell")
    confidence: list[list[Number]] = Field(description="its softmax probability, 3 decimals")


class TrainResponse(Out):
    """The trained network (also the `done` event of the stream)."""

    run_id: str | None = Field(description="the run's id (null from `backprop-lab train "
                               "--json`, which runs in its own process)")
    history: TrainHistory
    loss: Number = Field(description="the printed loss after the last update")
    params: dict[str, Tensor] = Field(description="the parameters after the last update")
    accuracy: float | None = Field(description="share of points whose highest score is their "
                                   "label; null if the program has no cross_entropy gate")
    passes_done: int
    passes: int = Field(description="as asked")
    cancelled: bool
    stopped: Literal["cancelled", "shutdown", "time_limit", "diverged", "idle"] | None = (
        Field(description="why the run ended before `passes`: cancelled, the server shutting "
              "down, the time limit, a loss that became NaN or infinite, or a paused run "
              "left alone (idle); null if it did not"))
    seconds: float = Field(description="time spent training: compilation and time waiting "
                           "for the pace excluded")
    data: TrainData | None = Field(description="the points; null without a data set")
    boundary: TrainBoundary | None = Field(description="null if the program is not a "
                                           "classifier of 2-D points, or if drawing it "
                                           "would not fit in the run's time (after a stop: "
                                           "half a second)")
    neurons: TrainNeurons | None = Field(description="null without 2-D points or hidden "
                                         "layers, or when it would not fit in time")
    trainable: list[str] = Field(description="the inputs trained")
    optimizer: TrainOptimizer
    state: dict[str, dict[str, Tensor]] = Field(description="the optimiser's state after the "
                                                "last update (empty for sgd)")
    snapshots: list[TrainSnapshot] = Field(
        description="the flight recorder: pass 0, every ⌈passes/200⌉-th pass and the last "
        f"(fewer if they would hold over {train_limits.MAX_SNAPSHOT_NUMBERS:,} numbers)")


class TrainStart(Out):
    """The `start` event of the stream: the program compiled, training begins."""

    run_id: str
    data: TrainData | None = Field(description="the points (a stream's start carries them)")
    passes: int
    progress_every: int | None = Field(description="passes between progress events, when "
                                       "asked for")
    trainable: list[str] = Field(description="the inputs it trains")
    optimizer: TrainOptimizer


class TrainProgress(Out):
    """A `progress` event of the stream."""

    model_config = ConfigDict(populate_by_name=True)

    run_id: str
    pass_: int = Field(alias="pass", description="updates done")
    loss: Number
    accuracy: float | None
    params: dict[str, Tensor] | None = Field(description="null over 10,000 numbers")
    state: dict[str, dict[str, Tensor]] | None = Field(description="the optimiser's state; "
                                                       "null with the parameters")
    boundary: TrainBoundary | None = Field(description="null when it would take too long")
    neurons: TrainNeurons | None = Field(description="drawn with the boundary, null with it")
    history: TrainHistory
    snapshots: list[TrainSnapshot] = Field(description="the flight recorder's snapshots "
                                           "since the last event")


class TrainControlled(Out):
    run_id: str
    pace: float | None = Field(description="passes a second; null: as fast as it can")
    paused: bool | None


class TrainView(Out):
    """A network at given parameters: the pictures the flight recorder does not keep."""

    loss: Number
    accuracy: float | None
    boundary: TrainBoundary | None
    neurons: TrainNeurons | None


class CsvPoints(Out):
    X: list[list[float]]
    y: list[int] | list[float]
    classes: int | None = Field(description="null when the labels are targets (numbers that "
                                "are not all whole)")


class TrainCancelled(Out):
    run_id: str
    cancelled: bool


class TrainLimits(Out):
    """The bounds of one run (app/training/limits.py)."""

    passes: int
    points: int
    min_points: int
    noise: float
    lr: float
    l2: float
    seconds: float = Field(description="the time limit of a run")


class TrainStatus(Out):
    """Counted over every server process (`backprop-lab serve --workers N`)."""

    running: int = Field(description="runs going now, in every server process")
    slots: int = Field(description="runs the server trains at once: 2 per server process, "
                       "each process taking at most its own 2")
    processes: int = Field(description="server processes serving now")
    queued: int | None = Field(None, description="with a job queue (BACKPROP_LAB_REDIS_URL): "
                               "runs waiting for a worker; slots is then the workers, "
                               "running and processes count every machine")
    limits: TrainLimits = Field(description="the bounds of a run")


class DatasetResponse(Out):
    name: DatasetName
    n: int
    noise: float
    seed: int
    classes: int
    X: list[list[float]]
    y: list[int]


# ---------------------------------------------------------------- GET /api/ops, /api/examples


class OpParam(Out):
    name: str = Field(description="written as a trailing integer literal: sum(x, 0)")
    default: int | None
    required: bool


class OpInfo(Out):
    """One entry of the op catalogue (app/ops/registry.py `Op.describe`)."""

    name: str
    function: str | None = Field(description="its name in a program, if it is called")
    operator: str | None = Field(description="its operator, if it is written as one")
    symbol: str = Field(description="what the gate shows")
    arity: int
    params: list[OpParam]
    description: str
    formulas: list[str] = Field(description="the local derivatives, one per input")
    elementwise: bool
    composite: bool = Field(description="it has an expansion into primitive gates")
    expansion: str | None = Field(description="that expansion, as a program of a (and b)")
    notation: str | None = Field(description="the gate written on its operands {a}, {b}")
    pattern: str | None = Field(description="cs231n's name for how its gradient flows back "
                                "(distributes, swaps, routes_larger, routes_smaller)")
    backward_note: str | None = Field(description="the extra lesson of its backward step "
                                      "(dimensions, window_max, window_mean)")
    local: list[str] | None = Field(default=None, description="each input's local derivative "
                                    "written on the operands {a}, {b} (elementwise ops)")


class OpsResponse(Out):
    ops: list[OpInfo] = Field(description="in catalogue order")


class Text(Out):
    en: str
    zh: str


class Example(Out):
    """A preset: one of the seeds' worked examples."""

    id: str
    title: Text
    source: str
    description: Text
    seed: str = Field(description="the course note it comes from: 000 … 004, or "
                      "\"micrograd\" (Karpathy's micrograd)")
    expand: bool | None = Field(default=None, description="drawn with composite gates "
                                "expanded")
    large: bool | None = Field(default=None, description="a circuit of many thousands of "
                               "gates: listed under `large` by GET /api/examples")
    train: TrainRequest | None = Field(default=None, description="a training run: the body of "
                                       "POST /api/train")


class LargeExample(Out):
    """A large preset as listed: GET /api/examples/{id} gives it whole, with its source."""

    id: str
    title: Text
    description: Text
    seed: str


class ExamplesResponse(Out):
    examples: list[Example]
    large: list[LargeExample] | None = Field(
        default=None, description="the presets too large to send with the list (micrograd's "
        "demo network, 64,000 gates): GET /api/examples/{id} for one")


class Health(Out):
    status: Literal["ok"]
