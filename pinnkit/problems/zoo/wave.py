"""1D wave equation, the NTK-weighting benchmark (Wang, Yu & Perdikaris, JCP 2022,
arXiv 2007.14527):

    u_tt = c² u_xx,  x ∈ [0, 1], t ∈ [0, 1],  u(0, t) = u(1, t) = 0,
    u(x, 0) = sin(πx) + ½ sin(4πx),  u_t(x, 0) = 0,

exact u = sin(πx) cos(cπt) + ½ sin(4πx) cos(4cπt); the paper's c = 2 gives
cos(2πt) and cos(8πt). (PINNsFormer's variant, Zhao et al., ICLR 2024, uses 3π instead of 4π.)

Hard constraint: u = u0(x) + t² x (1 − x) n satisfies both initial conditions and both
boundary conditions exactly.
"""
from __future__ import annotations

import math

import torch

from ..conditions import Dirichlet, Initial
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem
from ._common import check_number, numpy_reference

__all__ = ["wave", "wave_exact"]


def wave_exact(x: torch.Tensor, c: float) -> torch.Tensor:
    """``u(x: (N, 2) columns (x, t)) -> (N, 1)``."""
    xs, t = x[:, :1], x[:, 1:2]
    return (torch.sin(math.pi * xs) * torch.cos(c * math.pi * t)
            + 0.5 * torch.sin(4 * math.pi * xs) * torch.cos(4 * c * math.pi * t))


def _initial(x, p=None):
    xs = x[:, :1]
    return torch.sin(math.pi * xs) + 0.5 * torch.sin(4 * math.pi * xs)


def wave(c: float = 2.0) -> Problem:
    """u_tt = c² u_xx on [0, 1]², fixed ends, u0 = sin πx + ½ sin 4πx, at rest initially."""
    c = check_number("wave", "c", c, positive=True)
    domain = TimeDomain(Interval(0.0, 1.0), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "tt") - p["c"] ** 2 * D(u, "xx")

    def hard(x, n, p):
        xs, t = x[:, :1], x[:, 1:2]
        return _initial(x) + t**2 * xs * (1 - xs) * n

    return Problem(
        name="wave",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, _initial),
            "initial_velocity": Initial(domain, 0.0, derivative=1),
            "left": Dirichlet(domain, "x", "low", 0.0),
            "right": Dirichlet(domain, "x", "high", 0.0),
        },
        parameters={"c": Parameter(c, 0.5, 5.0, doc="wave speed c")},
        reference=numpy_reference(lambda x: wave_exact(x, c)),
        hard=hard,
        hard_satisfies=("initial", "initial_velocity", "left", "right"),
        test_shape=(101, 101),
        equation="u_tt = c² u_xx",
        factory=wave,
    )
