"""Poisson's equation in ``d`` dimensions with an inseparable closed-form solution.

On the cube ``[−1, 1]^d`` with Dirichlet data on its whole boundary:

    − Δu = k² c u,   u(x) = (1/√d) Σ_{i=1}^{d} sin(k (π x_i / 2 + x_{i+1} / 2)),   c = (π² + 1) / 4

(indices cyclic: ``x_{d+1} = x_1``). Every term couples two neighbouring coordinates (a
"two-body" solution in the sense of the high-dimensional tests of Shi et al., NeurIPS 2024,
arXiv:2412.00088) and has Laplacian ``−k² (π²/4 + 1/4)`` times itself, so ``Δu = −k² c u`` for
every ``d >= 2``. The terms are odd, so ``u`` has mean zero and (with the ``1/√d``) a spread
of order one whatever ``d``: its relative L2 error measures the fit, not a constant offset.

The residual asks for ``D.laplacian(u)``, so a Laplacian estimator of
:mod:`pinnkit.models.laplacians` (``RunConfig(laplacian="stde")``) applies to it. A grid in
``d`` dimensions is out of reach, so the error is measured at ``test_points`` fixed random
points (uniform in the cube, seed 0) instead of on a tensor grid. Coordinates are named by
single letters ``a, b, …`` (``t`` is skipped: it means time) and past 25 of them by single
CJK characters (the :class:`~pinnkit.problems.Box` needs one character per name).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..conditions import Condition, _check_count
from ..domains import Box
from ..problem import Parameter, Problem
from ._common import check_number, numpy_reference

__all__ = ["poisson_nd", "poisson_nd_exact", "POISSON_ND_C", "BoxBoundary", "coordinate_names"]

#: −Δu = k² c u for the closed form
POISSON_ND_C = (math.pi**2 + 1) / 4
_LETTERS = "abcdefghijklmnopqrsuvwxyz"


def coordinate_names(d: int) -> tuple[str, ...]:
    """``d`` distinct single-character names (``t`` left out)."""
    return tuple(_LETTERS[i] if i < len(_LETTERS) else chr(0x4E00 + i - len(_LETTERS)) for i in range(d))


def poisson_nd_exact(x: torch.Tensor, k: float = 1.0) -> torch.Tensor:
    """``u(x: (N, d)) = (1/√d) Σ sin(k (π x_i/2 + x_{i+1}/2)) -> (N, 1)`` (cyclic, d >= 2)."""
    d = x.shape[1]
    a = k * (math.pi / 2 * x + 0.5 * torch.roll(x, -1, dims=1))
    return torch.sin(a).sum(1, keepdim=True) / math.sqrt(d)


class BoxBoundary(Condition):
    """``u = g`` on the whole boundary of a box: each sampled point lies on one of its
    ``2d`` faces, drawn uniformly (all faces have the same area on a cube)."""

    def __init__(self, domain: Box, value):
        self.domain, self.value = domain, value

    def sample(self, n, rng, method="random"):
        n = _check_count(n)
        if method != "random":
            raise ValueError(f"the boundary of a {self.domain.dim}-dimensional box is sampled at random; got {method!r}")
        d = self.domain.dim
        unit = rng.random((n, d))
        axis = rng.integers(0, d, n)
        unit[np.arange(n), axis] = rng.integers(0, 2, n)
        return self.domain.scale(unit)

    def residual(self, u, x, params):
        return u(x)[:, :1] - self.value(x, params)


@dataclass
class _HighDimProblem(Problem):
    """A problem whose error is measured at fixed random points (no tensor grid in d dims)."""

    test_points: int = 2000

    def test_grid(self, shape=None):
        if shape is None or tuple(shape) == tuple(self.test_shape):
            rng = np.random.default_rng(0)
            return self.domain.scale(rng.random((self.test_points, self.domain.dim)))
        return super().test_grid(shape)


def poisson_nd(k: float = 1.0, d: float = 5) -> Problem:
    """−Δu = k²(π²+1)/4 · u on [−1, 1]^d, u = (1/√d) Σ sin(k(πx_i/2 + x_{i+1}/2)), Dirichlet data."""
    k = check_number("poisson_nd", "k", k, positive=True)
    if isinstance(d, bool) or not isinstance(d, (int, float, np.integer, np.floating)) or not math.isfinite(d) \
            or int(d) != d or d < 2:
        raise ValueError(f"poisson_nd: d must be an integer >= 2 (the dimension); got {d!r}")
    d = int(d)
    domain = Box((-1.0,) * d, (1.0,) * d, coordinate_names(d))

    def residual(x, u, D, p):
        return -D.laplacian(u) - p["k"] ** 2 * POISSON_ND_C * poisson_nd_exact(x, p["k"])

    return _HighDimProblem(
        name="poisson_nd",
        domain=domain,
        residual=residual,
        conditions={"boundary": BoxBoundary(domain, lambda x, p: poisson_nd_exact(x, p["k"]))},
        parameters={"k": Parameter(k, 0.25, 4.0, doc="frequency k"),
                    "d": Parameter(d, 2, 1000, doc="dimension d (an integer)")},
        reference=numpy_reference(lambda x: poisson_nd_exact(x, k)),
        test_shape=(2,) * d,
        equation="−Δu = k²(π²+1)/4 · u,  u = (1/√d) Σ sin(k(πx_i/2 + x_{i+1}/2)) on [−1, 1]^d",
        factory=poisson_nd,
    )
