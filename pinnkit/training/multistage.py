"""Multi-stage training (Wang & Lai, "Multi-stage neural networks: function approximator of
machine precision", J. Comput. Phys. 504, 112865, 2024; arXiv 2307.08934).

Stage 0 trains a :class:`~pinnkit.models.multistage.MultiStage` model's first network on
the problem as it is. Before each later stage ``k``:

1. the residue of the current sum is measured on a dense uniform grid of the domain: the
   PDE residual ``r = N[u_c]`` (for a regression problem, residual ``u − f``, this is the
   fitting error itself);
2. the next stage's scale factor κ_k comes from the residue's dominant frequency
   (:func:`~pinnkit.models.multistage.kappa_rule`; the authors' script: 3 × sign changes);
3. its amplitude is ``ε_k = rms(r) / ω^m``: the residue's RMS (the paper's normalisation for
   regression, ``m = 0``), divided for an equation of order ``m`` by the gain ``ω^m`` of its
   highest derivative at the residue's frequency ω (a residual ``r ≈ −L[e]`` of an error
   ``e`` of frequency ω has ``|r| ≈ ω^m |e|``; pinnkit's estimate, the stage absorbs an
   order-one misfit);
4. a stage ``ε_k u_k`` with a sine first layer ``sin(κ_k(Wx + b))`` is appended, the earlier
   stages are frozen, and the new one is trained on the *same* equation for the sum, with
   the residual divided by ``rms(r)`` and each condition's residual by ``ε_k`` so that every
   term starts at order one (the paper's normalised residue equation; without it Adam's ε
   and L-BFGS's tolerances stop a stage whose loss is 1e-20 at once).

Each stage has its own budget (``stage_steps``: ``[adam, lbfgs]`` per stage; the authors:
2 000 + 10 000 for the first, 5 000 + 20 000 / 30 000 / 40 000 for the next three).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..models.multistage import MultiStage, kappa_rule
from ..problems.conditions import Condition
from ..problems.problem import Problem
from .strategies import STRATEGIES, Strategy, merge_histories

__all__ = ["MultiStageStrategy", "residue_profile", "normalised_problem", "multistage_of"]


def multistage_of(model: nn.Module) -> MultiStage:
    """The :class:`MultiStage` inside ``model`` (itself, or wrapped by a hard constraint)."""
    inner = model
    while not isinstance(inner, MultiStage) and isinstance(getattr(inner, "model", None), nn.Module):
        inner = inner.model
    if not isinstance(inner, MultiStage):
        raise ValueError(f"the multistage strategy trains a MultiStage model (model='multistage'); "
                         f"got {type(model).__name__}")
    return inner


def residue_profile(problem: Problem, model: nn.Module, points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """The PDE residual of ``model`` on ``points`` interior points of a uniform 1D grid:
    ``(x (points, 1), r (points,))`` as float64 numpy (first residual component)."""
    if problem.domain.dim != 1:
        raise ValueError(f"the multi-stage frequency rule reads a 1D residue; {problem.name} has "
                         f"{problem.domain.dim} coordinates")
    if isinstance(points, bool) or not isinstance(points, int) or points < 16:
        raise ValueError(f"residue points must be an integer >= 16; got {points!r}")
    lo, hi = problem.domain.low[0], problem.domain.high[0]
    x = np.linspace(lo, hi, points + 2)[1:-1, None]
    dtype = next(model.parameters()).dtype
    xt = torch.as_tensor(x, dtype=dtype).requires_grad_(True)
    r = problem.pde_residual(model, xt, problem.initial_values)
    return x, r[:, 0].detach().cpu().double().numpy()


class _Scaled(Condition):
    """``condition`` with its residual divided by ``scale`` (same points)."""

    def __init__(self, condition: Condition, scale: float):
        self.condition, self.scale = condition, float(scale)
        self.component = getattr(condition, "component", 0)

    def sample(self, n, rng, method="random"):
        return self.condition.sample(n, rng, method)

    def residual(self, u, x, params):
        return self.condition.residual(u, x, params) / self.scale


def normalised_problem(problem: Problem, residual_scale: float, condition_scale: float) -> Problem:
    """``problem`` with its PDE residual divided by ``residual_scale`` and every condition's
    by ``condition_scale`` (same solution, same reference; the loss of a later stage starts
    at order one)."""
    for name, v in (("residual_scale", residual_scale), ("condition_scale", condition_scale)):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0; got {v!r}")
    base = problem.residual

    def residual(x, u, D, p):
        return base(x, u, D, p) / residual_scale

    return problem.replace(residual=residual,
                           conditions={n: _Scaled(c, condition_scale) for n, c in problem.conditions.items()})


class MultiStageStrategy(Strategy):
    """Multi-stage training as a strategy (``RunConfig(model="multistage",
    strategy="multistage", dtype="float64")``), see the module docstring.

    Options: ``stages`` (total, including the first; the authors use 4), ``stage_steps``
    (``[[adam, lbfgs], ...]`` one pair per stage; default: the run's plan for every stage),
    ``kappa`` (rule name, ``"sign_changes"`` or ``"fft"``), ``kappa_factor`` (the rule's
    factor; default 3 for sign changes, 1 for fft), ``order`` (highest derivative order ``m``
    of the equation for the amplitude estimate; 0 for regression), ``residue_points``
    (grid on which the residue is measured). The history's ``meta["stages"]`` lists each
    stage's κ, ε, residue RMS and final numbers."""

    def __init__(self, stages: int = 4, stage_steps: Sequence[Sequence[int]] | None = None,
                 kappa: str = "sign_changes", kappa_factor: float | None = None, order: int = 0,
                 residue_points: int = 4000):
        if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
            raise ValueError(f"stages must be a positive integer; got {stages!r}")
        if stage_steps is not None:
            stage_steps = [list(s) for s in stage_steps]
            if len(stage_steps) != stages or not all(
                    len(s) == 2 and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in s)
                    and s[0] + s[1] > 0 for s in stage_steps):
                raise ValueError(f"stage_steps must be {stages} pairs [adam steps, lbfgs steps] of integers >= 0 "
                                 f"(not both 0); got {stage_steps!r}")
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise ValueError(f"order must be an integer >= 0; got {order!r}")
        kappa_rule(np.linspace(-1, 1, 8), np.sin(np.linspace(0, 7, 8)), kappa, kappa_factor)  # checks the rule
        self.stages, self.stage_steps = stages, stage_steps
        self.kappa, self.kappa_factor, self.order, self.residue_points = kappa, kappa_factor, order, residue_points

    def model(self, problem, make_model):
        model = make_model(problem)
        multistage_of(model)
        if problem.domain.dim != 1 and self.stages > 1:
            raise ValueError(f"the multistage strategy's frequency rule is 1D; {problem.name} has "
                             f"{problem.domain.dim} coordinates")
        return model

    def _fit(self, fit, problem, model, k):
        if self.stage_steps is None:
            return fit(problem, model)
        return fit(problem, model, steps=tuple(self.stage_steps[k]))

    def run(self, problem, model, fit):
        ms = multistage_of(model)
        lo, hi = problem.domain.low[0], problem.domain.high[0]
        histories = [self._fit(fit, problem, model, 0)]
        labels = [{"stage": 0, "kappa": ms.kappas[0], "scale": 1.0, "residue_rms": None}]
        for k in range(1, self.stages):
            if histories[-1].status != "completed":
                break
            x, r = residue_profile(problem, model, self.residue_points)
            rms = float(np.sqrt(np.mean(r**2)))
            if not (math.isfinite(rms) and rms > 0):
                break  # nothing left to fit (or the sum broke down): stop adding stages
            s = 2 * (x[:, 0] - lo) / (hi - lo) - 1  # the stages' input coordinates
            kappa = kappa_rule(s, r, self.kappa, self.kappa_factor)
            omega = kappa * 2 / (hi - lo)  # the sine layer's angular frequency in the problem's units
            scale = rms / max(omega, 1.0) ** self.order
            ms.add_stage(scale, kappa)
            labels.append({"stage": k, "kappa": kappa, "scale": scale, "residue_rms": rms})
            histories.append(self._fit(fit, normalised_problem(problem, rms, scale), model, k))
        out = merge_histories(histories, "stage", labels)
        return out


STRATEGIES["multistage"] = MultiStageStrategy
