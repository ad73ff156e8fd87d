"""Vectorised ensembles: M copies of one network trained together in one process.

A 3-seed comparison or an 8-value parameter study is M independent trainings of small
networks; on a CPU each step of a width-20 network is dominated by per-operation
overhead, not arithmetic. :func:`train_ensemble` stacks the members' weights into
batched tensors ``W: (M, out, in)`` and evaluates all members with one batched matrix
product per layer (:class:`BatchedMLP`); the points of member ``m`` are rows
``[m N, (m+1) N)`` of one ``(M N, d)`` tensor, so the problem's own residual, its
conditions and :class:`~pinnkit.problems.Derivatives` run unchanged (derivatives of
``Σ u`` with respect to the rows of ``x`` are the per-member derivatives, because each
row depends on its own member only).

The loss is ``Σ_m Σ_i w_i L_i^{(m)}``: member ``m``'s gradient is exactly the gradient
of its own loss, and Adam (or SGD) acts elementwise, so every member follows the same
trajectory as ``train(problem_m, model_m, seed=seed_m, ...)`` up to round-off (same
initial weights, same points drawn with ``numpy.random.default_rng(seed_m)``).

Limits (each raises a clear error): first-order optimizers only (L-BFGS couples the
members through its line search), static loss weights only, no resampling, no
``Data`` conditions, members with identical architecture (:class:`~pinnkit.models.MLP`,
optionally wrapped in :class:`~pinnkit.models.HardConstraint`).
"""
from __future__ import annotations

import math
import time
import warnings
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..balancing import Balancer, Static
from ..losses import ResidualLoss, mean_square
from ..models import MLP, BatchedMLP, HardConstraint, ensemble_models
from ..optim import OptimizerSpec, as_plan
from ..problems.conditions import Data
from ..models.engines import Engine, get_engine
from ..runtime import tune_allocator
from ..problems.problem import Problem
from ..sampling import Sampler, Uniform
from .evaluate import relative_l2
from .history import History
from .loop import _condition_points, _count

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
    if isinstance(dtype, str):
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
        dtype = getattr(torch, dtype)
    _count("eval_every", eval_every)
    _count("log_every", log_every)
    balancer = balancer or Static({})
    if not isinstance(balancer, Static):
        raise ValueError("ensembles support static loss weights only; train adaptive balancers with train()")
    sampler = sampler or Uniform(2000)
    if sampler.every:
        raise ValueError("ensembles do not resample points; use a sampler with every=None")
    plan = as_plan(optimizer, steps)
    for spec, _ in plan:
        if spec.uses_closure:
            raise ValueError(f"ensembles need a first-order optimizer; {spec.name} couples the members")
    total = sum(n for _, n in plan)

    hard = [isinstance(m, HardConstraint) for m in models]
    if any(hard) and not all(hard):
        raise ValueError("either every member is a HardConstraint or none is")
    nets = [m.model if isinstance(m, HardConstraint) else m for m in models]
    for p in problems:
        if any(isinstance(c, Data) for c in p.conditions.values()):
            raise ValueError(f"{p.name}: ensembles do not support Data conditions; train members with train()")
    tune_allocator()

    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_count("threads", threads))
    try:
        for n in nets:
            n.to(dtype)
        batched = BatchedMLP(nets).to(dtype)
        return _run_ensemble(problems, models, nets, batched, hard[0], seeds, sampler, balancer, plan, total,
                             condition_points, metrics, eval_every, log_every, residual_loss, dtype, progress,
                             get_engine(engine))
    finally:
        torch.set_num_threads(old_threads)


def _run_ensemble(problems, models, nets, batched, hard, seeds, sampler, balancer, plan, total, condition_points,
                  metrics, eval_every, log_every, residual_loss, dtype, progress, engine):
    M = len(models)
    problem = problems[0]
    values = _member_values(problems)
    # points: member m draws exactly what train(seed=seeds[m]) draws
    per_member = []
    for m, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        pts = {"residual": torch.as_tensor(sampler.sample(problems[m].domain, rng), dtype=dtype)}
        pts.update(_condition_points(problems[m], models[m], condition_points, rng, dtype))
        per_member.append(pts)
    names = list(per_member[0])
    counts = {n: len(per_member[0][n]) for n in names}
    for pts in per_member[1:]:
        if {n: len(pts[n]) for n in pts} != counts:
            raise ValueError("members drew different numbers of points; use a sampler with a fixed count")
    points = {n: torch.cat([pts[n] for pts in per_member]) for n in names}
    params = {n: _rowwise(values, counts[n], dtype) for n in names}

    if hard:
        transform = models[0].transform
        hard_params = _rowwise(values, 1, dtype)

        def model(x):
            n = x.shape[0] // M
            p = {k: (v.repeat_interleave(n, 0) if torch.is_tensor(v) else v) for k, v in hard_params.items()}
            return transform(x, batched(x), p)
    else:
        model = batched
    residual_model = engine.wrap(model)
    weights, _ = balancer.update({n: 1.0 for n in names}, balancer.init(names), None)

    evaluators = None
    if metrics == "auto" and all(p.reference is not None for p in problems):
        grid = problems[0].test_grid()
        xs = torch.as_tensor(np.concatenate([grid] * M), dtype=dtype)
        refs = [p.reference_on(grid) for p in problems]
        evaluators = (xs, refs)
    elif metrics not in ("auto", None):
        raise ValueError("ensemble metrics must be 'auto' or None")

    def member_losses():
        out = {}
        for n in names:
            x = points[n]
            if n == "residual":
                xr = x.detach().requires_grad_(True)
                r = problem.pde_residual(residual_model, xr, params[n])
                k = r.shape[1]
                rm = r.reshape(M, -1, k)
                xm = xr.reshape(M, -1, xr.shape[1])
                if residual_loss is mean_square:
                    out[n] = (rm**2).sum(dim=2).mean(dim=1)
                else:
                    out[n] = torch.stack([residual_loss(xm[i], rm[i]) for i in range(M)])
            else:
                r = problem.conditions[n].residual(model, x, params[n])
                out[n] = (r**2).sum(dim=1).reshape(M, -1).mean(dim=1)
        return out

    def run_metrics():
        if evaluators is None:
            return [{} for _ in range(M)]
        xs, refs = evaluators
        with torch.no_grad():
            pred = model(xs).double().numpy().reshape(M, -1, 1)
        return [{"metric/rel_l2": relative_l2(pred[m], refs[m]),
                 "metric/max_abs": float(np.max(np.abs(pred[m] - refs[m])))} for m in range(M)]

    histories = [History(meta={"problem": problems[m].name, "parameters": problems[m].values, "seed": seeds[m],
                               "dtype": str(dtype).replace("torch.", ""), "total_steps": total,
                               "plan": [(s.name, n, dict(s.options)) for s, n in plan], "sampler": repr(sampler),
                               "ensemble": {"member": m, "size": M}}) for m in range(M)]
    trainable = list(batched.parameters())
    good = [p.detach().clone() for p in trainable]
    alive = torch.ones(M, dtype=torch.bool)
    started = time.perf_counter()
    step = 0
    last_losses: list[dict] = [{} for _ in range(M)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"{problem.name} ×{M}", leave=False, mininterval=0.5)
    try:
        for spec, n_steps in plan:
            if n_steps == 0 or not bool(alive.any()):
                continue
            opt = spec.make(trainable)
            sched = spec.schedule(opt) if spec.schedule else None
            for _ in range(n_steps):
                step += 1
                opt.zero_grad(set_to_none=True)
                terms = member_losses()
                per_member = sum(weights[n] * terms[n] for n in names)  # (M,)
                finite = torch.isfinite(per_member.detach())
                per_member.masked_fill(~(finite & alive), 0.0).sum().backward()
                table = torch.stack([per_member.detach()] + [terms[n].detach() for n in names]).T.tolist()
                newly_dead = alive & ~finite
                opt.step()
                if sched is not None:
                    sched.step()
                with torch.no_grad():
                    if bool((~alive | newly_dead).any()):
                        dead = ~alive | newly_dead
                        for p, g in zip(trainable, good):
                            p[dead] = g[dead]
                    torch._foreach_copy_(good, trainable)
                elapsed = time.perf_counter() - started
                extra = run_metrics() if step % eval_every == 0 else None
                lr = opt.param_groups[0]["lr"]
                for m in range(M):
                    if not alive[m]:
                        continue
                    if newly_dead[m]:
                        h = histories[m]
                        h.status = "diverged"
                        h.message = (f"loss became {table[m][0]} at step {step} ({spec.name}); "
                                     f"parameters restored to the last step with a finite loss")
                        warnings.warn(f"pinnkit: ensemble member {m}: {h.message}", RuntimeWarning, stacklevel=3)
                        continue
                    last_losses[m] = {n: table[m][i + 1] for i, n in enumerate(names)}
                    if step % log_every == 0 or extra is not None:
                        row = {"step": step, "phase": spec.name, "time": elapsed, "loss": table[m][0]}
                        row.update({f"loss/{n}": v for n, v in last_losses[m].items()})
                        row.update({f"weight/{n}": weights[n] for n in names})
                        row.update(extra[m] if extra is not None else {})
                        row["lr"] = lr
                        histories[m].append(**row)
                alive &= finite
                if bar is not None:
                    bar.update(1)
                if not bool(alive.any()):
                    break
    except KeyboardInterrupt:
        for h in histories:
            if h.status == "running":
                h.status, h.message = "stopped", "interrupted"
    finally:
        if bar is not None:
            bar.close()
    batched.write_back(nets)
    final_metrics = run_metrics()
    elapsed = time.perf_counter() - started
    for m, h in enumerate(histories):
        if h.status == "running":
            h.status = "completed"
        h.final = {"step": step, "time": elapsed, "loss": h.last("loss", math.nan),
                   **{f"loss/{n}": v for n, v in last_losses[m].items()}, **final_metrics[m]}
    return histories
