"""Toy data sets for training, generated here from a seed: nothing is ever downloaded.

Each generator takes the number of points, the noise and a numpy `RandomState`
and returns `X` (n, 2) floats and `y` (n,) class labels. The same seed gives
the same points on every machine (numpy's legacy generator is frozen).

- `moons`: two interleaving half circles, scikit-learn's `make_moons` step for
  step, so `moons(200, 0.20, RandomState(0))` is seed 004's
  `np.random.seed(0); make_moons(200, noise=0.20)`.
- `circles`: a circle inside another (scikit-learn's `make_circles`, factor 0.5).
- `xor`: points uniform in the square [-1, 1]², class 1 where the signs of the
  two coordinates differ; the noise moves the points after they are labelled.
- `spiral`: cs231n's three-armed spiral (the "Putting it together: a neural
  network" notes), noise on the angle as there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Data = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A generator, its number of classes and the noise its pictures usually use."""

    name: str
    classes: int
    noise: float
    make: Callable[[int, float, np.random.RandomState], Data]
    description: str


def moons(n: int, noise: float, rng: np.random.RandomState) -> Data:
    """scikit-learn's `make_moons(n, noise=noise, random_state=rng)`, written out."""
    n_out = n // 2
    n_in = n - n_out
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    return _shuffle_and_noise(X, y, noise, rng)


def circles(n: int, noise: float, rng: np.random.RandomState, factor: float = 0.5) -> Data:
    """scikit-learn's `make_circles(n, noise=noise, factor=0.5, random_state=rng)`."""
    n_out = n // 2
    n_in = n - n_out
    angle_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    angle_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.append(np.cos(angle_out), np.cos(angle_in) * factor),
                   np.append(np.sin(angle_out), np.sin(angle_in) * factor)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    return _shuffle_and_noise(X, y, noise, rng)


def _shuffle_and_noise(X: np.ndarray, y: np.ndarray, noise: float,
                       rng: np.random.RandomState) -> Data:
    """scikit-learn's `shuffle` (a permutation of arange by rng.shuffle), then the noise."""
    order = np.arange(len(X))
    rng.shuffle(order)
    X, y = X[order], y[order]
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def xor(n: int, noise: float, rng: np.random.RandomState) -> Data:
    """Uniform points in [-1, 1]²; class 1 where x₀ and x₁ have different signs."""
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.intp)
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def spiral(n: int, noise: float, rng: np.random.RandomState, classes: int = 3) -> Data:
    """cs231n's spiral: class j's arm has radii 0…1 and angles 4j…4(j+1) plus noise·N(0, 1).

    With n = 300 and noise 0.2 this is the notes' code (N = 100 points per class,
    K = 3) with `np.random` replaced by `rng`; other n share the points out as
    evenly as they go, the first classes taking one more.
    """
    X = np.zeros((n, 2))
    y = np.zeros(n, dtype=np.intp)
    start = 0
    for j in range(classes):
        size = n // classes + (1 if j < n % classes else 0)
        r = np.linspace(0.0, 1, size)
        t = np.linspace(j * 4, (j + 1) * 4, size) + rng.randn(size) * noise
        X[start:start + size] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[start:start + size] = j
        start += size
    return X, y


DATASETS: dict[str, Dataset] = {
    d.name: d for d in (
        Dataset("moons", 2, 0.2, moons, "two interleaving half circles (scikit-learn's "
                "make_moons)"),
        Dataset("circles", 2, 0.1, circles, "a circle inside a circle half its size "
                "(scikit-learn's make_circles, factor 0.5)"),
        Dataset("xor", 2, 0.1, xor, "uniform points in [-1, 1]², class 1 where the two "
                "coordinates' signs differ"),
        Dataset("spiral", 3, 0.2, spiral, "cs231n's three-armed spiral, noise on the angle"),
    )
}


def make(name: str, n: int, noise: float | None = None, seed: int = 0) -> Data:
    """`n` points of the named data set from `RandomState(seed)`; `noise` None is its usual."""
    dataset = DATASETS[name]
    return dataset.make(n, dataset.noise if noise is None else noise,
                        np.random.RandomState(seed))
