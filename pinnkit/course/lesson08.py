"""Checks for lesson 08, where to put the collocation points (``notebooks/08_sampling.ipynb``)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import Result, check_choice, check_number

__all__ = ["check_rad_probability", "check_r3_retained", "check_rad_limit", "check_most_points_near_shock"]


def _eps(eps: Sequence[float]) -> np.ndarray:
    e = np.asarray(eps, float).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)):
        raise ValueError(f"residuals must be a non-empty list of finite numbers; got {eps!r}")
    return e


def check_rad_probability(answer, eps: Sequence[float], index: int = -1, k: float = 1.0, c: float = 1.0) -> Result:
    """RAD draws candidate ``i`` with ``p_i ∝ ε_i^k / mean(ε^k) + c`` (Wu et al. 2023, Eq. 2);
    the expected value is :func:`pinnkit.sampling.residual_density` itself."""
    from ..sampling import residual_density

    expected = float(residual_density(_eps(eps), k, c)[index])
    return check_number(answer, expected, name="RAD probability", rtol=0.01,
                        hint="divide each ε^k by the mean of ε^k, add c to every entry, then normalise so the "
                             "probabilities sum to one.")


def check_r3_retained(answer, eps: Sequence[float]) -> Result:
    """R3 (Daw et al. 2023) keeps the points whose residual is above the population mean."""
    e = _eps(eps)
    return check_number(answer, int(np.sum(e > e.mean())), name="points R3 retains", rtol=0.0, atol=0.5,
                        hint="compute the mean residual of the population; count the points strictly above it.")


def check_rad_limit(answer) -> Result:
    """With ``k = 0`` every ``ε^k`` is 1: RAD's density is constant — uniform resampling. The
    expected choice is computed from :func:`pinnkit.sampling.residual_density`."""
    from ..sampling import residual_density

    p = residual_density(np.array([0.01, 0.3, 5.0, 40.0]), k=0.0, c=1.0)
    expected = "uniform" if np.allclose(p, p[0]) else "residual-weighted"
    return check_choice(answer, expected, name="RAD with k = 0", choices=["uniform", "residual-weighted", "greedy"],
                        hint="what is ε⁰ for every point? What does p ∝ 1 + c mean?")


def check_most_points_near_shock(answer, fractions: Mapping[str, float]) -> Result:
    """The sampler whose final points put the largest fraction near the shock (measured)."""
    if not fractions:
        raise ValueError("most points near the shock: no measured fractions given")
    best = max(fractions, key=fractions.get)
    return check_choice(answer, best, name="most points near the shock", choices=list(fractions),
                        hint="read the column 'fraction with |x| < 0.1' of the table; uniform points give about 0.1.")
