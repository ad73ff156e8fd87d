"""Where the PDE residual is evaluated.

A sampler is a small object with a count and an optional resampling period:

- ``sample(domain, rng) -> (N, d)`` the first set of interior points;
- ``refine(points, domain, step, score, rng) -> (N', d)`` called by the trainer every
  ``every`` steps (never when ``every`` is ``None``). ``score(points) -> (N,)`` gives the
  residual magnitude at points; samplers that do not use it ignore it. This is how a
  residual-driven sampler sees residuals without importing the loss (DESIGN.md §3).

Points are float64 numpy arrays strictly inside the domain (the residual is enforced on
the interior; conditions own the boundary).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import numpy as np
from scipy.stats import qmc

from .problems.domains import Box

__all__ = ["Sampler", "Grid", "Uniform", "Sobol", "LatinHypercube", "interior", "SAMPLERS", "make_sampler"]

Score = Callable[[np.ndarray], np.ndarray]


def interior(points: np.ndarray, domain: Box) -> np.ndarray:
    """Drop points on (or outside) the domain's boundary."""
    lo, hi = np.asarray(domain.low), np.asarray(domain.high)
    keep = np.all((points > lo) & (points < hi), axis=1)
    return points[keep]


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of points must be a positive integer; got {n!r}")
    return int(n)


class Sampler(ABC):
    """Base class: ``num_points`` interior points, resampled every ``every`` steps."""

    def __init__(self, num_points: int, every: int | None = None):
        self.num_points = _check_count(num_points)
        if every is not None and (not isinstance(every, (int, np.integer)) or every < 1):
            raise ValueError(f"every must be a positive integer or None; got {every!r}")
        self.every = every

    @abstractmethod
    def sample(self, domain: Box, rng: np.random.Generator) -> np.ndarray: ...

    def refine(self, points: np.ndarray, domain: Box, step: int, score: Score | None,
               rng: np.random.Generator) -> np.ndarray:
        """Default: draw a fresh set."""
        return self.sample(domain, rng)

    def __repr__(self):
        return f"{type(self).__name__}(num_points={self.num_points}, every={self.every})"


class Grid(Sampler):
    """A tensor-product grid of about ``num_points`` interior points (never resampled)."""

    def __init__(self, num_points: int):
        super().__init__(num_points, None)

    def sample(self, domain, rng):
        per = max(1, int(round(self.num_points ** (1 / domain.dim))))
        axes = [np.linspace(lo, hi, per + 2)[1:-1] for lo, hi in zip(domain.low, domain.high)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


class Uniform(Sampler):
    """Independent uniform random points."""

    def sample(self, domain, rng):
        return _fill(lambda n: domain.scale(rng.random((n, domain.dim))), self.num_points, domain)


class Sobol(Sampler):
    """Scrambled Sobol' points (``scipy.stats.qmc.Sobol``)."""

    def sample(self, domain, rng):
        engine = qmc.Sobol(domain.dim, scramble=True, seed=rng)
        m = int(np.ceil(np.log2(self.num_points)))
        pts = engine.random_base2(m)[: self.num_points]
        return _fill(lambda n: domain.scale(pts[:n]) if n == len(pts) else domain.scale(rng.random((n, domain.dim))),
                     self.num_points, domain)


class LatinHypercube(Sampler):
    """Latin hypercube points (``scipy.stats.qmc.LatinHypercube``)."""

    def sample(self, domain, rng):
        engine = qmc.LatinHypercube(domain.dim, seed=rng)
        return _fill(lambda n: domain.scale(engine.random(n)), self.num_points, domain)


def _fill(draw: Callable[[int], np.ndarray], n: int, domain: Box) -> np.ndarray:
    """Draw ``n`` points, replacing any that fell on the boundary."""
    pts = interior(draw(n), domain)
    while len(pts) < n:
        pts = np.concatenate([pts, interior(draw(n - len(pts)), domain)])
    return pts


#: name -> sampler class, for widgets and the command line
SAMPLERS: dict[str, type[Sampler]] = {
    "grid": Grid,
    "uniform": Uniform,
    "sobol": Sobol,
    "lhs": LatinHypercube,
}


def make_sampler(name: str, num_points: int, **kwargs) -> Sampler:
    """Build a sampler by name (``"uniform"``, ``"sobol"``, ...)."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {sorted(SAMPLERS)}")
    return SAMPLERS[name](num_points, **kwargs)
