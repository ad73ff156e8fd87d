"""Derivatives of network outputs with respect to their inputs.

Shapes: ``x`` is ``(N, d)`` with ``requires_grad``; ``u`` is ``(N, 1)`` (one output
column) computed from ``x``. Every derivative returned is ``(N, 1)``.

Derivatives are taken in reverse mode with ``create_graph=True`` so that they can be
differentiated again (for higher orders and for the training gradient). First derivatives
are computed once for all coordinates with a single ``autograd.grad`` call and reused by
every higher derivative that starts from them. A model run by a Taylor engine
(:mod:`pinnkit.models.engines`) may carry its first and second derivatives with its
output; they are read from there first (:mod:`.jets`).
"""
from __future__ import annotations

from typing import Sequence

import torch

from .jets import derivative_from_jet, jet_of, laplacian_estimate, note_reverse_mode

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


def _reverse_gradient(u: torch.Tensor, x: torch.Tensor, constant_ok: bool) -> torch.Tensor:
    if not u.requires_grad:
        if constant_ok and torch.is_grad_enabled():
            return torch.zeros_like(x)
        raise ValueError("u does not depend on x (it has no autograd graph): was it computed from a "
                         "detached x or under torch.no_grad()?")
    (g,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True, allow_unused=True)
    if g is None:
        if constant_ok:
            return torch.zeros_like(x)
        raise ValueError("u does not depend on x: was it computed from a detached copy of x?")
    return g


def gradient(u: torch.Tensor, x: torch.Tensor, *, constant_ok: bool = False) -> torch.Tensor:
    """All first partial derivatives: ``u: (N, 1)``, ``x: (N, d)`` -> ``(N, d)``.

    A ``u`` that does not depend on ``x`` is an error (a detached ``x`` or
    ``torch.no_grad()`` upstream), unless ``constant_ok``: then its derivative is zero.
    Higher derivatives pass ``constant_ok=True`` since e.g. ``u_xx`` of a linear ``u``
    is a constant that autograd no longer connects to ``x``.
    """
    _check(u, x)
    jet = jet_of(u, x)
    if jet is not None:
        return jet.gradient()
    note_reverse_mode(x)
    return _reverse_gradient(u, x, constant_ok)


def _check_axis(a: int, x: torch.Tensor) -> None:
    if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < x.shape[1]:
        raise ValueError(f"axis {a!r} out of range for x with {x.shape[1]} columns")


def partial(u: torch.Tensor, x: torch.Tensor, *axes: int) -> torch.Tensor:
    """Mixed partial derivative ``∂^k u / ∂x_{a1} ... ∂x_{ak}`` -> ``(N, 1)``.

    ``partial(u, x, 0, 0)`` is ``u_{x0 x0}``; with no axes, ``u`` itself.
    """
    for a in axes:
        _check_axis(a, x)
    out = u
    for k, a in enumerate(axes):
        out = gradient(out, x, constant_ok=k > 0)[:, a : a + 1]
    return out


def laplacian(u: torch.Tensor, x: torch.Tensor, axes: Sequence[int] | None = None) -> torch.Tensor:
    """Sum of second derivatives over ``axes`` (all columns by default) -> ``(N, 1)``."""
    axes = list(range(x.shape[1]) if axes is None else axes)
    if not axes:
        raise ValueError("laplacian needs at least one axis")
    for a in axes:
        _check_axis(a, x)
    estimate = laplacian_estimate(u, x)
    if estimate is not None:  # a Laplacian estimator of pinnkit.models.laplacians
        return estimate(axes)
    g = gradient(u, x)
    return sum(gradient(g[:, a : a + 1], x, constant_ok=True)[:, a : a + 1] for a in axes)


class Derivatives:
    """Named, cached derivatives for writing residuals like the equation.

    ``D = Derivatives(x, ("x", "t"))`` then ``D(u, "t")``, ``D(u, "xx")``, ``D(u, "xt")``.
    A spec is a string of coordinate names (single letters) read left to right. Results are
    cached per ``(u, spec)``; ``D(u, "xx")`` reuses the first derivatives of ``D(u, "x")``.
    The cache is keyed by ``id(u)``, so every ``u`` seen is kept alive with the cache (a
    freed temporary's id could otherwise be reused by another tensor and hit stale entries).
    """

    def __init__(self, x: torch.Tensor, names: Sequence[str]):
        if x.ndim != 2 or x.shape[1] != len(names):
            raise ValueError(f"x has shape {tuple(x.shape)} but {len(names)} coordinate names {tuple(names)}")
        self.x = x
        self.names = tuple(names)
        self._cache: dict[tuple[int, str], torch.Tensor] = {}
        self._grads: dict[tuple[int, str], torch.Tensor] = {}
        self._seen: dict[int, torch.Tensor] = {}

    def _axis(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown coordinate {name!r}; this problem has {self.names}") from None

    def __call__(self, u: torch.Tensor, spec: str) -> torch.Tensor:
        if not isinstance(spec, str):
            raise ValueError(f"a derivative spec is a string of coordinate names such as 'xx'; got {spec!r}")
        if spec == "":
            return u
        axes = tuple(self._axis(name) for name in spec)
        self._seen.setdefault(id(u), u)
        key = (id(u), spec)
        if key in self._cache:
            return self._cache[key]
        out = derivative_from_jet(u, self.x, axes)
        if out is None:  # reverse mode: differentiate the derivative one order lower
            base = self(u, spec[:-1])
            gkey = (id(u), spec[:-1])
            if gkey not in self._grads:
                _check(base, self.x)
                self._grads[gkey] = _reverse_gradient(base, self.x, constant_ok=len(spec) > 1)
            out = self._grads[gkey][:, axes[-1] : axes[-1] + 1]
        self._cache[key] = out
        return out

    def laplacian(self, u: torch.Tensor, names: Sequence[str] | None = None) -> torch.Tensor:
        """``Σ_n ∂²u/∂n²`` over ``names`` (the non-time coordinates by default). A model run
        with a Laplacian estimator (``RunConfig(laplacian="stde")``,
        :mod:`pinnkit.models.laplacians`) attaches its estimate to ``u``; it is used here."""
        names = [n for n in self.names if n != "t"] if names is None else list(names)
        if not names:
            raise ValueError("laplacian needs at least one coordinate name")
        estimate = laplacian_estimate(u, self.x)
        if estimate is not None:  # a Laplacian estimator of pinnkit.models.laplacians
            return estimate([self._axis(n) for n in names])
        return sum(self(u, n + n) for n in names)
