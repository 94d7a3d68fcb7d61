"""Request and response models: what /docs shows and what a body must look like."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

CS231N = {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}


class GraphRequest(BaseModel):
    """A program and the values of its inputs."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CS231N]})

    source: StrictStr = Field(description="the program, in the circuit language")
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="input values by name: a number, a nested list of numbers, or "
                    '"NaN"/"Infinity"/"-Infinity"; they override defaults in the program')
    seed: Any = Field(default=None, description="the upstream gradient of a tensor output "
                      "(default: ones)")


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


class GraphResponse(BaseModel):
    output: str
    nodes: list[NodeOut]
    steps: list[Step]
    inputs: list[str]
    warnings: list[str]
    layout: Layout


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
