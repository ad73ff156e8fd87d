"""Kolmogorov–Arnold networks: learnable functions on the edges, sums on the nodes.

- :class:`KANLayer` / :class:`KAN` (``"kan"``) — B-spline edges of Liu et al., "KAN:
  Kolmogorov–Arnold Networks" (arXiv 2404.19756, Eq. 2.10):
  ``φ(x) = w_b silu(x) + w_s Σ_c c_c B_c(x)``, B-splines of order ``k`` on ``G`` intervals
  of a grid on an interval, with **grid extension** (§2.4: the coefficients of a finer grid
  fitted by least squares to the coarse spline, so the function is kept).
- :class:`ChebyKANLayer` / :class:`ChebyKAN` (``"chebykan"``) — the Chebyshev basis used by
  physics-informed KANs ("cPIKAN"; e.g. Mostajeran & Faroughi, arXiv 2501.02762):
  ``φ(x) = Σ_{n=0}^{D} c_n T_n(tanh x)``, the tanh keeping every layer's input in [−1, 1].

A layer maps ``(N, in)`` to ``(N, out)`` with ``y_j = Σ_i φ_{j,i}(x_i)``. Neither describes
Taylor stages, so the Taylor engines run them with reverse mode and say so
(:meth:`~pinnkit.models.engines.Engine.describe`, ``history.meta["engine"]``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .networks import _check_input, register

__all__ = ["KANLayer", "KAN", "ChebyKANLayer", "ChebyKAN", "bspline_basis", "uniform_grid"]


def uniform_grid(low: torch.Tensor, high: torch.Tensor, intervals: int, order: int) -> torch.Tensor:
    """Knots ``(in, G + 2k + 1)``: ``G`` equal intervals on ``[low_i, high_i]`` per input,
    extended by ``k`` intervals on each side (so that ``G + k`` B-splines span the interval)."""
    h = (high - low) / intervals
    j = torch.arange(-order, intervals + order + 1, dtype=low.dtype, device=low.device)
    return low[:, None] + j[None, :] * h[:, None]


def bspline_basis(x: torch.Tensor, grid: torch.Tensor, order: int) -> torch.Tensor:
    """B-splines of order ``k`` (degree ``k``) by the Cox–de Boor recursion (de Boor, *A
    Practical Guide to Splines*, 1978, ch. IX): ``x: (N, in)``, ``grid: (in, G + 2k + 1)``
    -> ``(N, in, G + k)``. Piecewise polynomials of ``x`` built from differentiable torch ops,
    so reverse mode gives their exact derivatives inside each interval."""
    x = x.unsqueeze(-1)
    t = grid.unsqueeze(0)
    B = ((x >= t[..., :-1]) & (x < t[..., 1:])).to(x.dtype)
    for p in range(1, order + 1):
        left = (x - t[..., :-(p + 1)]) / (t[..., p:-1] - t[..., :-(p + 1)])
        right = (t[..., p + 1:] - x) / (t[..., p + 1:] - t[..., 1:-p])
        B = left * B[..., :-1] + right * B[..., 1:]
    return B


def _check_widths(widths, in_dim: int, out_dim: int, who: str) -> list[int]:
    widths = list(widths)
    if len(widths) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"{who} widths must be a list of at least two positive integers; got {widths!r}")
    if widths[0] != in_dim or widths[-1] != out_dim:
        raise ValueError(f"{who} widths {widths} must start with the input size {in_dim} and end with the "
                         f"output size {out_dim}")
    return widths


class KANLayer(nn.Module):
    """``(N, in) -> (N, out)``: ``y_j = Σ_i w_b[j,i] silu(x_i) + w_s[j,i] Σ_c coef[j,i,c] B_c(x_i)``
    (Liu et al., arXiv 2404.19756, Eq. 2.10), cubic (``order=3``) B-splines on ``intervals``
    equal intervals of ``grid_range``. Initialisation as in the paper (§2.2): ``w_s = 1``,
    ``w_b`` Xavier, the spline near zero (coefficients ``N(0, noise²)``).

    Parameters per layer: ``out · in · (G + k + 2)``."""

    def __init__(self, in_dim: int, out_dim: int, intervals: int = 5, order: int = 3,
                 grid_range: Sequence[float] = (-1.0, 1.0), noise: float = 0.1, generator: torch.Generator | None = None):
        super().__init__()
        if isinstance(intervals, bool) or not isinstance(intervals, int) or intervals < 1:
            raise ValueError(f"KAN grid must be a positive number of intervals; got {intervals!r}")
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise ValueError(f"KAN spline order must be a non-negative integer; got {order!r}")
        lo, hi = (float(v) for v in grid_range)
        if not hi > lo:
            raise ValueError(f"KAN grid_range must be (low, high) with high > low; got {tuple(grid_range)}")
        self.in_dim, self.out_dim, self.order = in_dim, out_dim, order
        self.register_buffer("grid", uniform_grid(torch.full((in_dim,), lo), torch.full((in_dim,), hi), intervals, order))
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        self.coef = nn.Parameter(noise * torch.randn(out_dim, in_dim, intervals + order, generator=g))
        self.w_s = nn.Parameter(torch.ones(out_dim, in_dim))
        self.w_b = nn.Parameter(torch.empty(out_dim, in_dim))
        nn.init.xavier_uniform_(self.w_b, generator=g)

    @property
    def intervals(self) -> int:
        return self.grid.shape[1] - 2 * self.order - 1

    def basis(self, x: torch.Tensor) -> torch.Tensor:
        return bspline_basis(x, self.grid.to(x.dtype), self.order)

    def spline(self, x: torch.Tensor) -> torch.Tensor:
        """The spline parts ``Σ_c coef[j,i,c] B_c(x_i)`` of every edge: ``(N, out, in)``."""
        return torch.einsum("nic,jic->nji", self.basis(x), self.coef)

    def forward(self, x):
        _check_input(x, self.in_dim, "KANLayer")
        splines = torch.einsum("nic,jic->nj", self.basis(x), self.coef * self.w_s.unsqueeze(-1))
        return F.silu(x) @ self.w_b.T + splines

    @torch.no_grad()
    def refit(self, intervals: int, samples: torch.Tensor | None = None, points: int = 0) -> None:
        """Grid extension (Liu et al. §2.4): a grid of ``intervals`` intervals, its
        coefficients the least-squares fit ``min ‖B_new(x) c_new − B_old(x) c_old‖²`` of every
        edge's current spline at sample inputs ``x``.

        - ``samples=None``: the same interval, samples evenly spread over it. When the new
          grid's knots contain the old ones (``intervals`` a multiple of the old number) the
          coarse spline lies in the fine spline space and is kept to round-off there.
        - ``samples: (M, in)``: each input's interval becomes the samples' range (the uniform
          grid update of the paper, ``grid_eps = 1``), the fit is on the samples.
        """
        if isinstance(intervals, bool) or not isinstance(intervals, int) or intervals < 1:
            raise ValueError(f"KAN grid must be a positive number of intervals; got {intervals!r}")
        k = self.order
        old = self.grid
        if samples is None:
            lo, hi = old[:, k], old[:, -k - 1]
            m = max(points, 4 * (intervals + k) + 1)
            s = torch.linspace(0, 1, m, dtype=old.dtype, device=old.device)
            samples = lo[None, :] + s[:, None] * (hi - lo)[None, :]
        else:
            if samples.ndim != 2 or samples.shape[1] != self.in_dim:
                raise ValueError(f"refit samples must have shape (M, {self.in_dim}); got {tuple(samples.shape)}")
            samples = samples.to(old.dtype)
            lo, hi = samples.min(0).values, samples.max(0).values
            pad = 1e-6 * torch.clamp(hi - lo, min=1.0)  # the largest sample stays inside the last interval
            lo, hi = lo - pad, hi + pad
        target = self.spline(samples.to(self.coef.dtype))  # (M, out, in)
        new = uniform_grid(lo, hi, intervals, k)
        A = bspline_basis(samples, new, k).permute(1, 0, 2)  # (in, M, G' + k)
        work = torch.float64  # the normal equations of a fine grid are ill-conditioned in float32
        c = torch.linalg.lstsq(A.to(work), target.permute(2, 0, 1).to(work), driver="gelsd").solution  # (in, G'+k, out)
        self.grid = new.to(old.dtype)
        self.coef = nn.Parameter(c.permute(2, 0, 1).contiguous().to(self.coef.dtype))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a checkpoint saved after grid extension holds a finer grid: take its sizes first
        grid, coef = state_dict.get(prefix + "grid"), state_dict.get(prefix + "coef")
        if grid is not None and coef is not None and grid.shape != self.grid.shape:
            self.grid = torch.empty_like(grid, dtype=self.grid.dtype)
            self.coef = nn.Parameter(torch.empty(coef.shape, dtype=self.coef.dtype))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class ChebyKANLayer(nn.Module):
    """``(N, in) -> (N, out)``: ``y_j = Σ_i Σ_{n=0}^{D} c[j,i,n] T_n(tanh x_i)``, Chebyshev
    polynomials by ``T_0 = 1, T_1 = s, T_{n+1} = 2 s T_n − T_{n−1}`` (``s = tanh x``);
    coefficients ``N(0, 1 / (in (D + 1)))``. Parameters: ``out · in · (D + 1)``."""

    def __init__(self, in_dim: int, out_dim: int, degree: int = 4, generator: torch.Generator | None = None):
        super().__init__()
        if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
            raise ValueError(f"Chebyshev KAN degree must be a positive integer; got {degree!r}")
        self.in_dim, self.out_dim, self.degree = in_dim, out_dim, degree
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        self.coef = nn.Parameter(torch.randn(out_dim, in_dim, degree + 1, generator=g) / np.sqrt(in_dim * (degree + 1)))

    def forward(self, x):
        _check_input(x, self.in_dim, "ChebyKANLayer")
        s = torch.tanh(x)
        T = [torch.ones_like(s), s]
        for _ in range(2, self.degree + 1):
            T.append(2 * s * T[-1] - T[-2])
        return torch.einsum("nid,jid->nj", torch.stack(T, dim=-1), self.coef)


class _KANBase(nn.Module):
    """Input scaling of the domain box to [-1, 1] (as :class:`~pinnkit.models.MLP`), an
    optional embedding, then the layers."""

    def _setup(self, in_dim, out_dim, widths, width, depth, low, high, embedding, who):
        self.in_dim, self.out_dim = in_dim, out_dim
        first = embedding.out_dim if embedding is not None else in_dim
        widths = [first] + [width] * depth + [out_dim] if widths is None else _check_widths(widths, first, out_dim, who)
        self.widths = widths
        self.embedding = embedding
        if (low is None) != (high is None):
            raise ValueError("give both low and high to scale inputs, or neither")
        if low is not None:
            lo, hi = torch.tensor(low, dtype=torch.float64), torch.tensor(high, dtype=torch.float64)
            self.register_buffer("shift", ((hi + lo) / 2).float())
            self.register_buffer("scale", (2 / (hi - lo)).float())
        else:
            self.shift = self.scale = None
        return widths

    def forward(self, x):
        _check_input(x, self.in_dim, type(self).__name__)
        if self.shift is not None:
            x = (x - self.shift) * self.scale
        if self.embedding is not None:
            x = self.embedding(x)
        for layer in self.layers:
            x = layer(x)
        return x


@register("kan")
class KAN(_KANBase):
    """A B-spline KAN (Liu et al., arXiv 2404.19756): :class:`KANLayer` s of sizes ``widths``
    (e.g. ``[2, 5, 1]``; default ``[in] + [width] * depth + [out]``), ``grid`` intervals of
    order-``order`` B-splines on ``grid_range``, inputs scaled from the domain box to [-1, 1].
    ``activation`` is not used: each edge learns its own function on a SiLU base.

    ``extend_grid(intervals, x=None)`` refines every layer's grid (:meth:`KANLayer.refit`);
    with model inputs ``x`` each layer's grid is first moved to the range of its inputs."""

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 5, depth: int = 1, activation: str = "tanh",
                 seed: int = 0, low=None, high=None, embedding: nn.Module | None = None,
                 widths: Sequence[int] | None = None, grid: int = 5, order: int = 3,
                 grid_range: Sequence[float] = (-1.0, 1.0), noise: float = 0.1):
        super().__init__()
        widths = self._setup(in_dim, out_dim, widths, width, depth, low, high, embedding, "KAN")
        g = torch.Generator().manual_seed(seed)
        self.layers = nn.ModuleList([KANLayer(a, b, grid, order, grid_range, noise, g)
                                     for a, b in zip(widths[:-1], widths[1:])])

    @property
    def grid(self) -> int:
        return self.layers[0].intervals

    @torch.no_grad()
    def extend_grid(self, intervals: int, x: torch.Tensor | None = None) -> None:
        if x is not None:
            _check_input(x, self.in_dim, "KAN.extend_grid")
            x = x.to(self.layers[0].coef.dtype)
            if self.shift is not None:
                x = (x - self.shift) * self.scale
            if self.embedding is not None:
                x = self.embedding(x)
        for layer in self.layers:
            layer.refit(intervals, x)
            if x is not None:
                x = layer(x)


@register("chebykan")
class ChebyKAN(_KANBase):
    """A Chebyshev KAN (:class:`ChebyKANLayer` s of sizes ``widths``, polynomial ``degree``),
    inputs scaled from the domain box to [-1, 1]; ``activation`` is not used."""

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 8, depth: int = 1, activation: str = "tanh",
                 seed: int = 0, low=None, high=None, embedding: nn.Module | None = None,
                 widths: Sequence[int] | None = None, degree: int = 4):
        super().__init__()
        widths = self._setup(in_dim, out_dim, widths, width, depth, low, high, embedding, "ChebyKAN")
        g = torch.Generator().manual_seed(seed)
        self.layers = nn.ModuleList([ChebyKANLayer(a, b, degree, g) for a, b in zip(widths[:-1], widths[1:])])
