"""The op catalogue: importing this package registers every op, in catalogue order."""

from app.ops import elementwise, tensor  # noqa: F401  (registration side effect)

# isort: split
from app.ops import nn  # noqa: F401  (after tensor, so the catalogue lists its ops last)
from app.ops.registry import (
    REGISTRY,
    Op,
    OpValueError,
    Param,
    ShapeError,
    functions,
    operators,
    unbroadcast,
)

__all__ = ["REGISTRY", "Op", "OpValueError", "Param", "ShapeError", "functions", "operators",
           "unbroadcast"]
