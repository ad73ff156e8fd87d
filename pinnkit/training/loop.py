"""The training loop: ``train(problem, model, ...) -> History``.

One loop trains a single network and, through :func:`pinnkit.training.train_ensemble`,
``M`` members batched into one module (:class:`~pinnkit.models.BatchedMLP`): a step
evaluates the named loss terms (one value per member), weights them, takes one gradient
step, catches divergence (per member), logs a history row (per member), runs the metrics,
the callbacks and the stop checks. Features that need one network — adaptive balancers,
gradient combiners, L-BFGS, resampling, callbacks, trainable unknowns — are refused for
ensembles by ``train_ensemble`` before the loop starts.
"""
from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from collections.abc import MutableMapping
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..balancing import Balancer, Chain, Context, Static
from ..combining import Combiner
from ..losses import ResidualLoss, loss_terms, mean_square, member_losses, term_residual
from ..models.engines import Engine, get_engine
from ..optim import LBFGSIterations, OptimizerSpec, as_plan
from ..problems.problem import Problem
from ..runtime import tune_allocator
from ..sampling import Sampler, Uniform
from .callbacks import Callback
from .evaluate import Evaluator
from .history import History
from .resume import attributes, load_training_state, plain, save_training_state, set_attributes, unplain

__all__ = ["train", "TrainState", "Divergence"]


class Divergence(RuntimeError):
    """Raised by ``train(..., on_divergence="raise")`` when the loss becomes NaN or Inf, or
    blows up (:data:`BLOWUP`)."""


#: a loss (the unweighted sum of the terms) this many times above the lowest loss of the run so
#: far counts as diverged, NaN or
#: not: a too-large step (``sgd`` with lr 1e3 on Burgers grows the loss 4e7-fold in one step)
#: reaches Inf only steps later, through parameters that are garbage by then (rel. L2 1e17).
#: Six orders of magnitude is far above the loss spikes a healthy run recovers from.
BLOWUP = 1e6


@dataclass
class TrainState:
    """Everything a callback may read; ``stop`` may be set to a reason string."""

    problem: Problem
    model: nn.Module
    params: dict
    unknowns: nn.ParameterDict
    points: dict[str, torch.Tensor]
    history: History
    step: int = 0
    total_steps: int = 0
    phase: str = ""
    losses: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    stop: str | None = None
    started: float = field(default_factory=time.perf_counter)
    dtype: torch.dtype = torch.float32
    #: the reduction of the residual this run trains with (e.g. a CausalResidual, whose
    #: weights a recorder copies)
    residual_loss: Callable | None = None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def score(self, x: np.ndarray) -> np.ndarray:
        """|PDE residual| at numpy points ``x: (N, d)`` -> ``(N,)`` (for samplers)."""
        xt = torch.as_tensor(x, dtype=self.dtype)
        r = term_residual(self.problem, self.model, "residual", xt, self.params)
        return r.detach().abs().sum(dim=1).double().numpy()


def _count(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {v!r}")
    return int(v)


def as_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """``torch.float32``/``float64`` from a dtype or its name; anything else is an error."""
    if isinstance(dtype, str):
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
        dtype = getattr(torch, dtype)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}")
    return dtype


def is_static(balancer: Balancer) -> bool:
    """True for weights that never change during a run (static scales, chains of them)."""
    if isinstance(balancer, Static):
        return True
    return isinstance(balancer, Chain) and all(is_static(b) for b in balancer.balancers)


def train(
    problem: Problem,
    model: nn.Module,
    *,
    sampler: Sampler | None = None,
    balancer: Balancer | None = None,
    optimizer: OptimizerSpec | Sequence[tuple[OptimizerSpec, int]] | None = None,
    steps: int | None = None,
    condition_points: int | Mapping[str, int] = 200,
    resample_conditions: int | None = None,
    callbacks: Sequence[Callback] = (),
    metrics: Callable[[nn.Module], dict] | str | None = "auto",
    eval_every: int = 100,
    log_every: int = 1,
    residual_loss: ResidualLoss = mean_square,
    combine: Combiner | None = None,
    seed: int = 0,
    dtype: torch.dtype | str = torch.float32,
    threads: int | None = None,
    progress: bool = True,
    on_divergence: str = "stop",
    engine: str | Engine | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | dict | None = None,
) -> History:
    """Train ``model`` on ``problem`` and return its :class:`History`.

    - ``sampler``: interior points for the residual (default ``Uniform(2000)``).
    - ``balancer``: per-term weights (default: all ones).
    - ``optimizer``: an :class:`OptimizerSpec` with ``steps``, or a plan
      ``[(spec, steps), ...]`` such as ``adam_then_lbfgs(5000, 2000)``.
    - ``condition_points``: points per condition (one number, or per name). Conditions
      the model satisfies exactly (:class:`HardConstraint`) get no points and no term.
    - ``resample_conditions``: redraw the condition points every this many steps
      (``None``: keep the first draw; observations of a ``Data`` condition never change).
    - ``metrics``: ``model -> {name: value}`` evaluated every ``eval_every`` steps and at
      the end (``"auto"``: relative L2 against the reference when the problem has one).
    - ``residual_loss``: reduction of pointwise residuals (e.g. causal weighting).
    - ``combine``: a :class:`~pinnkit.combining.Combiner` (PCGrad, ConFIG, MultiAdam …):
      the optimizer steps along the direction it makes of the per-term gradients instead
      of the gradient of ``Σ w_i L_i``.
    - ``seed``, ``dtype`` (``torch.float32``/``float64`` or ``"float32"``/``"float64"``),
      ``threads`` (``torch.set_num_threads`` for the duration of the run).
    - ``on_divergence``: a run diverges when its loss becomes NaN or Inf or rises to
      :data:`BLOWUP` (1e6) times its lowest value so far. ``"stop"`` keeps the parameters of
      the last step before that, records
      ``status="diverged"`` and warns; ``"raise"`` does the same then raises
      :class:`Divergence`.
    - ``engine``: how input derivatives are computed (:mod:`pinnkit.models.engines`:
      ``"autograd"``, ``"taylor"``, ``"taylor-fused"``, ``"taylor-compiled"`` or an
      :class:`Engine`); default :data:`~pinnkit.models.engines.DEFAULT_ENGINE`. Engines
      agree to round-off; ``history.meta["engine"]`` says which one ran (and why a Taylor
      engine fell back to reverse mode for a model it cannot run).

    - ``checkpoint``, ``checkpoint_every``: write the whole training state to the file
      ``checkpoint`` every ``checkpoint_every`` steps, and when a callback stops the run
      (:mod:`pinnkit.training.resume`: optimizer moments, L-BFGS memory, schedule, balancer,
      points, random generators, history).
    - ``resume``: a training-state file (or its loaded dict) written by this same call: the
      run continues from its step, bit for bit as if it had never stopped (same losses, same
      parameters; only the ``time`` column differs).

    L-BFGS phases (:func:`pinnkit.optim.lbfgs`) step along the gradient of the weighted
    sum: a combiner is not applied there and an adaptive balancer's weights are held at
    their last values — both recorded as an ``event`` row of the history.

    The model is trained in place (converted to ``dtype``). The first call in a process
    tunes the C allocator for repeated same-size steps (:func:`pinnkit.runtime.tune_allocator`;
    ``PINNKIT_TUNE_MALLOC=0`` turns that off).
    """
    dtype = as_dtype(dtype)
    if on_divergence not in ("stop", "raise"):
        raise ValueError(f"on_divergence must be 'stop' or 'raise'; got {on_divergence!r}")
    _count("eval_every", eval_every)
    _count("log_every", log_every)
    if resample_conditions is not None:
        _count("resample_conditions", resample_conditions)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    if combine is not None and not isinstance(combine, Combiner):
        raise ValueError(f"combine must be a pinnkit.combining.Combiner (PCGrad(), ConFIG(), MultiAdam() ...); "
                         f"got {type(combine).__name__}")
    if (checkpoint is None) != (checkpoint_every is None):
        raise ValueError("checkpoint (the file) and checkpoint_every (steps between writes) go together; "
                         f"got checkpoint={checkpoint!r}, checkpoint_every={checkpoint_every!r}")
    if checkpoint_every is not None:
        _count("checkpoint_every", checkpoint_every)
    if resume is not None and not isinstance(resume, dict):
        resume = load_training_state(resume)
    plan = as_plan(optimizer, steps)
    sampler = sampler or Uniform(2000)
    balancer = balancer or Static({})
    engine = get_engine(engine)
    tune_allocator()
    with _threads(threads):
        fit = _SingleFit(problem, model, sampler, condition_points, metrics, residual_loss, int(seed), dtype, engine)
        loop = _Loop(fit, plan, balancer, combine, callbacks, eval_every, log_every, progress,
                     resample_every=sampler.every, resample_conditions=resample_conditions,
                     checkpoint=None if checkpoint is None else (checkpoint, int(checkpoint_every)), resume=resume)
        loop.run()
    history = fit.histories[0]
    if history.status == "diverged" and on_divergence == "raise":
        raise Divergence(history.message)
    return history


class _threads:
    """``torch.set_num_threads(n)`` for a block (nothing when ``n`` is ``None``)."""

    def __init__(self, n):
        self.n = None if n is None else _count("threads", n)

    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n is not None:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


def _weighted_sum(terms, weights, names):
    """``Σ_n w_n L_n`` — the value of ``sum(w * L)`` bit for bit, without the tensor
    operations a weight of 1.0 and the leading ``0 +`` would cost every step."""
    total = None
    for n in names:
        t = terms[n] if weights[n] == 1.0 else weights[n] * terms[n]
        total = t if total is None else total + t
    return total


def _set_flat_grad(params, flat: torch.Tensor) -> None:
    i = 0
    for p in params:
        n = p.numel()
        p.grad = flat[i : i + n].view_as(p).to(p.dtype).clone()
        i += n
    if i != flat.numel():
        raise ValueError(f"combined gradient has {flat.numel()} entries; the parameters have {i}")


def condition_point_sets(problem, model, condition_points, rng, dtype):
    """``{condition: (n, d) tensor}`` for every condition the model does not satisfy exactly."""
    satisfied = set(getattr(model, "satisfies", ()))
    names = [n for n in problem.conditions if n not in satisfied]
    if isinstance(condition_points, Mapping):
        unknown = set(condition_points) - set(problem.conditions)
        if unknown:
            raise ValueError(f"condition_points names unknown conditions {sorted(unknown)}")
        counts = {n: condition_points.get(n, 200) for n in names}
    else:
        counts = {n: condition_points for n in names}
    return {n: torch.as_tensor(problem.conditions[n].sample(_count(f"points for {n!r}", counts[n]), rng),
                               dtype=dtype) for n in names}


def _meta(problem, seed, dtype, plan, sampler, engine_used, **extra) -> dict:
    return {"problem": problem.name, "parameters": problem.values, "seed": seed,
            "dtype": str(dtype).replace("torch.", ""), "total_steps": sum(n for _, n in plan),
            "plan": [(s.name, n, dict(s.options)) for s, n in plan], "sampler": repr(sampler),
            "engine": engine_used, **extra}


class Params(MutableMapping):
    """The ``p`` a residual reads: parameter values and trainable unknowns; an unknown
    trained through its log reads as ``exp(s)``, computed afresh at each access so that
    every evaluation (the step's, a recorder's, a sampler's) has a graph of its own."""

    def __init__(self, values: dict, unknowns: Mapping, log: set):
        self._values, self._unknowns, self._log = dict(values), unknowns, set(log)

    def __getitem__(self, k):
        if k in self._log and k not in self._overridden:
            return torch.exp(self._unknowns[k])
        return self._values[k]

    @property
    def _overridden(self):
        return self.__dict__.setdefault("_set", set())

    def __setitem__(self, k, v):
        self._values[k] = v
        self._overridden.add(k)

    def __delitem__(self, k):
        del self._values[k]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


class _SingleFit:
    """One network: its points, parameters (and trainable unknowns), losses and metrics."""

    members = 1

    def __init__(self, problem, model, sampler, condition_points, metrics, residual_loss, seed, dtype, engine):
        self.problem, self.model, self.sampler, self.dtype = problem, model, sampler, dtype
        self.condition_points, self.residual_loss, self.seed = condition_points, residual_loss, seed
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        model.to(dtype)
        self.log_unknowns = set(problem.log_unknowns)
        self.unknowns = nn.ParameterDict({
            k: nn.Parameter(torch.tensor(math.log(v) if k in self.log_unknowns else float(v), dtype=dtype))
            for k, v in problem.unknowns.items()})
        self.params = Params({**problem.values, **self.unknowns}, self.unknowns, self.log_unknowns)
        self.points = {"residual": torch.as_tensor(sampler.sample(problem.domain, self.rng), dtype=dtype)}
        self.points.update(condition_point_sets(problem, model, condition_points, self.rng, dtype))
        self.names = list(self.points)
        if metrics == "auto":
            metrics = Evaluator(problem) if problem.reference is not None else None
        self.metric_fn = metrics
        self.trainable = [p for p in list(model.parameters()) + list(self.unknowns.values()) if p.requires_grad]
        self.evaluated = engine.wrap(model)
        self.problem_name = problem.name
        self.engine_used = engine.describe(model)
        self.plan_meta = None
        self.histories: list[History] = []

    def start(self, plan) -> None:
        self.histories = [History(meta=_meta(self.problem, self.seed, self.dtype, plan, self.sampler,
                                             self.engine_used))]

    def losses(self) -> dict[str, torch.Tensor]:
        return loss_terms(self.problem, self.evaluated, self.points, self.params, self.residual_loss)

    def pointwise(self, name: str) -> torch.Tensor:
        return term_residual(self.problem, self.model, name, self.points[name], self.params)

    def metrics(self) -> list[dict]:
        if self.metric_fn is None:
            return [{}]
        return [{f"metric/{k}": float(v) for k, v in self.metric_fn(self.model).items()}]

    def unknown_values(self) -> dict:
        return {f"unknown/{k}": math.exp(float(v.detach())) if k in self.log_unknowns else float(v.detach())
                for k, v in self.unknowns.items()}

    def restore(self, good, dead) -> None:
        with torch.no_grad():
            for p, g in zip(self.trainable, good):
                p.copy_(g)

    def resample(self, step: int, score) -> None:
        new = self.sampler.refine(self.points["residual"].double().numpy(), self.problem.domain, step, score,
                                  self.rng)
        self.points["residual"] = torch.as_tensor(new, dtype=self.dtype)

    def resample_conditions(self) -> None:
        fresh = condition_point_sets(self.problem, self.model, self.condition_points, self.rng, self.dtype)
        self.points.update(fresh)

    def finish(self) -> None:
        pass


class _Loop:
    """The steps of one run (single network or batched members)."""

    def __init__(self, fit, plan, balancer, combine, callbacks, eval_every, log_every, progress,
                 resample_every=None, resample_conditions=None, checkpoint=None, resume=None):
        self.fit, self.plan, self.balancer, self.combine = fit, plan, balancer, combine
        self.callbacks, self.eval_every, self.log_every, self.progress = list(callbacks), eval_every, log_every, progress
        self.resample_every, self.resample_conditions_every = resample_every, resample_conditions
        self.total = sum(n for _, n in plan)
        self.checkpoint, self.resume = checkpoint, resume

    # -- logging -------------------------------------------------------------------------
    def _row(self, m: int, losses: dict, total: float, extra: dict) -> dict:
        st = self.state
        if self.fit.members == 1:  # the logged total is Σ w_i L_i of the logged terms
            total = sum(st.weights[n] * losses[n] for n in self.fit.names)
        row = {"step": st.step, "phase": st.phase, "time": st.elapsed, "loss": total}
        row.update({f"loss/{n}": v for n, v in losses.items()})
        row.update({f"weight/{n}": w for n, w in st.weights.items()})
        if m == 0:
            row.update(self.fit.unknown_values())
        row.update(extra)
        return row

    def _event(self, text: str) -> None:
        for h in self.fit.histories:
            h.append(step=self.state.step, event=text)

    def run(self) -> None:
        fit = self.fit
        M = fit.members
        fit.start(self.plan)
        histories = fit.histories
        st = self.state = TrainState(fit.problem, fit.model, fit.params, fit.unknowns, fit.points, histories[0],
                                     total_steps=self.total, dtype=fit.dtype, residual_loss=fit.residual_loss)
        names = fit.names
        bstate = self.balancer.init(names)
        cstate = self.combine.init(names) if self.combine is not None else None
        st.weights = {n: 1.0 for n in names}
        if is_static(self.balancer):
            st.weights, bstate = self.balancer.update(dict(st.weights), bstate, None)
        good = [p.detach().clone() for p in fit.trainable]
        alive = [True] * M
        last = [{} for _ in range(M)]
        lowest = [math.inf] * M
        start_phase, start_done = 0, 0
        if self.resume is not None:
            bstate, cstate, good, alive, last, lowest, start_phase, start_done = self._restore(self.resume)
            histories = fit.histories
        elif self.checkpoint is not None:  # a state that cannot be written is an error now, not at step n
            attributes(fit.sampler, "the sampler")
            attributes(fit.residual_loss, "the residual reduction")
        for cb in self.callbacks:
            cb.on_train_begin(st)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.total, initial=st.step, desc=fit.problem_name if M == 1 else f"{fit.problem_name} ×{M}",
                       leave=False, mininterval=0.5)
        try:
            for index, (spec, n_steps) in enumerate(self.plan):
                if index < start_phase:
                    continue
                done = start_done if index == start_phase else 0
                if n_steps == 0 or st.stop or not any(alive):
                    continue
                st.phase = spec.name
                opt = spec.make(fit.trainable)
                sched = spec.schedule(opt) if spec.schedule else None
                iterations = None
                if spec.uses_closure:
                    iterations = LBFGSIterations(opt, n_steps, spec.options.get("max_eval"))
                    notes = []
                    if not is_static(self.balancer):
                        notes.append(f"{type(self.balancer).__name__} weights held at "
                                     f"{ {n: round(w, 6) for n, w in st.weights.items()} }")
                    if self.combine is not None:
                        notes.append(f"{type(self.combine).__name__} not applied")
                    if notes and done == 0:
                        self._event(f"{spec.name}: " + "; ".join(notes) + " (L-BFGS steps along the gradient "
                                    "of the weighted sum of the terms)")
                if self.resume is not None and index == start_phase:
                    opt.load_state_dict(self.resume["optimizer"])
                    if sched is not None:
                        sched.load_state_dict(self.resume["scheduler"])
                    if iterations is not None:
                        iterations.load_state_dict(self.resume["lbfgs"])
                for _ in range(n_steps - done):
                    st.step += 1
                    done += 1
                    resampled = False
                    if self.resample_every and st.step > 1 and (st.step - 1) % self.resample_every == 0:
                        fit.resample(st.step, st.score)
                        resampled = True
                    if (self.resample_conditions_every and st.step > 1
                            and (st.step - 1) % self.resample_conditions_every == 0):
                        fit.resample_conditions()
                        resampled = True
                    if resampled and iterations is not None:  # the cached evaluation was of the old points
                        iterations.invalidate()
                    if iterations is not None:
                        values, totals, stop_reason = self._closure_step(iterations, names)
                    else:
                        values, totals, bstate, cstate = self._first_order_step(opt, names, bstate, cstate, alive)
                        stop_reason = None
                    finite = [math.isfinite(totals[m]) and all(math.isfinite(v) for v in values[m].values())
                              for m in range(M)]
                    # the unweighted sum of the terms: an adaptive balancer's growing weights are
                    # not a blow-up of the solution (the authors' LRA rule grows them to ~1e8)
                    raw = [math.fsum(values[m].values()) if finite[m] else math.nan for m in range(M)]
                    blown = [finite[m] and 0 < lowest[m] < math.inf and raw[m] > BLOWUP * lowest[m]
                             for m in range(M)]
                    finite = [finite[m] and not blown[m] for m in range(M)]
                    lowest = [min(lowest[m], raw[m]) if finite[m] else lowest[m] for m in range(M)]
                    newly_dead = [alive[m] and not finite[m] for m in range(M)]
                    if any(newly_dead) or not all(alive):
                        fit.restore(good, [not (alive[m] and finite[m]) for m in range(M)])
                    for m in range(M):
                        if newly_dead[m]:
                            h = histories[m]
                            h.status = "diverged"
                            what = (f"loss grew to {raw[m]:.3g} at step {st.step} ({spec.name}), more than "
                                    f"{BLOWUP:.0e} times its lowest value {lowest[m]:.3g}" if blown[m] else
                                    f"loss became {totals[m]} at step {st.step} ({spec.name})")
                            h.message = f"{what}; parameters restored to the last step before that"
                            who = "" if M == 1 else f"ensemble member {m}: "
                            warnings.warn(f"pinnkit: {who}{h.message}", RuntimeWarning, stacklevel=4)
                            alive[m] = False
                    if not any(alive):
                        st.stop = histories[0].message if M == 1 else "every member diverged"
                        break
                    if iterations is not None:
                        good = [p.detach().clone() for p in iterations.start_params]
                    else:
                        if M > 1:
                            fit.restore(good, [not a for a in alive])
                        with torch.no_grad():
                            torch._foreach_copy_(good, fit.trainable)  # one call instead of one per tensor
                        opt.step()
                        if sched is not None:
                            sched.step()
                    st.losses = values[0]
                    for m in range(M):
                        if alive[m]:
                            last[m] = values[m]
                    extra = fit.metrics() if st.step % self.eval_every == 0 else None
                    if st.step % self.log_every == 0 or extra is not None:
                        lr = opt.param_groups[0]["lr"]
                        for m in range(M):
                            if alive[m]:
                                histories[m].append(**self._row(m, values[m], totals[m],
                                                                {**(extra[m] if extra else {}), "lr": lr}))
                    if bar is not None:
                        bar.update(1)
                        if st.step % 50 == 0:
                            bar.set_postfix(loss=f"{totals[0]:.3e}")
                    for cb in self.callbacks:
                        cb.on_step_end(st)
                    if (self.checkpoint is not None and stop_reason is None
                            and (st.step % self.checkpoint[1] == 0 or st.stop)):
                        self._save(index, done, opt, sched, iterations, bstate, cstate, good, alive, last, lowest)
                    if st.stop:
                        break
                    if stop_reason is not None:
                        self._event(f"{spec.name} converged: {stop_reason}")
                        break
                if iterations is not None:
                    for h in histories:
                        h.meta.setdefault("lbfgs", []).append(
                            {"iterations": iterations.iterations, "evaluations": iterations.evaluations})
        except KeyboardInterrupt:
            st.stop = "interrupted"
        finally:
            if bar is not None:
                bar.close()
        if fit.members > 1 and not all(alive):  # the last optimizer step moved every member
            fit.restore(good, [not a for a in alive])
        fit.finish()
        final_metrics = fit.metrics()
        for m, h in enumerate(histories):
            if h.status == "running":
                if M == 1:
                    stop = st.stop
                    h.status = ("completed" if not stop else "time budget reached" if stop.startswith("time budget")
                                else "stopped" if "target" not in stop else "target reached")
                    h.message = stop or ""
                else:
                    h.status, h.message = ("stopped", "interrupted") if st.stop == "interrupted" else ("completed", "")
            h.final = {"step": st.step, "time": st.elapsed, "loss": h.last("loss", math.nan),
                       **{f"loss/{n}": v for n, v in last[m].items()},
                       **(fit.unknown_values() if m == 0 else {}), **final_metrics[m]}
        for cb in self.callbacks:
            cb.on_train_end(st)

    # -- checkpoints ----------------------------------------------------------------------
    def _save(self, index, done, opt, sched, iterations, bstate, cstate, good, alive, last, lowest) -> None:
        fit, st = self.fit, self.state
        save_training_state(self.checkpoint[0], {
            "step": st.step, "phase": index, "phase_step": done, "elapsed": st.elapsed, "every": self.checkpoint[1],
            "run": self._identity(),
            "model": fit.model.state_dict(), "unknowns": fit.unknowns.state_dict(),
            "optimizer": opt.state_dict(), "scheduler": None if sched is None else sched.state_dict(),
            "lbfgs": None if iterations is None else iterations.state_dict(),
            "balancer": plain(bstate, "the balancer"), "combiner": plain(cstate, "the combiner"),
            "weights": dict(st.weights), "good": [g.detach().clone() for g in good], "alive": list(alive),
            "last": plain(last, "the losses"), "lowest": list(lowest),
            "points": {k: v.detach().clone() for k, v in fit.points.items()},
            "rng": plain(fit.rng.bit_generator.state, "the point generator"), "torch_rng": torch.get_rng_state(),
            "sampler": attributes(fit.sampler, "the sampler"),
            "residual_loss": attributes(fit.residual_loss, "the residual reduction"),
            "histories": [json.dumps(h.to_dict()) for h in fit.histories],
        })

    def _identity(self) -> dict:
        """What a training state must match to be resumed by this loop."""
        fit = self.fit
        return {"problem": fit.problem_name, "members": fit.members, "terms": list(fit.names),
                "plan": [[s.name, n] for s, n in self.plan], "seed": getattr(fit, "seed", None)}

    def _restore(self, r: dict):
        fit, st = self.fit, self.state
        ours = json.loads(json.dumps(self._identity()))
        if r.get("run") != ours:
            raise ValueError(f"this training state was written by another run ({r.get('run')}); this run is {ours}")
        fit.model.load_state_dict(r["model"])
        fit.unknowns.load_state_dict(r["unknowns"])
        for k, v in r["points"].items():
            fit.points[k] = v
        fit.rng.bit_generator.state = unplain(r["rng"])
        torch.set_rng_state(r["torch_rng"])
        set_attributes(fit.sampler, r["sampler"])
        set_attributes(fit.residual_loss, r["residual_loss"])
        fit.histories[:] = [History.from_dict(json.loads(t)) for t in r["histories"]]
        st.history = fit.histories[0]
        st.step, st.weights = int(r["step"]), dict(r["weights"])
        st.started = time.perf_counter() - float(r["elapsed"])
        return (unplain(r["balancer"]), unplain(r["combiner"]), [g.clone() for g in r["good"]], list(r["alive"]),
                unplain(r["last"]), list(r["lowest"]), int(r["phase"]), int(r["phase_step"]))

    # -- one step ------------------------------------------------------------------------
    def _first_order_step(self, opt, names, bstate, cstate, alive):
        fit, st = self.fit, self.state
        opt.zero_grad(set_to_none=True)
        terms = fit.losses()
        if fit.members == 1:
            adaptive = not is_static(self.balancer)
            ctx = (Context(st.step, terms, fit.trainable, pointwise=fit.pointwise)
                   if adaptive or self.combine is not None else None)
            if adaptive:
                st.weights, bstate = self.balancer.update({n: 1.0 for n in names}, bstate, ctx)
            total = _weighted_sum(terms, st.weights, names)
            values = {n: float(t.detach()) for n, t in terms.items()}
            loss_value = float(total.detach())
            if math.isfinite(loss_value):
                if self.combine is None:
                    total.backward()
                else:  # the per-term gradients a balancer already took are shared through ctx
                    direction, cstate = self.combine.update(ctx.lazy_grads(), st.weights, cstate, st.step)
                    _set_flat_grad(fit.trainable, direction)
            return [values], [loss_value], bstate, cstate
        per_member = _weighted_sum(terms, st.weights, names)  # (M,)
        finite = torch.isfinite(per_member.detach())
        mask = finite & torch.tensor(alive)
        per_member.masked_fill(~mask, 0.0).sum().backward()
        table = torch.stack([per_member.detach()] + [terms[n].detach() for n in names]).T.tolist()
        values = [{n: row[i + 1] for i, n in enumerate(names)} for row in table]
        return values, [row[0] for row in table], bstate, cstate

    def _closure_step(self, iterations: LBFGSIterations, names):
        fit, st = self.fit, self.state

        def evaluate():
            iterations.opt.zero_grad(set_to_none=True)
            terms = fit.losses()
            total = _weighted_sum(terms, st.weights, names)
            if torch.isfinite(total):
                total.backward()
            return total, {n: float(t.detach()) for n, t in terms.items()}

        iterations.start_params = [p.detach().clone() for p in fit.trainable]
        it = iterations.step(evaluate)
        # the losses of the parameters before this step's update, as for first-order steps
        return [it.start_info], [it.start_loss], it.stop
