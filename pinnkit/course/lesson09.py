"""Checks for lesson 09, failure mode I — transport: curriculum and seq2seq (``notebooks/09_transport.ipynb``)."""
from __future__ import annotations

import math
from typing import Mapping

from . import Result, check_choice, check_number

__all__ = ["check_frozen_residual", "check_wraps", "check_windows", "check_best_strategy"]


def check_frozen_residual(answer, beta: float = 30.0) -> Result:
    """Mean squared residual of the frozen profile ``u = sin x`` in ``u_t + βu_x``: ``R = β cos x``,
    so ``mean R² = β²/2`` over a period — computed by pinnkit's convection residual on a grid."""
    import numpy as np
    import torch

    from ..problems import zoo
    from ..problems.derivatives import Derivatives

    p = zoo.get("convection", beta=beta)
    g = torch.tensor(p.test_grid((256, 9)), dtype=torch.float64)
    g = g[g[:, 0] < 2 * math.pi - 1e-9].requires_grad_(True)  # whole periods: drop the repeated endpoint
    u = torch.sin(g[:, :1])
    r = p.residual(g, u, Derivatives(g, p.domain.names), p.values)
    expected = float(np.mean(r.detach().numpy() ** 2))
    return check_number(answer, expected, name="mean squared residual of u = sin x", rtol=0.02,
                        hint="u_t = 0 for the frozen profile and u_x = cos x; the mean of cos² over a period is 1/2.")


def check_wraps(answer, beta: float = 30.0, t: float = 1.0) -> Result:
    """How many times the profile travels round the 2π-periodic domain by time ``t``: ``βt/2π``."""
    return check_number(answer, beta * t / (2 * math.pi), name="trips round the domain", rtol=0.02,
                        hint="u = u₀(x − βt): the profile moves a distance βt; the domain is 2π long.")


def check_windows(answer, beta: float = 30.0, per_window: float = 5.0) -> Result:
    """The fewest equal time windows of [0, 1] in which each sees a transport ``βΔt ≤ per_window``."""
    expected = math.ceil(beta / per_window - 1e-12)
    return check_number(answer, expected, name="number of windows", rtol=0.0, atol=0.5,
                        hint="with K windows, Δt = 1/K; solve β/K ≤ the target for the smallest whole K.")


def check_best_strategy(answer, errors: Mapping[str, float]) -> Result:
    """The strategy with the lowest measured median error."""
    if not errors:
        raise ValueError("best strategy: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="best strategy", choices=list(errors),
                        hint="read the median column of the table in section 1.")
