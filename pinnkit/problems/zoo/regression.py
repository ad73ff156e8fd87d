"""Regression of a 1D function as a residual problem, the first example of multi-stage
networks (Wang & Lai, J. Comput. Phys. 504, 2024, arXiv 2307.08934; the target of the
authors' regression script):

    u(x) − f(x) = 0,   f(x) = x³ / (a + x⁴),   x ∈ [−1.02, 1.02],   a = 0.01.

No derivatives and no conditions: the "residual" is the fitting error, the residual points
are the training points (the authors fit 3 000 points on [−1.02, 1.02]) and the reference
is ``f``. ``f`` rises from 0 to its peak ``0.57 a^{-1/4}`` at ``x = (3a)^{1/4}`` (0.42 for
a = 0.01): smaller ``a``, sharper feature.
"""
from __future__ import annotations

import torch

from ..domains import Interval
from ..problem import Parameter, Problem
from ._common import check_number, numpy_reference

__all__ = ["regression1d", "regression1d_exact"]


def regression1d_exact(x: torch.Tensor, a: float) -> torch.Tensor:
    """``f(x: (N, 1)) = x³ / (a + x⁴) -> (N, 1)``."""
    s = x[:, :1]
    return s**3 / (a + s**4)


def regression1d(a: float = 0.01) -> Problem:
    """Fit ``f(x) = x³/(a + x⁴)`` on [−1.02, 1.02] (residual ``u − f``, no conditions)."""
    a = check_number("regression1d", "a", a, positive=True)
    domain = Interval(-1.02, 1.02)

    def residual(x, u, D, p):
        return u - regression1d_exact(x, p["a"])

    return Problem(
        name="regression1d",
        domain=domain,
        residual=residual,
        conditions={},
        parameters={"a": Parameter(a, 0.001, 1.0, log=True, doc="width a of the feature (smaller: sharper)")},
        reference=numpy_reference(lambda x: regression1d_exact(x, a)),
        test_shape=(10001,),
        equation="u − x³/(a + x⁴) = 0",
        factory=regression1d,
    )
