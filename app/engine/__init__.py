"""Forward and backward passes, the step trace, and gradient checks."""

from app.engine.run import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate"]
