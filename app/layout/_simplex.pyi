"""Types of the compiled network simplex (_simplex.c); simplex.py says what it computes."""

import numpy as np

def solve(src: np.ndarray, dst: np.ndarray, layer: np.ndarray, max_steps: int) -> None: ...
