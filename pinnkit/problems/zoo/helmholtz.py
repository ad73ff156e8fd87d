"""2D Helmholtz equation, the benchmark of learning-rate annealing (Wang, Teng &
Perdikaris, SISC 2021, arXiv 2001.04536):

    Δu + k² u = q  on [−1, 1]²,  u = sin(a1 π x) sin(a2 π y),
    q = (k² − (a1π)² − (a2π)²) sin(a1 π x) sin(a2 π y),

Dirichlet data on the four edges (zero for the paper's integers a1 = 1, a2 = 4; the
exact trace otherwise), k = 1.

Hard constraint: the Coons patch of the boundary values (zero for integer a1, a2) plus
(1 − x²)(1 − y²) n.
"""
from __future__ import annotations

import math

import torch

from ..domains import Rectangle
from ..problem import Parameter, Problem
from ._common import check_number, dirichlet_edges, numpy_reference, product_lift

__all__ = ["helmholtz", "helmholtz_exact"]


def helmholtz_exact(x: torch.Tensor, a1: float, a2: float) -> torch.Tensor:
    """``u(x: (N, 2)) = sin(a1 π x) sin(a2 π y) -> (N, 1)``."""
    return torch.sin(a1 * math.pi * x[:, :1]) * torch.sin(a2 * math.pi * x[:, 1:2])


def helmholtz(a1: float = 1.0, a2: float = 4.0, k: float = 1.0) -> Problem:
    """Δu + k²u = q on [−1, 1]², exact sin(a1πx) sin(a2πy), Dirichlet on four edges."""
    a1 = check_number("helmholtz", "a1", a1, positive=True)
    a2 = check_number("helmholtz", "a2", a2, positive=True)
    k = check_number("helmholtz", "k", k, nonnegative=True)
    domain = Rectangle((-1.0, -1.0), (1.0, 1.0))

    def exact(x, p):
        return helmholtz_exact(x, p["a1"], p["a2"])

    def residual(x, u, D, p):
        q = (p["k"] ** 2 - (p["a1"] * math.pi) ** 2 - (p["a2"] * math.pi) ** 2) * exact(x, p)
        return D(u, "xx") + D(u, "yy") + p["k"] ** 2 * u - q

    def hard(x, n, p):
        xs, ys = x[:, :1], x[:, 1:2]
        s1 = lambda s: torch.sin(p["a1"] * math.pi * s)  # noqa: E731
        s2 = lambda s: torch.sin(p["a2"] * math.pi * s)  # noqa: E731
        return product_lift(s1, s2, (-1.0, -1.0), (1.0, 1.0), xs, ys) + (1 - xs**2) * (1 - ys**2) * n

    g = lambda x, p: exact(x, p)  # noqa: E731  (Dirichlet data: the exact trace)
    return Problem(
        name="helmholtz",
        domain=domain,
        residual=residual,
        conditions=dirichlet_edges(domain, g),
        parameters={
            "a1": Parameter(a1, 0.5, 8.0, doc="frequency a1 in x"),
            "a2": Parameter(a2, 0.5, 8.0, doc="frequency a2 in y"),
            "k": Parameter(k, 0.0, 10.0, doc="wavenumber k"),
        },
        reference=numpy_reference(lambda x: helmholtz_exact(x, a1, a2)),
        hard=hard,
        hard_satisfies=("left", "right", "bottom", "top"),
        test_shape=(101, 101),
        equation="Δu + k²u = q,  u = sin(a1πx) sin(a2πy)",
        factory=helmholtz,
    )
