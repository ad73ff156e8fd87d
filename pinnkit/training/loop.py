"""The training loop: ``train(problem, model, ...) -> History``."""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..balancing import Balancer, Context, Static
from ..losses import ResidualLoss, loss_terms, mean_square, pointwise_residual, term_residuals
from ..optim import OptimizerSpec, as_plan
from ..models.engines import Engine, get_engine
from ..runtime import tune_allocator
from ..problems.problem import Problem
from ..sampling import Sampler, Uniform
from .callbacks import Callback
from .evaluate import Evaluator
from .history import History

__all__ = ["train", "TrainState", "Divergence"]


class Divergence(RuntimeError):
    """Raised by ``train(..., on_divergence="raise")`` when the loss becomes NaN or Inf."""


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

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def score(self, x: np.ndarray) -> np.ndarray:
        """|PDE residual| at numpy points ``x: (N, d)`` -> ``(N,)`` (for samplers)."""
        xt = torch.as_tensor(x, dtype=self.dtype).requires_grad_(True)
        r = pointwise_residual(self.problem, self.model, xt, self.params)
        return r.detach().abs().sum(dim=1).double().numpy()


def _count(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {v!r}")
    return int(v)


def train(
    problem: Problem,
    model: nn.Module,
    *,
    sampler: Sampler | None = None,
    balancer: Balancer | None = None,
    optimizer: OptimizerSpec | Sequence[tuple[OptimizerSpec, int]] | None = None,
    steps: int | None = None,
    condition_points: int | Mapping[str, int] = 200,
    callbacks: Sequence[Callback] = (),
    metrics: Callable[[nn.Module], dict] | str | None = "auto",
    eval_every: int = 100,
    log_every: int = 1,
    residual_loss: ResidualLoss = mean_square,
    combine: Callable | None = None,
    seed: int = 0,
    dtype: torch.dtype | str = torch.float32,
    threads: int | None = None,
    progress: bool = True,
    on_divergence: str = "stop",
    engine: str | Engine | None = None,
) -> History:
    """Train ``model`` on ``problem`` and return its :class:`History`.

    - ``sampler``: interior points for the residual (default ``Uniform(2000)``).
    - ``balancer``: per-term weights (default: all ones).
    - ``optimizer``: an :class:`OptimizerSpec` with ``steps``, or a plan
      ``[(spec, steps), ...]`` such as ``adam_then_lbfgs(5000, 2000)``.
    - ``condition_points``: points per condition (one number, or per name). Conditions
      the model satisfies exactly (:class:`HardConstraint`) get no points and no term.
    - ``metrics``: ``model -> {name: value}`` evaluated every ``eval_every`` steps and at
      the end (``"auto"``: relative L2 against the reference when the problem has one).
    - ``residual_loss``: reduction of pointwise residuals (e.g. causal weighting).
    - ``combine``: gradient combination ``combine(grads, weights, step) -> flat gradient``
      where ``grads`` maps term names to flat per-term gradients (PCGrad, ConFIG,
      MultiAdam's per-term moments); the optimizer then steps along the result. Without
      it the gradient is that of ``Σ w_i L_i``. Used with first-order optimizers only.
    - ``seed``, ``dtype`` (``torch.float32``/``float64`` or ``"float32"``/``"float64"``),
      ``threads`` (``torch.set_num_threads`` for the duration of the run).
    - ``on_divergence``: ``"stop"`` keeps the last parameters with a finite loss, records
      ``status="diverged"`` and warns; ``"raise"`` does the same then raises
      :class:`Divergence`.
    - ``engine``: how input derivatives are computed (:mod:`pinnkit.models.engines`:
      ``"autograd"``, ``"taylor"``, ``"taylor-compiled"`` or an :class:`Engine`); default
      :data:`~pinnkit.models.engines.DEFAULT_ENGINE`. Engines agree to round-off.

    The model is trained in place (converted to ``dtype``). The first call in a process
    tunes the C allocator for repeated same-size steps (:func:`pinnkit.runtime.tune_allocator`;
    ``PINNKIT_TUNE_MALLOC=0`` turns that off).
    """
    if isinstance(dtype, str):
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
        dtype = getattr(torch, dtype)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}")
    if on_divergence not in ("stop", "raise"):
        raise ValueError(f"on_divergence must be 'stop' or 'raise'; got {on_divergence!r}")
    _count("eval_every", eval_every)
    _count("log_every", log_every)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    plan = as_plan(optimizer, steps)
    total = sum(n for _, n in plan)
    tune_allocator()

    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_count("threads", threads))
    try:
        return _run(problem, model, sampler or Uniform(2000), balancer or Static({}), plan, total,
                    condition_points, callbacks, metrics, eval_every, log_every, residual_loss,
                    combine, int(seed), dtype, progress, on_divergence, get_engine(engine))
    finally:
        torch.set_num_threads(old_threads)


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


def _condition_points(problem, model, condition_points, rng, dtype):
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


def _run(problem, model, sampler, balancer, plan, total, condition_points, callbacks, metrics,
         eval_every, log_every, residual_loss, combine, seed, dtype, progress, on_divergence, engine):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model.to(dtype)
    unknowns = nn.ParameterDict({k: nn.Parameter(torch.tensor(float(v), dtype=dtype))
                                 for k, v in problem.unknowns.items()})
    params = {**problem.values, **unknowns}
    points = {"residual": torch.as_tensor(sampler.sample(problem.domain, rng), dtype=dtype)}
    points.update(_condition_points(problem, model, condition_points, rng, dtype))
    if metrics == "auto":
        metrics = Evaluator(problem) if problem.reference is not None else None
    history = History(meta={"problem": problem.name, "parameters": problem.values, "seed": seed,
                            "dtype": str(dtype).replace("torch.", ""), "total_steps": total,
                            "plan": [(s.name, n, {k: v for k, v in s.options.items()}) for s, n in plan],
                            "sampler": repr(sampler)})
    state = TrainState(problem, model, params, unknowns, points, history, total_steps=total, dtype=dtype)
    trainable = [p for p in list(model.parameters()) + list(unknowns.values()) if p.requires_grad]
    names = list(points)
    bstate = balancer.init(names)
    state.weights = {n: 1.0 for n in names}
    good = [p.detach().clone() for p in trainable]

    residual_model = engine.wrap(model)

    def evaluate_losses():
        terms = loss_terms(problem, residual_model, state.points, params, residual_loss)
        return terms

    def log(extra=None):
        row = {"step": state.step, "phase": state.phase, "time": state.elapsed,
               "loss": sum(state.weights[n] * state.losses[n] for n in names)}
        row.update({f"loss/{n}": v for n, v in state.losses.items()})
        row.update({f"weight/{n}": w for n, w in state.weights.items()})
        row.update({f"unknown/{k}": float(v.detach()) for k, v in unknowns.items()})
        row.update(extra or {})
        history.append(**row)

    def run_metrics():
        if metrics is None:
            return {}
        return {f"metric/{k}": float(v) for k, v in metrics(model).items()}

    for cb in callbacks:
        cb.on_train_begin(state)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=problem.name, leave=False, mininterval=0.5)
    try:
        for spec, n_steps in plan:
            if n_steps == 0 or state.stop:
                continue
            state.phase = spec.name
            opt = spec.make(trainable)
            sched = spec.schedule(opt) if spec.schedule else None
            prev_loss = math.inf
            for _ in range(n_steps):
                state.step += 1
                if sampler.every and state.step > 1 and (state.step - 1) % sampler.every == 0:
                    new = sampler.refine(state.points["residual"].double().numpy(), problem.domain,
                                         state.step, state.score, rng)
                    state.points["residual"] = torch.as_tensor(new, dtype=dtype)
                if spec.uses_closure:
                    lbfgs_losses = {}

                    def closure():
                        opt.zero_grad(set_to_none=True)
                        terms = evaluate_losses()
                        total_loss = _weighted_sum(terms, state.weights, names)
                        if torch.isfinite(total_loss):
                            total_loss.backward()
                        if not lbfgs_losses:
                            lbfgs_losses.update({n: float(t.detach()) for n, t in terms.items()})
                        return total_loss

                    lbfgs_state = opt.state[opt._params[0]]
                    iters_before = lbfgs_state.get("n_iter", 0)
                    before = [p.detach().clone() for p in trainable]
                    loss = opt.step(closure)  # the loss of `before`: L-BFGS has moved the parameters since
                    state.losses = lbfgs_losses
                    loss_value = float(loss.detach())
                    # torch's L-BFGS returns without iterating once the gradient is below tolerance_grad
                    stalled = opt.state[opt._params[0]].get("n_iter", 0) == iters_before
                else:
                    opt.zero_grad(set_to_none=True)
                    terms = evaluate_losses()
                    ctx = Context(state.step, terms, trainable,
                                  pointwise=lambda n: term_residuals(problem, model, state.points, params, n))
                    state.weights, bstate = balancer.update({n: 1.0 for n in names}, bstate, ctx)
                    total_loss = _weighted_sum(terms, state.weights, names)
                    state.losses = {n: float(t.detach()) for n, t in terms.items()}
                    loss_value = float(total_loss.detach())
                    stalled = False
                    if math.isfinite(loss_value):
                        if combine is None:
                            total_loss.backward()
                        else:
                            _set_flat_grad(trainable, combine(ctx.lazy_grads(), state.weights, state.step))
                if not math.isfinite(loss_value) or not all(math.isfinite(v) for v in state.losses.values()):
                    with torch.no_grad():
                        for p, g in zip(trainable, good):
                            p.copy_(g)
                    history.status = "diverged"
                    history.message = (f"loss became {loss_value} at step {state.step} ({spec.name}); "
                                       f"parameters restored to the last step with a finite loss")
                    state.stop = history.message
                    warnings.warn(f"pinnkit: {history.message}", RuntimeWarning, stacklevel=3)
                    break
                if spec.uses_closure:  # the finite loss belongs to the parameters before this step's update
                    good[:] = before
                else:
                    with torch.no_grad():
                        torch._foreach_copy_(good, trainable)  # one call instead of one per tensor
                if not spec.uses_closure:
                    opt.step()
                    if sched is not None:
                        sched.step()
                extra = {}
                if state.step % eval_every == 0:
                    extra = run_metrics()
                if state.step % log_every == 0 or extra:
                    log({**extra, "lr": opt.param_groups[0]["lr"]})
                if bar is not None:
                    bar.update(1)
                    if state.step % 50 == 0:
                        bar.set_postfix(loss=f"{loss_value:.3e}")
                for cb in callbacks:
                    cb.on_step_end(state)
                if state.stop:
                    break
                if spec.uses_closure:
                    if stalled or abs(prev_loss - loss_value) < spec.tolerance_change:
                        history.append(step=state.step, event=f"{spec.name} converged")
                        break
                    prev_loss = loss_value
    except KeyboardInterrupt:
        state.stop = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    if history.status == "running":
        history.status = "completed" if not state.stop else ("stopped" if "target" not in state.stop else "target reached")
        history.message = state.stop or ""
    history.final = {"step": state.step, "time": state.elapsed, "loss": history.last("loss", math.nan),
                     **{f"loss/{n}": v for n, v in state.losses.items()},
                     **{f"unknown/{k}": float(v.detach()) for k, v in unknowns.items()},
                     **run_metrics()}
    for cb in callbacks:
        cb.on_train_end(state)
    if history.status == "diverged" and on_divergence == "raise":
        raise Divergence(history.message)
    return history
