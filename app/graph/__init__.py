"""The gate graph: nodes in topological order, built from a parsed program."""

from app.graph.build import build, format_number
from app.graph.ir import Graph, Node, validate

__all__ = ["build", "format_number", "Graph", "Node", "validate"]
