"""Convection (advection) with periodic boundaries, the failure-mode benchmark of
Krishnapriyan, Gholami, Zhe, Kirby & Mahoney (NeurIPS 2021, arXiv 2109.01050, §3 and
App. A):

    u_t + β u_x = 0,  x ∈ [0, 2π), t ∈ [0, 1],  u(x, 0) = sin x,  u(0, t) = u(2π, t),

exact solution u = sin(x − βt). A plain PINN trains for β ≲ 10 and fails for β ≳ 30 in
float32 (Xu et al., "FP64 is all you need", arXiv 2505.10949; docs/methods/lbfgs-and-precision.md); the default β = 30 is the paper's headline failure case
(also the R3 paper's setting). Any finite β is accepted (β < 0 transports to the left).

The paper's test grid is 256 x × 100 t (``test_shape``); pinnkit's grid includes both
ends x = 0 and x = 2π. Hard constraint: u = sin x + t n satisfies the initial condition
(periodicity needs a periodic input embedding, which is a model choice).
"""
from __future__ import annotations

import math

import torch

from ..conditions import Initial, Periodic
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem
from ._common import check_number, numpy_reference

__all__ = ["convection", "convection_exact"]


def convection_exact(x: torch.Tensor, beta: float) -> torch.Tensor:
    """``u(x: (N, 2) columns (x, t)) = sin(x − βt) -> (N, 1)``."""
    return torch.sin(x[:, :1] - beta * x[:, 1:2])


def convection(beta: float = 30.0) -> Problem:
    """u_t + β u_x = 0 on [0, 2π) × [0, 1], u0 = sin x, periodic in x."""
    beta = check_number("convection", "beta", beta)
    domain = TimeDomain(Interval(0.0, 2 * math.pi), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") + p["beta"] * D(u, "x")

    def hard(x, n, p):
        return torch.sin(x[:, :1]) + x[:, 1:2] * n

    return Problem(
        name="convection",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, lambda x, p: torch.sin(x[:, :1])),
            "periodic": Periodic(domain, "x"),
        },
        parameters={"beta": Parameter(beta, 0.0, 100.0, doc="transport speed β")},
        reference=numpy_reference(lambda x: convection_exact(x, beta)),
        hard=hard,
        hard_satisfies=("initial",),
        test_shape=(256, 100),
        equation="u_t + β u_x = 0",
        factory=convection,
    )
