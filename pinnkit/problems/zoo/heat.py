"""Heat (diffusion) equation in 1D.

    u_t = κ u_xx,  x ∈ [0, 1], t ∈ [0, 1],  u(0, t) = u(1, t) = 0,
    u(x, 0) = Σ_j b_j sin(n_j π x),

solved by separation of variables: u = Σ_j b_j e^{−κ (n_j π)² t} sin(n_j π x). The
default initial state sin(πx) + ½ sin(4πx) has a slow and a fast mode, so the
solution shows two time scales (the fast mode decays 16 times faster).

Hard constraint: u = u0(x) + t x (1 − x) n satisfies the initial and both boundary
conditions exactly.
"""
from __future__ import annotations

import math

import torch

from ..conditions import Dirichlet, Initial
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem
from ._common import check_number, numpy_reference

__all__ = ["heat", "heat_exact", "MODES"]

#: (n_j, b_j) of the initial state Σ b_j sin(n_j π x)
MODES: tuple[tuple[int, float], ...] = ((1, 1.0), (4, 0.5))


def heat_exact(x: torch.Tensor, kappa: float) -> torch.Tensor:
    """``u(x: (N, 2) columns (x, t)) -> (N, 1)``."""
    xs, t = x[:, :1], x[:, 1:2]
    return sum(b * torch.exp(-kappa * (n * math.pi) ** 2 * t) * torch.sin(n * math.pi * xs) for n, b in MODES)


def _initial(x, p=None):
    xs = x[:, :1]
    return sum(b * torch.sin(n * math.pi * xs) for n, b in MODES)


def heat(kappa: float = 0.1) -> Problem:
    """u_t = κ u_xx on [0, 1] × [0, 1], zero ends, u0 = sin πx + ½ sin 4πx."""
    kappa = check_number("heat", "kappa", kappa, positive=True)
    domain = TimeDomain(Interval(0.0, 1.0), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") - p["kappa"] * D(u, "xx")

    def hard(x, n, p):
        xs, t = x[:, :1], x[:, 1:2]
        return _initial(x) + t * xs * (1 - xs) * n

    return Problem(
        name="heat",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, _initial),
            "left": Dirichlet(domain, "x", "low", 0.0),
            "right": Dirichlet(domain, "x", "high", 0.0),
        },
        parameters={"kappa": Parameter(kappa, 1e-3, 1.0, log=True, doc="diffusivity κ")},
        reference=numpy_reference(lambda x: heat_exact(x, kappa)),
        hard=hard,
        hard_satisfies=("initial", "left", "right"),
        test_shape=(101, 101),
        equation="u_t = κ u_xx",
        factory=heat,
    )
