"""The op catalogue: importing this package registers every op."""

from app.ops import elementwise, tensor  # noqa: F401  (registration side effect)
from app.ops.registry import REGISTRY, Op, Param, ShapeError, functions, operators, unbroadcast

__all__ = ["REGISTRY", "Op", "Param", "ShapeError", "functions", "operators", "unbroadcast"]
