"""Derivatives of network outputs with respect to their inputs.

Shapes: ``x`` is ``(N, d)`` with ``requires_grad``; ``u`` is ``(N, 1)`` (one output
column) computed from ``x``. Every derivative returned is ``(N, 1)``.

The engine is reverse-mode autograd with ``create_graph=True`` so that derivatives can
be differentiated again (for higher orders and for the training gradient). First
derivatives are computed once for all coordinates with a single ``autograd.grad`` call
and reused by every higher derivative that starts from them.
"""
from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["gradient", "partial", "laplacian", "Derivatives"]


def _check(u: torch.Tensor, x: torch.Tensor) -> None:
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, d); got {tuple(x.shape)}")
    if u.ndim != 2 or u.shape[1] != 1 or u.shape[0] != x.shape[0]:
        raise ValueError(
            f"u must have shape (N, 1) with the same N as x (N={x.shape[0]}); got {tuple(u.shape)}"
        )
    if not x.requires_grad:
        raise ValueError("x must have requires_grad=True to take derivatives with respect to it")


def gradient(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """All first partial derivatives: ``u: (N, 1)``, ``x: (N, d)`` -> ``(N, d)``."""
    _check(u, x)
    (g,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)
    return g


def partial(u: torch.Tensor, x: torch.Tensor, *axes: int) -> torch.Tensor:
    """Mixed partial derivative ``∂^k u / ∂x_{a1} ... ∂x_{ak}`` -> ``(N, 1)``.

    ``partial(u, x, 0, 0)`` is ``u_{x0 x0}``; with no axes, ``u`` itself.
    """
    out = u
    for a in axes:
        if not 0 <= a < x.shape[1]:
            raise ValueError(f"axis {a} out of range for x with {x.shape[1]} columns")
        out = gradient(out, x)[:, a : a + 1]
    return out


def laplacian(u: torch.Tensor, x: torch.Tensor, axes: Sequence[int] | None = None) -> torch.Tensor:
    """Sum of second derivatives over ``axes`` (all columns by default) -> ``(N, 1)``."""
    g = gradient(u, x)
    axes = range(x.shape[1]) if axes is None else axes
    return sum(gradient(g[:, a : a + 1], x)[:, a : a + 1] for a in axes)


class Derivatives:
    """Named, cached derivatives for writing residuals like the equation.

    ``D = Derivatives(x, ("x", "t"))`` then ``D(u, "t")``, ``D(u, "xx")``, ``D(u, "xt")``.
    A spec is a string of coordinate names (single letters) read left to right. Results are
    cached per ``(u, spec)``; ``D(u, "xx")`` reuses the first derivatives of ``D(u, "x")``.
    """

    def __init__(self, x: torch.Tensor, names: Sequence[str]):
        if x.ndim != 2 or x.shape[1] != len(names):
            raise ValueError(f"x has shape {tuple(x.shape)} but {len(names)} coordinate names {tuple(names)}")
        self.x = x
        self.names = tuple(names)
        self._cache: dict[tuple[int, str], torch.Tensor] = {}
        self._grads: dict[tuple[int, str], torch.Tensor] = {}

    def _axis(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown coordinate {name!r}; this problem has {self.names}") from None

    def __call__(self, u: torch.Tensor, spec: str) -> torch.Tensor:
        if spec == "":
            return u
        key = (id(u), spec)
        if key in self._cache:
            return self._cache[key]
        base = self(u, spec[:-1])
        gkey = (id(u), spec[:-1])
        if gkey not in self._grads:
            self._grads[gkey] = gradient(base, self.x)
        out = self._grads[gkey][:, self._axis(spec[-1]) : self._axis(spec[-1]) + 1]
        self._cache[key] = out
        return out

    def laplacian(self, u: torch.Tensor, names: Sequence[str] | None = None) -> torch.Tensor:
        names = [n for n in self.names if n != "t"] if names is None else names
        return sum(self(u, n + n) for n in names)
