"""Poisson problems with closed-form solutions.

1D, on x ∈ [0, 1] with Dirichlet ends (the exact values, zero for integer ``a``):

    − u'' = f,   u = sin(a π x),                       f = (aπ)² sin(aπx)        (poisson1d)
    − u'' = f,   u = sin(π x) + ε sin(a π x),          f = π² sin πx + ε (aπ)² sin aπx
                                                                    (poisson1d_multiscale)

The multi-scale solution is the standard probe of spectral bias: a plain MLP fits the
low frequency quickly and the ``a``-th one slowly (Rahaman et al., ICML 2019; the
operator-preconditioning view of De Ryck et al., ICLR 2024 (docs/methods/operator-preconditioning.md): the
conditioning of −u'' grows like the frequency to the fourth power).

2D, on the unit square with Dirichlet data on its four edges:

    − Δu = f,   u = sin(a1 π x) sin(a2 π y),   f = ((a1π)² + (a2π)²) u          (poisson2d)

Hard constraints: ``g(0)(1 − x) + g(1) x + x(1 − x) n`` in 1D; in 2D the Coons patch of
the boundary values plus ``x(1 − x) y(1 − y) n`` (zero lift for integer frequencies).
"""
from __future__ import annotations

import math

import torch

from ..conditions import Dirichlet
from ..domains import Interval, Rectangle
from ..problem import Parameter, Problem
from ._common import check_number, dirichlet_edges, line_lift, numpy_reference, product_lift

__all__ = ["poisson1d", "poisson1d_multiscale", "poisson2d", "poisson1d_exact", "poisson2d_exact"]


def _sine(a):
    return lambda x: torch.sin(a * math.pi * x)


def poisson1d_exact(x: torch.Tensor, a: float, amplitude: float = 0.0, base: bool = False) -> torch.Tensor:
    """``u(x: (N, 1)) -> (N, 1)``: ``sin(aπx)``, or ``sin(πx) + amplitude·sin(aπx)`` with ``base``."""
    x = x[:, :1]
    return torch.sin(math.pi * x) + amplitude * torch.sin(a * math.pi * x) if base else torch.sin(a * math.pi * x)


def _poisson1d(name: str, exact, forcing, parameters: dict, factory, equation: str) -> Problem:
    domain = Interval(0.0, 1.0)

    def residual(x, u, D, p):
        return -D(u, "xx") - forcing(x, p)

    def hard(x, n, p):
        xs = x[:, :1]
        return line_lift(lambda s: exact(s, p), 0.0, 1.0, xs) + xs * (1 - xs) * n

    return Problem(
        name=name,
        domain=domain,
        residual=residual,
        conditions={
            "left": Dirichlet(domain, "x", "low", lambda x, p: exact(x, p)),
            "right": Dirichlet(domain, "x", "high", lambda x, p: exact(x, p)),
        },
        parameters=parameters,
        reference=numpy_reference(lambda x: exact(x, {k: v.value for k, v in parameters.items()})),
        hard=hard,
        hard_satisfies=("left", "right"),
        test_shape=(1001,),
        equation=equation,
        factory=factory,
    )


def poisson1d(a: float = 1.0) -> Problem:
    """−u'' = (aπ)² sin(aπx) on [0, 1], exact u = sin(aπx) (``a`` half-waves)."""
    a = check_number("poisson1d", "a", a, positive=True)

    def exact(x, p):
        return poisson1d_exact(x, p["a"])

    def forcing(x, p):
        return (p["a"] * math.pi) ** 2 * torch.sin(p["a"] * math.pi * x[:, :1])

    return _poisson1d(
        "poisson1d", exact, forcing,
        {"a": Parameter(a, 0.5, 16.0, doc="frequency a: u = sin(aπx)")},
        poisson1d, "−u'' = (aπ)² sin(aπx),  u = sin(aπx)",
    )


def poisson1d_multiscale(a: float = 20.0, amplitude: float = 0.1) -> Problem:
    """−u'' = f on [0, 1] with exact u = sin(πx) + amplitude · sin(aπx)."""
    a = check_number("poisson1d_multiscale", "a", a, positive=True)
    amplitude = check_number("poisson1d_multiscale", "amplitude", amplitude)

    def exact(x, p):
        return poisson1d_exact(x, p["a"], p["amplitude"], base=True)

    def forcing(x, p):
        xs = x[:, :1]
        high = p["amplitude"] * (p["a"] * math.pi) ** 2 * torch.sin(p["a"] * math.pi * xs)
        return math.pi**2 * torch.sin(math.pi * xs) + high

    return _poisson1d(
        "poisson1d_multiscale", exact, forcing,
        {
            "a": Parameter(a, 1.0, 100.0, log=True, doc="high frequency a"),
            "amplitude": Parameter(amplitude, 0.0, 1.0, doc="amplitude ε of the high frequency"),
        },
        poisson1d_multiscale, "−u'' = f,  u = sin(πx) + ε sin(aπx)",
    )


def poisson2d_exact(x: torch.Tensor, a1: float, a2: float) -> torch.Tensor:
    """``u(x: (N, 2)) = sin(a1 π x) sin(a2 π y) -> (N, 1)``."""
    return torch.sin(a1 * math.pi * x[:, :1]) * torch.sin(a2 * math.pi * x[:, 1:2])


def poisson2d(a1: float = 1.0, a2: float = 1.0) -> Problem:
    """−Δu = f on [0, 1]², exact u = sin(a1πx) sin(a2πy), Dirichlet data on the four edges."""
    a1 = check_number("poisson2d", "a1", a1, positive=True)
    a2 = check_number("poisson2d", "a2", a2, positive=True)
    domain = Rectangle((0.0, 0.0), (1.0, 1.0))

    def exact(x, p):
        return poisson2d_exact(x, p["a1"], p["a2"])

    def residual(x, u, D, p):
        k2 = (p["a1"] * math.pi) ** 2 + (p["a2"] * math.pi) ** 2
        return -(D(u, "xx") + D(u, "yy")) - k2 * exact(x, p)

    def hard(x, n, p):
        xs, ys = x[:, :1], x[:, 1:2]
        lift = product_lift(_sine(p["a1"]), _sine(p["a2"]), (0.0, 0.0), (1.0, 1.0), xs, ys)
        return lift + xs * (1 - xs) * ys * (1 - ys) * n

    g = lambda x, p: exact(x, p)  # noqa: E731  (Dirichlet data: the exact trace)
    return Problem(
        name="poisson2d",
        domain=domain,
        residual=residual,
        conditions=dirichlet_edges(domain, g),
        parameters={
            "a1": Parameter(a1, 0.5, 8.0, doc="frequency a1 in x"),
            "a2": Parameter(a2, 0.5, 8.0, doc="frequency a2 in y"),
        },
        reference=numpy_reference(lambda x: poisson2d_exact(x, a1, a2)),
        hard=hard,
        hard_satisfies=("left", "right", "bottom", "top"),
        test_shape=(101, 101),
        equation="−Δu = ((a1π)² + (a2π)²) sin(a1πx) sin(a2πy)",
        factory=poisson2d,
    )
