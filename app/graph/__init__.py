"""The gate graph: nodes in topological order, built from a parsed program."""

from app.graph.build import build, format_number
from app.graph.ir import Graph, Node, from_description, validate

__all__ = ["build", "format_number", "from_description", "Graph", "Node", "validate"]
