"""Laplacian estimators: the exact trace of the Hessian, or an unbiased random estimate of it.

A residual asks for ``D.laplacian(u)`` (:class:`~pinnkit.problems.Derivatives`). By default
it is exact: nested reverse mode (``d`` backward passes for ``d`` coordinates) or the jets
of a Taylor engine (:mod:`.engines`, ``d`` derivative channels). Both cost grows with
``d`` for every point. The estimators here replace that sum by a few *second directional
derivatives* ``vᵀ ∇²u v``, each one a univariate second-order Taylor jet of the network
along ``v`` (forward mode: ``ẏ = σ'(z) ż``, ``ÿ = σ'(z) z̈ + σ''(z) ż²``), so their cost
does not grow with ``d`` beyond the first layer:

- ``"hutchinson"`` — ``Δu ≈ (1/S) Σ_k v_kᵀ ∇²u v_k`` with Rademacher ``v_k`` (independent
  per point): unbiased since ``E[v vᵀ] = I``; variance ``(2/S) Σ_{i≠j} (∂_ij u)²``.
  M. F. Hutchinson, "A stochastic estimator of the trace of the influence matrix for
  Laplacian smoothing splines", Comm. Statist. Simulation Comput. 19 (1990).
- ``"stde"`` — the sparse Stochastic Taylor Derivative Estimator: ``B`` of the ``d``
  coordinates drawn without replacement (one draw per step, shared by the points),
  ``Δu ≈ (d/B) Σ_{i∈S} ∂²u/∂x_i²``, each ``∂²u/∂x_i²`` the 2-jet along ``e_i``. Unbiased
  (each coordinate is drawn with probability ``B/d``); ``B >= d`` is the exact Laplacian.
  Z. Shi, Z. Hu, M. Lin, K. Kawaguchi, "Stochastic Taylor Derivative Estimator: Efficient
  amortization for arbitrary differential operators", NeurIPS 2024, arXiv:2412.00088.

The jets run through a network's Taylor stages (``model.taylor_stages()``,
:mod:`.jet_rules`) when it describes them, and through nested ``torch.func.jvp``
otherwise; both are ordinary differentiable torch code, so the training gradient flows
through the estimate.

``LaplacianModel(model, estimator, seed)`` is what training evaluates residuals with: its
output carries a lazy estimate (:func:`pinnkit.problems.jets.attach_laplacian`) that
``D.laplacian`` uses; nothing else (``D(u, "xx")``, first derivatives) changes.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from ..problems.jets import attach_laplacian
from .jet_rules import activation_derivatives

__all__ = ["LaplacianEstimator", "Exact", "Hutchinson", "SparseSTDE", "LAPLACIANS", "make_laplacian",
           "directional_second", "LaplacianModel"]


def _stages(model):
    from .engines import taylor_stages

    stages = taylor_stages(model) if isinstance(model, torch.nn.Module) else None
    if stages is None or getattr(model, "out_dim", 1) != 1:
        return None
    return stages


def _stage_jets(stages, x: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``vᵀ∇²u v`` for each direction: ``V: (K, 1 or N, d)`` -> ``(K, N, 1)``."""
    v, first, second = x, V, None
    for stage in stages:
        kind = stage[0]
        if kind == "affine":
            shift, scale = stage[1].to(x.dtype), stage[2].to(x.dtype)
            v, first = (v - shift) * scale, first * scale
            second = None if second is None else second * scale
        elif kind == "linear":
            W, b = stage[1], stage[2]
            v = v @ W.T if b is None else torch.addmm(b, v, W.T)
            first = first @ W.T
            second = None if second is None else second @ W.T
        elif kind == "act":
            v, s1, s2 = activation_derivatives(stage[1], v, stage[2] if len(stage) > 2 else ())
            curv = s2 * first * first
            second = curv if second is None else torch.addcmul(curv, s1, second)
            first = s1 * first
        else:
            raise ValueError(f"unknown stage {kind!r}")
    if second is None:  # an affine network: no curvature
        second = first.new_zeros((V.shape[0], x.shape[0], 1))
    return second.expand(V.shape[0], x.shape[0], second.shape[-1])


def directional_second(model: Callable, x: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """Second directional derivatives ``v_kᵀ ∇²u(x_n) v_k`` of a scalar model output.

    ``x: (N, d)``, ``V: (K, 1, d)`` (directions shared by the points) or ``(K, N, d)``
    -> ``(K, N, 1)``. A univariate second-order Taylor jet per direction, through the
    model's Taylor stages when it has them, nested ``torch.func.jvp`` otherwise."""
    if x.ndim != 2 or V.ndim != 3 or V.shape[-1] != x.shape[1] or V.shape[1] not in (1, x.shape[0]):
        raise ValueError(f"directions must be (K, 1, d) or (K, N, d) for x of shape {tuple(x.shape)}; "
                         f"got {tuple(V.shape)}")
    V = V.to(x.dtype)
    stages = _stages(model)
    if stages is not None and x.shape[1] == getattr(model, "in_dim", x.shape[1]):
        return _stage_jets(stages, x, V)
    from torch.func import jvp, vmap

    def along(v):
        v = v.expand_as(x)
        inner = lambda y: jvp(model, (y,), (v,))[1]  # noqa: E731
        return jvp(inner, (x,), (v,))[1]

    return vmap(along)(V)


def _axes(x: torch.Tensor, axes: Sequence[int] | None) -> list[int]:
    d = x.shape[1]
    axes = list(range(d)) if axes is None else list(axes)
    if not axes:
        raise ValueError("a Laplacian needs at least one axis")
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < d:
            raise ValueError(f"axis {a!r} out of range for x with {d} columns")
    return axes


class LaplacianEstimator:
    """``estimator(model, x, axes=None, generator=None) -> (N, 1)``: the Laplacian of the
    model's scalar output over ``axes`` (all columns by default)."""

    name = ""
    random = True

    def directions(self, x: torch.Tensor, axes: list[int], generator) -> tuple[torch.Tensor, float]:
        raise NotImplementedError

    def __call__(self, model, x: torch.Tensor, axes: Sequence[int] | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        axes = _axes(x, axes)
        V, weight = self.directions(x, axes, generator)
        return directional_second(model, x, V).sum(0) * weight

    def describe(self) -> str:
        return self.name


def _unit_vectors(x, idx) -> torch.Tensor:
    V = torch.zeros(len(idx), 1, x.shape[1], dtype=x.dtype, device=x.device)
    V[torch.arange(len(idx)), 0, torch.as_tensor(idx)] = 1
    return V


class Exact(LaplacianEstimator):
    """The exact Laplacian from ``d`` coordinate jets (forward-mode Taylor; no sampling)."""

    name = "exact"
    random = False

    def directions(self, x, axes, generator):
        return _unit_vectors(x, axes), 1.0


def _count(name, value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} {what} must be an integer >= 1; got {value!r}")
    return value


class Hutchinson(LaplacianEstimator):
    """Hutchinson's trace estimator with ``samples`` Rademacher vectors per point
    (Hutchinson, Comm. Statist. Simulation Comput. 19, 1990; see the module docstring)."""

    name = "hutchinson"

    def __init__(self, samples: int = 16):
        self.samples = _count("hutchinson", samples, "samples")

    def directions(self, x, axes, generator):
        n, d = x.shape
        signs = torch.randint(0, 2, (self.samples, n, len(axes)), generator=generator).to(x.dtype) * 2 - 1
        V = torch.zeros(self.samples, n, d, dtype=x.dtype, device=x.device)
        V[..., axes] = signs.to(x.device)
        return V, 1.0 / self.samples

    def describe(self):
        return f"hutchinson (samples={self.samples})"


class SparseSTDE(LaplacianEstimator):
    """Sparse STDE: ``rand_batch`` coordinates without replacement, scaled by ``d/B``
    (Shi, Hu, Lin, Kawaguchi, NeurIPS 2024, arXiv:2412.00088; see the module docstring)."""

    name = "stde"

    def __init__(self, rand_batch: int = 16):
        self.rand_batch = _count("stde", rand_batch, "rand_batch")

    def directions(self, x, axes, generator):
        d = len(axes)
        if self.rand_batch >= d:
            return _unit_vectors(x, axes), 1.0
        pick = torch.randperm(d, generator=generator)[: self.rand_batch]
        return _unit_vectors(x, [axes[int(i)] for i in pick]), d / self.rand_batch

    def describe(self):
        return f"stde (rand_batch={self.rand_batch})"


#: ``RunConfig.laplacian`` names; "exact" alone leaves the model unwrapped (nested reverse
#: mode, or the jets of the chosen Taylor engine)
LAPLACIANS: dict[str, type] = {"exact": Exact, "hutchinson": Hutchinson, "stde": SparseSTDE}
_OPTIONS = {"exact": (), "hutchinson": ("samples",), "stde": ("rand_batch",)}


def make_laplacian(name: str | LaplacianEstimator | None, options: dict | None = None) -> LaplacianEstimator | None:
    """An estimator from a name of :data:`LAPLACIANS` and its options, or ``None`` for
    ``"exact"`` without options (the model's own derivatives: nothing to wrap)."""
    options = dict(options or {})
    if isinstance(name, LaplacianEstimator):
        if options:
            raise ValueError("laplacian_options go with a laplacian name, not with an estimator object")
        return name
    name = "exact" if name is None else name
    if name not in LAPLACIANS:
        raise ValueError(f"unknown laplacian estimator {name!r}; choose one of {sorted(LAPLACIANS)}")
    bad = set(options) - set(_OPTIONS[name])
    if bad:
        raise ValueError(f"laplacian {name!r} takes options {list(_OPTIONS[name]) or 'none'}; got {sorted(bad)}")
    if name == "exact" and not options:
        return None
    return LAPLACIANS[name](**options)


class LaplacianModel:
    """``model`` (or its engine wrapper ``evaluated``) whose outputs for inputs with
    ``requires_grad`` carry a lazy Laplacian estimate for ``D.laplacian``. Random draws come
    from a generator seeded with ``seed`` (a run is reproducible)."""

    def __init__(self, model, estimator: LaplacianEstimator, seed: int = 0, evaluated: Callable | None = None):
        self.model, self.estimator = model, estimator
        self.evaluated = evaluated if evaluated is not None else model
        self.generator = torch.Generator().manual_seed(int(seed) + 0x57DE)

    def __getattr__(self, name):
        if name in ("model", "evaluated"):
            raise AttributeError(name)
        return getattr(self.model, name)

    def __call__(self, x):
        u = self.evaluated(x)
        if isinstance(x, torch.Tensor) and x.requires_grad and x.ndim == 2 and u.ndim == 2 and u.shape[1] == 1:
            attach_laplacian(u, x, lambda axes: self.estimator(self.model, x, axes, self.generator))
        return u

    def __repr__(self):
        return f"LaplacianModel({type(self.model).__name__}, {self.estimator.describe()})"
