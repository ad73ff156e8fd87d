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
  :class:`pinnkit.losses.CausalResidual` into the history and can stop training once the
  min-weight test passes.
- :class:`GridRefine` — KAN grid extension between stages (Liu et al., "KAN:
  Kolmogorov–Arnold Networks", arXiv 2404.19756, §2.4): train on a coarse grid, refine it
  (the function kept by a least-squares refit), train again.
- :class:`Strategy` objects (:data:`STRATEGIES`: plain, curriculum, ramp, seq2seq, grid) — the
  same methods as settings of a :class:`pinnkit.recipes.RunConfig`.
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
           "Seq2SeqResult", "seq2seq", "merge_histories", "Strategy", "Plain", "Curriculum", "Ramp", "Seq2Seq",
           "GridRefine", "STRATEGIES"]


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

    Adds ``causal/epsilon`` and ``causal/min_weight`` to each logged row; with
    ``stop_when_converged`` ends training once the loss reports convergence (min_i w_i > δ
    at the last ε, the paper's test). Snapshots of the weights and slice losses over
    training come from :class:`pinnkit.diagnostics.Recorder`."""

    def __init__(self, loss: CausalResidual, stop_when_converged: bool = False):
        if not isinstance(loss, CausalResidual):
            raise ValueError(f"CausalMonitor watches a CausalResidual; got {type(loss).__name__}")
        self.loss, self.stop_when_converged = loss, stop_when_converged

    def on_step_end(self, state):
        rows = state.history.rows
        if rows and rows[-1].get("step") == state.step:
            rows[-1]["causal/epsilon"] = self.loss.epsilon
            rows[-1]["causal/min_weight"] = self.loss.min_weight
        if self.stop_when_converged and self.loss.converged:
            state.stop = f"causal weights converged: min w = {self.loss.min_weight:.3f} > {self.loss.delta}"


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
    mapped into the window. Hard constraints are dropped, except a transform with an
    ``at_window(t0, conditions, names)`` method (an initial-value transform such as
    :class:`pinnkit.problems.zoo.mechanics.InitialValueTransform`), which is rebuilt on the
    window's initial conditions; the reference is the problem's own (it is defined at every
    point)."""
    dom = problem.domain
    if not dom.is_time_dependent:
        raise ValueError(f"{problem.name} is not time-dependent; seq2seq needs a 't' coordinate")
    T0, T1 = dom.low[-1], dom.high[-1]
    if not (T0 <= t0 < t1 <= T1):
        raise ValueError(f"window [{t0}, {t1}] must lie inside [{T0}, {T1}] with t0 < t1")
    if dom.dim == 1:  # an ODE: time is the only coordinate
        wdom = Box((t0,), (t1,), ("t",))
    else:
        wdom = TimeDomain(Box(dom.low[:-1], dom.high[:-1], dom.names[:-1]), t0, t1)
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
    hard, satisfies = None, ()
    if hasattr(problem.hard, "at_window"):  # a transform that restarts from the window's initial state
        hard, satisfies = problem.hard.at_window(t0, conditions, problem.hard_satisfies), problem.hard_satisfies
    return problem.replace(name=f"{problem.name}[t={t0:g}..{t1:g}]", domain=wdom, conditions=conditions,
                           hard=hard, hard_satisfies=satisfies, test_shape=tuple(problem.test_shape[:-1]) + (nt,),
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


# ----------------------------------------------------------------- strategies as objects

#: ``fit(problem, model, share=1, callbacks=()) -> History``: one stage of training with
#: every other setting of the run, ``num_points // share`` residual points and extra
#: ``callbacks`` (a closure made by :class:`pinnkit.recipes.Recipe`)
Fit = Callable[..., History]


def merge_histories(histories: Sequence[History], kind: str, labels: Sequence[dict]) -> History:
    """One history of a run trained in stages (rungs of a curriculum, seq2seq windows):
    the stages' rows in order, steps counted over the whole run, each row marked with its
    stage (``kind`` column); ``meta[kind + "s"]`` lists the stages (``labels`` plus each
    stage's status and final numbers); status and message are the first unfinished stage's,
    else the last one's; ``final`` is the last stage's with the run's step and time."""
    if not histories:
        raise ValueError("no stage was trained")
    out = History(meta={**histories[0].meta, kind + "s": []})
    offset, elapsed = 0, 0.0
    for i, (h, label) in enumerate(zip(histories, labels)):
        for r in h.rows:
            out.rows.append({**r, "step": r["step"] + offset, kind: i, **({"time": r["time"] + elapsed}
                                                                            if "time" in r else {})})
        out.meta[kind + "s"].append({**label, "status": h.status, "steps": int(h.final.get("step", 0)),
                                     "final": dict(h.final)})
        offset += int(h.final.get("step", 0))
        elapsed += float(h.final.get("time", 0.0))
    unfinished = [h for h in histories if h.status != "completed"]
    last = unfinished[0] if unfinished else histories[-1]
    out.status, out.message = last.status, last.message
    out.final = {**histories[-1].final, "step": offset, "time": elapsed}
    return out


class Strategy:
    """How a run is trained: ``model(problem, make_model)`` builds the network that is
    trained and saved; ``run(problem, model, fit)`` trains it (in one or several stages)
    and returns one :class:`History`. The plain strategy is one stage."""

    stages = 1

    def model(self, problem: Problem, make_model: Callable[[Problem], nn.Module]) -> nn.Module:
        return make_model(problem)

    def run(self, problem: Problem, model: nn.Module, fit: Fit) -> History:
        return fit(problem, model)


class Plain(Strategy):
    """One run of the whole plan on the whole problem."""


class Curriculum(Strategy):
    """Curriculum regularisation as a strategy (:func:`curriculum`): the plan runs once per
    value of ``parameter`` in ``values`` (the last is the target), each rung starting from
    the previous rung's weights with a fresh optimizer."""

    def __init__(self, parameter: str, values: Sequence[float]):
        values = [float(v) for v in values]
        if not values:
            raise ValueError("curriculum needs at least one value")
        self.parameter, self.values = parameter, values
        self.stages = len(values)

    def model(self, problem, make_model):
        if self.parameter not in problem.parameters:
            raise ValueError(f"{problem.name} has no parameter {self.parameter!r}; it has {sorted(problem.parameters)}")
        if self.values[-1] != problem.values[self.parameter]:
            raise ValueError(f"the curriculum must end at the run's {self.parameter} = "
                             f"{problem.values[self.parameter]:g}; its last value is {self.values[-1]:g}")
        return make_model(problem)

    def run(self, problem, model, fit):
        histories = []
        for v in self.values:
            rung = problem.with_parameters(**{self.parameter: v})
            if isinstance(getattr(model, "params", None), dict) and hasattr(model, "transform"):
                model.params = rung.values  # a hard-constraint transform follows the rung's values
            h = fit(rung, model)
            histories.append(h)
            if h.status != "completed":
                break
        return merge_histories(histories, "rung", [{self.parameter: v} for v in self.values])


class Ramp(Strategy):
    """The linear parameter ramp of one run (:class:`ParameterRamp`)."""

    def __init__(self, parameter: str, start: float = 0.0, ramp_steps: int | None = None):
        self.parameter, self.start, self.ramp_steps = parameter, float(start), ramp_steps

    def run(self, problem, model, fit):
        if self.parameter not in problem.parameters:
            raise ValueError(f"{problem.name} has no parameter {self.parameter!r}; it has {sorted(problem.parameters)}")
        ramp = ParameterRamp(self.parameter, problem.values[self.parameter], self.start, self.ramp_steps)
        return fit(problem, model, callbacks=[ramp])


class Seq2Seq(Strategy):
    """Sequence-to-sequence time marching as a strategy (:func:`seq2seq`): ``windows``
    networks, one per time window, trained in order, each window's initial condition taken
    from the previous window's network; the residual points are shared out
    (``num_points // windows`` per window). The trained model is the
    :class:`PiecewiseInTime` of the windows' networks."""

    def __init__(self, windows: int):
        if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
            raise ValueError(f"windows must be a positive integer; got {windows!r}")
        self.windows = self.stages = windows

    def edges(self, problem) -> list[float]:
        if not problem.domain.is_time_dependent:
            raise ValueError(f"{problem.name} is not time-dependent; seq2seq needs a 't' coordinate")
        return list(np.linspace(problem.domain.low[-1], problem.domain.high[-1], self.windows + 1))

    def model(self, problem, make_model):
        e = self.edges(problem)
        return PiecewiseInTime([make_model(window_problem(problem, e[k], e[k + 1])) for k in range(self.windows)], e)

    def run(self, problem, model, fit):
        e = self.edges(problem)
        histories, previous = [], None
        for k, net in enumerate(model.models):
            wp = window_problem(problem, e[k], e[k + 1], previous)
            if wp.hard is not None and hasattr(net, "transform"):  # built before the previous window was trained
                net.transform = wp.hard
            h = fit(wp, net, share=self.windows)
            histories.append(h)
            previous = net
            if h.status != "completed":
                break
        return merge_histories(histories, "window", [{"t0": e[k], "t1": e[k + 1]} for k in range(self.windows)])


class GridRefine(Strategy):
    """KAN grid extension as a strategy (Liu et al., arXiv 2404.19756, §2.4; pykan's PDE
    example refines 5 → 10 → 20): the plan runs once per grid size in ``grids``, the first
    being the model's own; between stages every layer's grid is refined with its function
    kept (:meth:`pinnkit.models.kan.KAN.extend_grid`), and a fresh optimizer starts.
    ``adapt=True`` first moves each layer's grid to the range of its inputs on a grid of
    ``samples`` domain points (hidden layers' inputs drift out of [-1, 1] in training);
    ``adapt=False`` keeps every interval (nested grids: the function is kept to round-off
    wherever each layer's inputs lie in its interval).

    ``updates`` × ``update_every``: pykan's grid update during training (its Poisson example
    moves the grids to the layers' input ranges every 5 optimizer steps for the first 20 of
    each grid, because the hidden layers' ranges grow while the network trains and a spline
    is zero outside its grid). Each grid then first trains ``updates`` chunks of
    ``update_every`` steps of the plan's first phase (a fresh optimizer per chunk), each after
    a grid update at the same number of intervals, and then the run's plan. With the default
    ``updates=0`` the grids move only when they are refined."""

    def __init__(self, grids: Sequence[int], adapt: bool = True, samples: int = 2500, updates: int = 0,
                 update_every: int = 0):
        grids = list(grids)
        if not grids or any(isinstance(g, bool) or not isinstance(g, int) or g < 1 for g in grids):
            raise ValueError(f"grids must be a list of positive integers; got {grids!r}")
        for name, v in (("updates", updates), ("update_every", update_every)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be an integer >= 0; got {v!r}")
        if updates and not update_every:
            raise ValueError(f"updates = {updates} needs update_every >= 1 (steps between grid updates)")
        if updates and not adapt:
            raise ValueError("grid updates move the grids to the layers' input ranges: they need adapt=True")
        self.grids, self.adapt, self.samples = grids, bool(adapt), int(samples)
        self.updates, self.update_every = updates, update_every
        self.stages = len(grids)

    @staticmethod
    def _kan(model: nn.Module):
        net = getattr(model, "model", model)  # inside a hard-constraint transform
        if not callable(getattr(net, "extend_grid", None)):
            raise ValueError(f"strategy 'grid' refines a KAN's grid; {type(net).__name__} has none (model='kan')")
        return net

    def model(self, problem, make_model):
        model = make_model(problem)
        kan = self._kan(model)
        if kan.grid != self.grids[0]:
            raise ValueError(f"the grid refinement must start at the model's grid {kan.grid}; it starts at "
                             f"{self.grids[0]} (set model_options grid to {self.grids[0]})")
        return model

    def run(self, problem, model, fit):
        kan = self._kan(model)
        histories = []
        x = None
        if self.adapt:
            n = max(2, int(round(self.samples ** (1 / problem.domain.dim))))
            x = torch.as_tensor(problem.domain.grid(n), dtype=next(kan.parameters()).dtype)
        for i, g in enumerate(self.grids):
            if i:
                kan.extend_grid(g, x)
            chunks = []
            for _ in range(self.updates):
                kan.extend_grid(g, x)  # same intervals, moved to where the layers' inputs are now
                chunks.append(fit(problem, model, steps=(self.update_every, 0)))
                if chunks[-1].status != "completed":
                    break
            if not chunks or chunks[-1].status == "completed":
                chunks.append(fit(problem, model))
            h = chunks[0] if len(chunks) == 1 else merge_histories(chunks, "update", [{} for _ in chunks])
            histories.append(h)
            if h.status != "completed":
                break
        return merge_histories(histories, "grid_stage", [{"grid": g} for g in self.grids])


#: strategy name -> class taking the configuration's ``strategy_options``
STRATEGIES: dict[str, type[Strategy]] = {"none": Plain, "curriculum": Curriculum, "ramp": Ramp, "seq2seq": Seq2Seq,
                                         "grid": GridRefine}
