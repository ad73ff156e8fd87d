"""Vectorised ensembles: M copies of one network trained together in one process.

:func:`train_ensemble` stacks the members into a :class:`~pinnkit.models.BatchedMLP` and
trains it with the same loop as :func:`~pinnkit.training.train`; the points of member ``m``
are rows ``[m N, (m+1) N)`` of one ``(M N, d)`` tensor, so the problem's own residual, its
conditions and :class:`~pinnkit.problems.Derivatives` run unchanged.

The loss is ``Σ_m Σ_i w_i L_i^{(m)}``: member ``m``'s gradient is exactly the gradient
of its own loss, and Adam (or SGD) acts elementwise, so every member follows the same
trajectory as ``train(problem_m, model_m, seed=seed_m, ...)`` up to round-off (same
initial weights, same points drawn with ``numpy.random.default_rng(seed_m)``).

Limits (each raises a clear error): first-order optimizers only (L-BFGS couples the
members through its line search), static loss weights only, no gradient combiner, no
resampling, no ``Data`` conditions, members with identical architecture
(:class:`~pinnkit.models.MLP`, optionally wrapped in :class:`~pinnkit.models.HardConstraint`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..balancing import Balancer, Static
from ..losses import ResidualLoss, mean_square, member_losses
from ..models import BatchedMLP, HardConstraint, ensemble_models
from ..models.engines import Engine, get_engine
from ..optim import OptimizerSpec, as_plan
from ..problems.conditions import Data
from ..problems.problem import Problem
from ..runtime import tune_allocator
from ..sampling import Sampler, Uniform
from .evaluate import relative_l2
from .history import History
from .loop import _Loop, _count, _meta, _threads, as_dtype, condition_point_sets, is_static

__all__ = ["BatchedMLP", "train_ensemble", "ensemble_models"]


def _member_values(problems: Sequence[Problem]) -> dict[str, list[float]]:
    names = list(problems[0].parameters)
    for p in problems[1:]:
        if list(p.parameters) != names or p.name != problems[0].name:
            raise ValueError("ensemble problems must be one problem with different parameter values")
    return {n: [p.values[n] for p in problems] for n in names}


def _rowwise(values: dict[str, list[float]], per_member: int, dtype) -> dict:
    """Parameters as plain floats when equal for all members, else ``(M n, 1)`` tensors."""
    out = {}
    for k, vs in values.items():
        if all(v == vs[0] for v in vs):
            out[k] = vs[0]
        else:
            out[k] = torch.tensor(vs, dtype=dtype).repeat_interleave(per_member)[:, None]
    return out


def train_ensemble(
    problems: Problem | Sequence[Problem],
    models: Sequence[nn.Module],
    *,
    seeds: Sequence[int] | None = None,
    sampler: Sampler | None = None,
    balancer: Balancer | None = None,
    optimizer: OptimizerSpec | Sequence[tuple[OptimizerSpec, int]] | None = None,
    steps: int | None = None,
    condition_points: int | Mapping[str, int] = 200,
    metrics: str | None = "auto",
    eval_every: int = 100,
    log_every: int = 1,
    residual_loss: ResidualLoss = mean_square,
    dtype: torch.dtype | str = torch.float32,
    threads: int | None = None,
    progress: bool = True,
    engine: str | Engine | None = "autograd",
) -> list[History]:
    """Train ``models`` (M members) together; returns one :class:`History` per member.

    - ``problems``: one problem (an ensemble over seeds) or one per member (e.g.
      ``[p.with_parameters(nu=v) for v in values]``; only parameter values may differ).
    - ``models``: M :class:`~pinnkit.models.MLP` s of one architecture (or
      :class:`~pinnkit.models.HardConstraint` s of them); trained in place.
    - ``seeds``: per-member seeds for point sampling (default ``0 … M-1``); member ``m``
      sees the same points as ``train(..., seed=seeds[m])``.
    - the other arguments as in :func:`~pinnkit.training.train`; ``metrics="auto"`` records
      ``metric/rel_l2`` and ``metric/max_abs`` per member every ``eval_every`` steps.
    - ``engine``: ``"autograd"`` (batched reverse mode). The Taylor engines need a model
      with a jet rule and fall back to reverse mode for the batched network.
    """
    models = list(models)
    M = len(models)
    problems = [problems] * M if isinstance(problems, Problem) else list(problems)
    if len(problems) != M:
        raise ValueError(f"got {len(problems)} problems for {M} models; give one problem or one per model")
    seeds = list(range(M)) if seeds is None else [int(s) for s in seeds]
    if len(seeds) != M:
        raise ValueError(f"got {len(seeds)} seeds for {M} models")
    dtype = as_dtype(dtype)
    _count("eval_every", eval_every)
    _count("log_every", log_every)
    balancer = balancer or Static({})
    if not is_static(balancer):
        raise ValueError("ensembles support static loss weights only; train adaptive balancers with train()")
    sampler = sampler or Uniform(2000)
    if sampler.every:
        raise ValueError("ensembles do not resample points; use a sampler with every=None")
    plan = as_plan(optimizer, steps)
    for spec, _ in plan:
        if spec.uses_closure:
            raise ValueError(f"ensembles need a first-order optimizer; {spec.name} couples the members")

    hard = [isinstance(m, HardConstraint) for m in models]
    if any(hard) and not all(hard):
        raise ValueError("either every member is a HardConstraint or none is")
    nets = [m.model if isinstance(m, HardConstraint) else m for m in models]
    for p in problems:
        if any(isinstance(c, Data) for c in p.conditions.values()):
            raise ValueError(f"{p.name}: ensembles do not support Data conditions; train members with train()")
    if metrics not in ("auto", None):
        raise ValueError("ensemble metrics must be 'auto' or None")
    tune_allocator()
    with _threads(threads):
        for n in nets:
            n.to(dtype)
        batched = BatchedMLP(nets).to(dtype)
        fit = _EnsembleFit(problems, models, nets, batched, hard[0], seeds, sampler, condition_points, metrics,
                           residual_loss, dtype, get_engine(engine))
        _Loop(fit, plan, balancer, None, (), eval_every, log_every, progress).run()
    return fit.histories


class _EnsembleFit:
    """M batched members for the one loop: their stacked points, per-row parameters,
    per-member losses and metrics."""

    def __init__(self, problems, models, nets, batched, hard, seeds, sampler, condition_points, metrics,
                 residual_loss, dtype, engine):
        M = self.members = len(models)
        self.problems, self.models, self.nets, self.batched = problems, models, nets, batched
        self.problem, self.seeds, self.sampler, self.dtype = problems[0], seeds, sampler, dtype
        self.residual_loss = residual_loss
        values = _member_values(problems)
        per_member = []  # member m draws exactly what train(seed=seeds[m]) draws
        for m, s in enumerate(seeds):
            rng = np.random.default_rng(s)
            pts = {"residual": torch.as_tensor(sampler.sample(problems[m].domain, rng), dtype=dtype)}
            pts.update(condition_point_sets(problems[m], models[m], condition_points, rng, dtype))
            per_member.append(pts)
        self.names = list(per_member[0])
        counts = {n: len(per_member[0][n]) for n in self.names}
        for pts in per_member[1:]:
            if {n: len(pts[n]) for n in pts} != counts:
                raise ValueError("members drew different numbers of points; use a sampler with a fixed count")
        self.points = {n: torch.cat([pts[n] for pts in per_member]) for n in self.names}
        self.term_params = {n: _rowwise(values, counts[n], dtype) for n in self.names}
        self.params = _rowwise(values, 1, dtype)
        if hard:
            transform = models[0].transform
            hard_params = self.params

            def model(x):
                n = x.shape[0] // M
                p = {k: (v.repeat_interleave(n, 0) if torch.is_tensor(v) else v) for k, v in hard_params.items()}
                return transform(x, batched(x), p)
        else:
            model = batched
        self.model = model
        self.evaluated = engine.wrap(model)
        self.engine_used = engine.describe(model)
        self.unknowns = nn.ParameterDict()
        self.trainable = list(batched.parameters())
        self.problem_name = self.problem.name
        self.evaluators = None
        if metrics == "auto" and all(p.reference is not None for p in problems):
            grid = problems[0].test_grid()
            self.evaluators = (torch.as_tensor(np.concatenate([grid] * M), dtype=dtype),
                               [p.reference_on(grid) for p in problems])
        self.histories: list[History] = []

    def start(self, plan) -> None:
        M = self.members
        self.histories = [History(meta=_meta(self.problems[m], self.seeds[m], self.dtype, plan, self.sampler,
                                             self.engine_used, ensemble={"member": m, "size": M}))
                          for m in range(M)]

    def losses(self) -> dict[str, torch.Tensor]:
        return member_losses(self.problem, self.evaluated, self.points, self.term_params, self.members,
                             self.residual_loss)

    def metrics(self) -> list[dict]:
        M = self.members
        if self.evaluators is None:
            return [{} for _ in range(M)]
        xs, refs = self.evaluators
        with torch.no_grad():
            pred = self.model(xs).double().numpy().reshape(M, -1, 1)
        return [{"metric/rel_l2": relative_l2(pred[m], refs[m]),
                 "metric/max_abs": float(np.max(np.abs(pred[m] - refs[m]))),
                 "metric/mse": float(np.mean((pred[m] - refs[m]) ** 2))} for m in range(M)]

    def unknown_values(self) -> dict:
        return {}

    def restore(self, good, dead) -> None:
        mask = torch.tensor(dead)
        if bool(mask.any()):
            with torch.no_grad():
                for p, g in zip(self.trainable, good):
                    p[mask] = g[mask]

    def finish(self) -> None:
        self.batched.write_back(self.nets)
