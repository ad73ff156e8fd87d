"""Training strategies built on the one loop: curriculum regularisation, seq2seq time
marching, and a monitor for causal weighting.

- :func:`curriculum` — warm-started parameter ladder (Krishnapriyan et al., "Characterizing
  possible failure modes in physics-informed neural networks", NeurIPS 2021, §5.1): train
  at an easy value of a PDE parameter (small β or ρ), then continue from those weights at
  the next value, up to the target.
- :class:`ParameterRamp` — the linear ramp variant used in the R3 authors' code
  (arkadaw9/r3_sampling_icml2023, ``curriculum_reg``): ``p(step) = start + (target −
  start) · min(1, step / ramp_steps)`` inside a single run, by changing ``state.params``.
- :func:`seq2seq` — sequence-to-sequence time marching (Krishnapriyan et al. §5.2): split
  ``[t0, t1]`` into windows, train one network per window in order, the previous window's
  prediction at its end time being the next window's initial condition; the residual
  points are shared out so the total collocation count is unchanged.
- :class:`CausalMonitor` — logs the causal weights and ε of a
  :class:`pinnkit.losses.CausalResidual` into the history, keeps snapshots of L_r(t) and
  w(t) for heat maps, and can stop training once the min-weight test passes.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..losses import CausalResidual
from ..problems.conditions import Condition, Initial
from ..problems.derivatives import gradient
from ..problems.domains import TimeDomain, Box
from ..problems.problem import Problem
from ..sampling import Sampler, Uniform
from .callbacks import Callback
from .history import History
from .loop import train

__all__ = ["ParameterRamp", "curriculum", "CausalMonitor", "TimeWindow", "window_problem", "PiecewiseInTime",
           "Seq2SeqResult", "seq2seq"]


# ---------------------------------------------------------------------------- curriculum

class ParameterRamp(Callback):
    """Linear ramp of PDE parameter ``name`` inside one run: before step 1 it is set to
    ``start``; after step s it is ``start + (target − start)·min(1, s / ramp_steps)``
    (``ramp_steps`` defaults to the run's total steps, as in the R3 authors'
    ``curriculum_reg``, which ramps β from 0 over all Adam iterations). The problem's
    reference (and so the reported error) stays that of the target value."""

    def __init__(self, name: str, target: float, start: float = 0.0, ramp_steps: int | None = None):
        if ramp_steps is not None and (not isinstance(ramp_steps, int) or ramp_steps < 1):
            raise ValueError(f"ramp_steps must be a positive integer or None; got {ramp_steps!r}")
        self.name, self.target, self.start, self.ramp_steps = name, float(target), float(start), ramp_steps

    def value(self, step: int, total: int) -> float:
        n = self.ramp_steps or max(total, 1)
        return self.start + (self.target - self.start) * min(1.0, step / n)

    def on_train_begin(self, state):
        if self.name not in state.params:
            raise ValueError(f"{state.problem.name} has no parameter {self.name!r}; it has {sorted(state.params)}")
        state.params[self.name] = self.start

    def on_step_end(self, state):
        state.params[self.name] = self.value(state.step, state.total_steps)
        if state.history.rows and state.history.rows[-1].get("step") == state.step:
            state.history.rows[-1][f"param/{self.name}"] = state.params[self.name]


def curriculum(problem: Problem, model: nn.Module, parameter: str, values: Sequence[float],
               steps: int | Sequence[int], **train_kwargs) -> list[History]:
    """Warm-started parameter ladder (Krishnapriyan et al. 2021, §5.1).

    Trains ``model`` in place on ``problem.with_parameters(parameter=v)`` for each ``v`` in
    ``values`` in order (the last is the target); each rung starts from the weights the
    previous rung ended with. ``steps`` is one count per rung or one for all. The paper
    gives no ladder; choose it (e.g. β = 1, 10, 20, 30). ``train_kwargs`` go to
    :func:`pinnkit.train` for every rung (pass a fresh ``optimizer``; each rung builds a
    new optimizer state, as a warm start from saved weights does). Returns one
    :class:`History` per rung, with ``meta["curriculum"] = {parameter: v, "rung": i}``.
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError("curriculum needs at least one parameter value")
    if parameter not in problem.parameters:
        raise ValueError(f"{problem.name} has no parameter {parameter!r}; it has {sorted(problem.parameters)}")
    per = [steps] * len(values) if isinstance(steps, (int, np.integer)) else list(steps)
    if len(per) != len(values):
        raise ValueError(f"give one step count per rung ({len(values)}); got {len(per)}")
    histories = []
    for i, (v, n) in enumerate(zip(values, per)):
        rung = problem.with_parameters(**{parameter: v})
        if hasattr(model, "transform") and hasattr(model, "params"):  # HardConstraint keeps the values it was built with
            model.params = rung.values
        h = train(rung, model, steps=int(n), **train_kwargs)
        h.meta["curriculum"] = {parameter: v, "rung": i}
        histories.append(h)
        if h.status == "diverged":
            break
    return histories


# ------------------------------------------------------------------------------- causal

class CausalMonitor(Callback):
    """Watch a :class:`CausalResidual` during training.

    Adds ``causal/epsilon`` and ``causal/min_weight`` to each logged row; every ``every``
    steps appends ``(step, ε, L_r(t_i), w_i)`` to ``snapshots`` (arrays over the slices,
    for the L_r(t)-over-training heat map); with ``stop_when_converged`` ends training
    once the loss reports convergence (min_i w_i > δ at the last ε, the paper's test)."""

    def __init__(self, loss: CausalResidual, every: int = 50, stop_when_converged: bool = False):
        if not isinstance(loss, CausalResidual):
            raise ValueError(f"CausalMonitor watches a CausalResidual; got {type(loss).__name__}")
        self.loss, self.every, self.stop_when_converged = loss, int(every), stop_when_converged
        self.snapshots: list[tuple[int, float, np.ndarray, np.ndarray]] = []

    def on_step_end(self, state):
        rows = state.history.rows
        if rows and rows[-1].get("step") == state.step:
            rows[-1]["causal/epsilon"] = self.loss.epsilon
            rows[-1]["causal/min_weight"] = self.loss.min_weight
        if state.step % self.every == 0 or state.step == 1:
            self.snapshots.append((state.step, self.loss.epsilon, self.loss.slice_losses.copy(),
                                   self.loss.weights.copy()))
        if self.stop_when_converged and self.loss.converged:
            state.stop = f"causal weights converged: min w = {self.loss.min_weight:.3f} > {self.loss.delta}"

    def heatmap(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(steps (S,), slice centres (N_t,), L_r (S, N_t))`` from the snapshots."""
        if not self.snapshots:
            raise ValueError("no snapshots yet")
        steps = np.array([s[0] for s in self.snapshots])
        return steps, self.loss.slice_centers, np.stack([s[2] for s in self.snapshots])


# ------------------------------------------------------------------------------ seq2seq

class TimeWindow(Condition):
    """A condition of the whole time range restricted to the window ``[t0, t1]``: points
    sampled by ``condition`` have their time mapped affinely from ``[T0, T1]`` into the
    window; the residual is the original one (boundary and periodicity conditions)."""

    def __init__(self, condition: Condition, full: tuple[float, float], window: tuple[float, float]):
        self.condition, self.full, self.window = condition, full, window
        self.component = getattr(condition, "component", 0)

    def sample(self, n, rng, method="random"):
        x = np.array(self.condition.sample(n, rng, method), float)
        (T0, T1), (t0, t1) = self.full, self.window
        x[:, -1] = t0 + (x[:, -1] - T0) / (T1 - T0) * (t1 - t0)
        return x

    def residual(self, u, x, params):
        return self.condition.residual(u, x, params)


def _frozen(model: nn.Module) -> nn.Module:
    m = copy.deepcopy(model).eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def _initial_from(previous: nn.Module, t_start: float, component: int, derivative: int) -> Callable:
    """Value function ``g(x, p)``: ∂^k u_prev/∂t^k at (x, t_start), detached -> ``(n, 1)``."""

    def g(x, p):
        dtype = next(previous.parameters()).dtype
        xs = x.detach().to(dtype).clone()
        xs[:, -1] = t_start
        with torch.enable_grad():
            xs.requires_grad_(derivative > 0)
            v = previous(xs)[:, component : component + 1]
            for _ in range(derivative):
                v = gradient(v, xs)[:, -1:]
        return v.detach().to(x.dtype)

    return g


def window_problem(problem: Problem, t0: float, t1: float, previous: nn.Module | None = None) -> Problem:
    """``problem`` restricted to times ``[t0, t1]``.

    Every :class:`Initial` condition is rebuilt at ``t0``: from the problem's own value when
    ``previous`` is None (the first window), else from the frozen ``previous`` model's
    value (or time derivative) at ``t0``. Other conditions keep their residual with times
    mapped into the window. Hard constraints are dropped; the reference is the problem's
    own (it is defined at every point)."""
    dom = problem.domain
    if not dom.is_time_dependent:
        raise ValueError(f"{problem.name} is not time-dependent; seq2seq needs a 't' coordinate")
    T0, T1 = dom.low[-1], dom.high[-1]
    if not (T0 <= t0 < t1 <= T1):
        raise ValueError(f"window [{t0}, {t1}] must lie inside [{T0}, {T1}] with t0 < t1")
    space = Box(dom.low[:-1], dom.high[:-1], dom.names[:-1])
    wdom = TimeDomain(space, t0, t1)
    prev = _frozen(previous) if previous is not None else None
    conditions: dict[str, Condition] = {}
    for name, c in problem.conditions.items():
        if isinstance(c, Initial):
            value = c.value if prev is None else _initial_from(prev, t0, c.component, c.derivative)
            conditions[name] = Initial(wdom, value, derivative=c.derivative, component=c.component)
        else:
            conditions[name] = TimeWindow(c, (T0, T1), (t0, t1))
    if not any(isinstance(c, Initial) for c in problem.conditions.values()):
        raise ValueError(f"{problem.name} has no Initial condition to march from")
    nt = max(2, int(round(problem.test_shape[-1] * (t1 - t0) / (T1 - T0))))
    return problem.replace(name=f"{problem.name}[t={t0:g}..{t1:g}]", domain=wdom, conditions=conditions,
                           hard=None, hard_satisfies=(), test_shape=tuple(problem.test_shape[:-1]) + (nt,),
                           factory=None)


class PiecewiseInTime(nn.Module):
    """``u(x, t) = model_k(x, t)`` for ``t`` in window k (``edges``: t_0 < ... < t_K)."""

    def __init__(self, models: Sequence[nn.Module], edges: Sequence[float]):
        super().__init__()
        if len(edges) != len(models) + 1:
            raise ValueError(f"{len(models)} models need {len(models) + 1} edges; got {len(edges)}")
        self.models = nn.ModuleList(models)
        self.register_buffer("edges", torch.as_tensor(edges, dtype=torch.float64))

    def forward(self, x):
        k = torch.bucketize(x[:, -1].detach().double(), self.edges[1:-1].to(x.device), right=True)
        out = None
        for i, m in enumerate(self.models):
            mask = k == i
            if mask.any():
                y = m(x[mask])
                if out is None:
                    out = torch.zeros(x.shape[0], y.shape[1], dtype=y.dtype)
                out = out.index_put((mask.nonzero()[:, 0],), y)
        return out


@dataclass
class Seq2SeqResult:
    """Windows' problems, trained models and histories; ``model`` stitches them in time."""

    edges: list[float]
    problems: list[Problem] = field(default_factory=list)
    models: list[nn.Module] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)

    @property
    def model(self) -> PiecewiseInTime:
        return PiecewiseInTime(self.models, self.edges[: len(self.models) + 1])


def seq2seq(problem: Problem, make_model: Callable[[Problem, int], nn.Module], windows: int, *,
            steps_per_window: int | None = None, num_points: int = 1000,
            sampler: Callable[[int], Sampler] = Uniform, **train_kwargs) -> Seq2SeqResult:
    """Sequence-to-sequence time marching (Krishnapriyan et al. 2021, §5.2).

    ``[t0, t1]`` is split into ``windows`` equal windows; window k's problem
    (:func:`window_problem`) takes its initial condition from window k−1's trained model
    at their shared time. ``make_model(window_problem, k)`` builds each window's network;
    each window gets ``sampler(num_points // windows)`` residual points, so the total
    collocation count equals ``num_points`` (paper: 1000 → 100 per window of Δt = 0.1).
    ``steps_per_window`` (or an ``optimizer`` plan in ``train_kwargs``) and the other
    ``train_kwargs`` apply to each window."""
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise ValueError(f"windows must be a positive integer; got {windows!r}")
    per = num_points // windows
    if per < 1:
        raise ValueError(f"{num_points} points cannot be shared out over {windows} windows")
    T0, T1 = problem.domain.low[-1], problem.domain.high[-1]
    edges = list(np.linspace(T0, T1, windows + 1))
    result = Seq2SeqResult(edges)
    previous = None
    for k in range(windows):
        wp = window_problem(problem, edges[k], edges[k + 1], previous)
        model = make_model(wp, k)
        h = train(wp, model, sampler=sampler(per), steps=steps_per_window, **train_kwargs)
        h.meta["window"] = {"index": k, "t0": edges[k], "t1": edges[k + 1]}
        result.problems.append(wp)
        result.models.append(model)
        result.histories.append(h)
        previous = model
        if h.status == "diverged":
            break
    return result
