"""Convection in the characteristic (Lagrangian) frame.

The Eulerian problem u_t + β u_x = 0 on x ∈ [0, 2π) (periodic), t ∈ [0, 1],
u(x, 0) = sin x (Krishnapriyan et al., NeurIPS 2021) has characteristics x = s + βt.
Labelling each point by the foot s = (x − βt) mod 2π of its characteristic, the state
v(s, t) = u(s + βt, t) obeys

    v_t = 0,  v(s, 0) = sin s,  v periodic in s,

whose solution v = sin s does not depend on β: the transport speed only enters the map
back to the Eulerian frame, u(x, t) = v((x − βt) mod 2π, t) (:class:`ToEulerian`).

This is the state branch of the Lagrangian PINN of Mojgani, Balajewicz & Hassanzadeh
(arXiv 2205.02902). Their method also learns the characteristic curves
with a second branch (residual dX/dt − β = 0); for constant β those curves are the
straight lines X = s + βt, used here in closed form instead of being learned.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..conditions import Initial, Periodic
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem

__all__ = ["convection_lagrangian", "ToEulerian"]

PERIOD = 2 * math.pi


class ToEulerian(nn.Module):
    """``u(x, t) = v((x − βt) mod L, t)``: a model of the characteristic frame, read in the
    Eulerian frame. ``(N, 2) -> (N, out)`` with columns ``(x, t)``."""

    def __init__(self, model: nn.Module, beta: float, period: float = PERIOD):
        super().__init__()
        if not math.isfinite(beta) or not (math.isfinite(period) and period > 0):
            raise ValueError(f"beta must be finite and period > 0; got {beta!r}, {period!r}")
        self.model, self.beta, self.period = model, float(beta), float(period)
        self.in_dim, self.out_dim = 2, getattr(model, "out_dim", 1)

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"ToEulerian expects (N, 2) points (x, t); got {tuple(x.shape)}")
        t = x[:, 1:]
        s = torch.remainder(x[:, :1] - self.beta * t, self.period)
        return self.model(torch.cat([s, t], dim=1))


def convection_lagrangian(beta: float = 30.0) -> Problem:
    """Convection with speed ``beta`` in the frame of its characteristics (see module doc)."""
    if not (isinstance(beta, (int, float)) and math.isfinite(beta)):
        raise ValueError(f"convection_lagrangian: beta must be a finite number; got {beta!r}")
    domain = TimeDomain(Interval(0.0, PERIOD, name="s"), 0.0, 1.0)

    def residual(x, v, D, p):
        return D(v, "t")

    def hard(x, n, p):
        return torch.sin(x[:, :1]) + x[:, 1:] * n

    return Problem(
        name="convection_lagrangian",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, lambda x, p: torch.sin(x[:, :1])),
            "periodic": Periodic(domain, "s"),
        },
        parameters={"beta": Parameter(beta, 0.0, 100.0,
                                      doc="transport speed β (enters only the map back to x = s + βt)")},
        reference=lambda X: np.sin(X[:, :1]),
        hard=hard,
        hard_satisfies=("initial",),
        test_shape=(256, 100),
        equation="v_t = 0 along s = x − βt  (u_t + β u_x = 0)",
        factory=convection_lagrangian,
    )
