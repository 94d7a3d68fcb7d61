"""Types of the compiled crossing search (_ordering.c); plain.py says what it computes."""

import numpy as np

def search(start: np.ndarray, s: np.ndarray, t: np.ndarray, place: np.ndarray, min_quit: int,
           max_iter: int, sift_rounds: int, kicks: int = ..., one_in: int = ...,
           polish: int = ...) -> int: ...
