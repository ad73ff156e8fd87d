"""Runs described by plain data: the edge where names become objects.

``RunConfig`` holds every setting of a run as JSON-able values — what a widget, a notebook's
parameter cell, a sweep or the command line fills in. ``build(config)`` turns it into a
:class:`Recipe`: the problem, the model, the sampler, the balancer, the gradient combiner,
the optimizer plan, the residual reduction, the callbacks and the training strategy, with
``recipe.train()`` to train it. ``run(config)`` builds, trains and (optionally) saves;
``save_run``/``load_run`` persist a run folder (``config.json``, ``history.json``,
``model.pt``, ``metrics.json``, all written atomically). Everything that trains a
configuration — :func:`run`, :func:`pinnkit.sweep`, the command line and the widgets —
goes through :func:`build`.

Each field of ``RunConfig`` carries its help text and, where it names something, the
registry of allowed names (``RunConfig.fields_help()``); the command line and the widget
controls are generated from them.
"""
from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .balancing import BALANCERS, make_balancer
from .combining import COMBINERS, Combiner, MultiAdam, make_combiner
from .losses import CausalResidual, mean_square
from .models import MODELS, ACTIVATIONS, build_model
from .models.engines import ENGINES
from .models.laplacians import LAPLACIANS, make_laplacian
from .optim import OPTIMIZERS, make_plan
from .problems import zoo
from .problems.problem import Problem
from .sampling import SAMPLERS, make_sampler
from .training import (Callback, Checkpoint, History, TimeBudget, atomic_write_text, load_checkpoint, save_checkpoint,
                       train)
from .training.strategies import STRATEGIES, CausalMonitor, Strategy

__all__ = ["RunConfig", "Run", "Recipe", "build", "run", "resume_run", "save_run", "load_run", "COMBINE_CHOICES",
           "TRAINING_STATE"]

#: the file of a run folder that ``run(..., checkpoint_every=n)`` keeps the training state in
TRAINING_STATE = "training_state.pt"

#: ``RunConfig.combine`` values: no combination, or a combiner of :mod:`pinnkit.combining`.
#: MultiAdam is chosen as ``optimizer="multiadam"`` (it replaces the optimizer's moments).
COMBINE_CHOICES = ("none",) + tuple(n for n in COMBINERS if n != "multiadam")


def _setting(default, help: str, *, choices: Callable[[], Sequence[str]] | None = None, group: str = "fit",
             widget: tuple | None = None, cli: bool = True):
    """A field of :class:`RunConfig` with what the command line and the widgets need to know."""
    meta = {"help": help, "choices": choices, "group": group, "widget": widget, "cli": cli}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def _problems():
    return zoo.names()


#: settings added after run stores existed: left out of ``key()`` while they hold these
#: defaults, so every configuration stored before keeps its key
_LATER_DEFAULTS = {"combine": "none", "causal": False, "causal_options": {}, "model": "mlp", "model_options": {},
                   "scale_inputs": True, "sampler_options": {}, "resample_conditions": None,
                   "optimizer_options": {}, "lbfgs_options": {}, "combine_options": {}, "strategy": "none",
                   "strategy_options": {}, "unknowns": {}, "data": {}, "time_budget": None,
                   "laplacian": "exact", "laplacian_options": {}, "hidden": {}}


#: the largest learning rate a RunConfig accepts
MAX_LR = 1e3


@dataclass
class RunConfig:
    """Everything needed to reproduce a run, as plain JSON-able values."""

    problem: str = _setting("burgers", "zoo problem", choices=_problems, group="problem")
    parameters: dict = _setting({}, "values of the problem's parameters, e.g. {\"beta\": 30}", group="problem",
                                cli=False)
    model: str = _setting("mlp", "network architecture", choices=lambda: list(MODELS), group="model",
                          widget=("select",))
    width: int = _setting(20, "neurons per hidden layer", group="model", widget=("int", 4, 128, 4))
    depth: int = _setting(4, "hidden layers", group="model", widget=("int", 1, 8, 1))
    activation: str = _setting("tanh", "activation function", choices=lambda: list(ACTIVATIONS), group="model",
                               widget=("select",))
    hard: bool = _setting(False, "satisfy boundary/initial conditions exactly (the problem's transform)",
                          group="model", widget=("check", "hard constraints"))
    fourier_features: int = _setting(0, "random Fourier features of the input (0: none)", group="model")
    fourier_sigma: float = _setting(1.0, "scale σ of the Fourier features' frequencies", group="model")
    scale_inputs: bool = _setting(True, "scale inputs from the domain box to [-1, 1] before the network",
                                  group="model")
    model_options: dict = _setting({}, "further network options, e.g. {\"periodic\": {\"x\": 10}} for an exact "
                                       "periodic embedding of x", group="model")
    sampler: str = _setting("sobol", "residual points", choices=lambda: list(SAMPLERS), widget=("select",))
    num_points: int = _setting(2000, "residual (collocation) points", widget=("int", 100, 20000, 100))
    resample_every: int | None = _setting(None, "redraw / refine the residual points every n steps (default: the "
                                          "sampler's own: never for uniform/sobol/lhs, every step for R3, 1000 "
                                          "for RAD/RAR)", widget=("int", 0, 2000, 50, "0 = sampler's default"))
    sampler_options: dict = _setting({}, "sampler options, e.g. {\"k\": 1, \"c\": 1} for RAD")
    condition_points: int | dict = _setting(200, "points per boundary/initial condition (or per name)")
    resample_conditions: int | None = _setting(None, "redraw the condition points every n steps")
    balancer: str = _setting("none", "loss weighting", choices=lambda: list(BALANCERS), widget=("select",))
    balancer_options: dict = _setting({}, "balancer options, e.g. {\"scales\": {\"initial\": 100}} for static, "
                                          "{\"groups\": {\"boundary\": [...]}} to share one weight")
    optimizer: str = _setting("adam", "optimizer plan", choices=lambda: list(OPTIMIZERS), widget=("select",))
    lr: float | None = _setting(None, "learning rate (default 1e-3; 1 for lbfgs)", widget=("log", -5.0, 0.5))
    optimizer_options: dict = _setting({}, "first-order optimizer options: betas, decay_rate, decay_steps, "
                                           "staircase, fused, momentum")
    steps: int = _setting(2000, "training steps (L-BFGS iterations for optimizer=lbfgs)",
                          widget=("intinput", 1, 1_000_000, 100))
    lbfgs_steps: int = _setting(0, "L-BFGS iterations after Adam (optimizer=adam+lbfgs)")
    lbfgs_options: dict = _setting({}, "L-BFGS options: lr, history_size, tolerance_grad, tolerance_change, "
                                       "line_search, max_eval")
    combine: str = _setting("none", "gradient combination of the loss terms (MultiAdam is optimizer=multiadam)",
                            choices=lambda: list(COMBINE_CHOICES), widget=("select",))
    combine_options: dict = _setting({}, "options of the combiner (or of MultiAdam)")
    causal: bool = _setting(False, "weight the residual causally over time (CausalResidual)",
                            widget=("check", "causal residual (time-dependent problems)"))
    causal_options: dict = _setting({}, "CausalResidual options: num_slices, epsilons, delta, max_calls")
    strategy: str = _setting("none", "training strategy", choices=lambda: list(STRATEGIES))
    strategy_options: dict = _setting({}, "strategy options: curriculum {\"parameter\", \"values\"}, grid {\"grids\"}, ramp "
                                          "{\"parameter\", \"start\", \"ramp_steps\"}, seq2seq {\"windows\"}, multistage "
                                          "{\"stages\", \"stage_steps\", \"kappa\", \"order\"}")
    unknowns: dict | list = _setting({}, "parameters to identify from data: names (each starts from the "
                                         "problem's value, trained as exp(s) when the parameter is positive), "
                                         "{name: initial value} or {name: {\"init\": v, \"log\": true}}",
                                     group="problem", widget=("text", "unknowns", "e.g. nu (names, or JSON)"))
    data: dict | str = _setting({}, "observations: a .csv/.npz file with the coordinate and field columns, or "
                                    "{\"points\": n, \"noise\": σ} drawn from the reference (σ: fraction of "
                                    "std u)", group="problem",
                                widget=("text", "observations file", "obs.csv / obs.npz, or {\"points\": n}"))
    hidden: dict | str = _setting({}, "equation discovery: a term of the equation learnt by a hidden-term network "
                                      "and recovered by sparse regression (pinnkit.discovery): the term's name, e.g. "
                                      "\"convection\" for burgers, or {\"term\": name, \"inputs\", \"width\", "
                                      "\"depth\", \"scales\", \"degree\", \"threshold\", \"points\"}; needs data",
                                  group="problem",
                                  widget=("text", "hidden term", "e.g. convection (name, or JSON)"))
    seed: int = _setting(0, "seed of the initialisation and of every random draw", widget=("intinput", 0, 2**31 - 1, 1))
    dtype: str = _setting("float32", "floating-point precision", choices=lambda: ["float32", "float64"],
                          group="model", widget=("radio",))
    threads: int | None = _setting(None, "torch CPU threads (default: torch's setting; sweeps share the cores)")
    eval_every: int = _setting(100, "steps between evaluations of the error against the reference")
    engine: str | None = _setting(None, "derivative engine (default autograd)", choices=lambda: sorted(ENGINES))
    time_budget: float | None = _setting(None, "stop training after this many seconds of wall time (None: no "
                                         "limit; the steps stay the cap); the history's status says so")
    laplacian: str = _setting("exact", "Laplacian in D.laplacian: exact, or an unbiased random estimate "
                                       "(hutchinson, stde)", choices=lambda: list(LAPLACIANS))
    laplacian_options: dict = _setting({}, "estimator options: {\"samples\": S} for hutchinson, "
                                           "{\"rand_batch\": B} for stde")

    def __post_init__(self):
        if self.combine not in COMBINE_CHOICES:
            hint = " (MultiAdam is optimizer='multiadam')" if self.combine == "multiadam" else ""
            raise ValueError(f"unknown gradient combination combine={self.combine!r}; "
                             f"choose one of {list(COMBINE_CHOICES)}{hint}")
        if not isinstance(self.causal, bool):
            raise ValueError(f"causal must be True or False; got {self.causal!r}")
        if self.lr is not None:
            lr = self.lr
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or not 0 < lr <= MAX_LR:
                raise ValueError(f"lr must be a number in (0, {MAX_LR:g}]; got {lr!r} (a larger step diverges "
                                 f"on every problem, and past ~3e38 it is not even a float32)")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"threads must be an integer >= 1; got {self.threads!r}")
        if self.time_budget is not None:
            tb = self.time_budget
            if isinstance(tb, bool) or not isinstance(tb, numbers.Real) or not math.isfinite(tb) or not tb > 0:
                raise ValueError(f"time_budget must be a positive number of seconds (or None); got {tb!r}")
        if isinstance(self.unknowns, tuple):
            self.unknowns = list(self.unknowns)
        if isinstance(self.unknowns, list) and not all(isinstance(n, str) for n in self.unknowns):
            raise ValueError(f"unknowns must be parameter names, {{name: initial value}} or "
                             f"{{name: {{\"init\": v, \"log\": true}}}}; got {self.unknowns!r}")
        if isinstance(self.hidden, str) and not self.hidden.strip():
            self.hidden = {}
        if isinstance(self.data, str) and not self.data.strip():
            raise ValueError("data must name an observation file (.csv or .npz) or be {\"points\": n, ...}; got ''")
        for f in fields(self):
            v = getattr(self, f.name)
            if (f.name in ("data", "hidden") and isinstance(v, str)
                    or f.name == "unknowns" and isinstance(v, (list, tuple))):
                continue
            if f.default is MISSING and isinstance(f.default_factory(), dict) and not isinstance(v, dict):
                what = "CausalResidual options" if f.name == "causal_options" else "settings"
                raise ValueError(f"{f.name} must be a dict of {what}; got {v!r}")
            choices = f.metadata.get("choices")
            if choices is not None and f.name != "engine" and v not in choices():
                raise ValueError(f"unknown {f.name} {v!r}; choose one of {list(choices())}")
        make_laplacian(self.laplacian, self.laplacian_options)  # bad estimator options raise here

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        bad = set(d) - known
        if bad:
            raise ValueError(f"unknown run settings {sorted(bad)}; known: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def replace(self, **changes) -> "RunConfig":
        """A copy with some settings changed (``RunConfig.from_dict`` rules)."""
        return RunConfig.from_dict({**self.to_dict(), **changes})

    @staticmethod
    def fields_help() -> dict[str, dict]:
        """``{field: {"default", "help", "choices", "group", "widget", "cli", "type"}}`` for
        generated front ends (the command line, the widget controls)."""
        out = {}
        for f in fields(RunConfig):
            m = dict(f.metadata)
            m["choices"] = list(m["choices"]()) if m.get("choices") else None
            m["default"] = f.default_factory() if f.default is MISSING else f.default
            m["type"] = f.type
            out[f.name] = m
        return out

    def key(self) -> str:
        """A stable hash of the configuration (for run stores). The derivative engine is
        left out: it changes how fast a run goes, not its result (engines agree to
        round-off), so a stored run is reused whichever engine asks for it — except under a
        ``time_budget``, where a faster engine trains more steps and so changes the result:
        there the engine is part of the key. Settings added
        later enter only when they differ from their defaults (``causal_options`` only with
        ``causal=True``, the only case where they act), so the keys of configurations stored
        before them are unchanged."""
        d = self.to_dict()
        if self.time_budget is None:
            d.pop("engine")
        if not self.causal:
            d.pop("causal_options")
        for k, v in _LATER_DEFAULTS.items():
            if k in d and d[k] == v:
                d.pop(k)
        if isinstance(self.data, str) and Path(self.data).is_file():  # the key follows the file's content
            from .problems.observations import file_digest

            d["data_digest"] = file_digest(self.data)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Run:
    config: RunConfig
    problem: Problem
    model: nn.Module
    history: History

    @property
    def metrics(self) -> dict:
        return self.history.final


@dataclass
class Recipe:
    """Everything one configuration trains with (made by :func:`build`).

    ``train(callbacks=..., progress=...)`` trains ``model`` in place through its
    ``strategy`` (one or several :func:`pinnkit.train` stages) and returns the history.
    ``train_kwargs(problem)`` are the keyword arguments of one stage on ``problem``."""

    config: RunConfig
    problem: Problem
    model: nn.Module
    sampler: object
    balancer: object
    combiner: Combiner | None
    plan: list
    strategy: Strategy
    make_residual_loss: Callable[[Problem], object]
    #: the options of the sparse regression that follows training (a run with a hidden term)
    discovery: dict | None = None

    @property
    def total_steps(self) -> int:
        return sum(n for _, n in self.plan) * self.strategy.stages

    @property
    def terms(self) -> list[str]:
        satisfied = set(getattr(self.model, "satisfies", ()))
        return ["residual"] + [n for n in self.problem.conditions if n not in satisfied]

    def sampler_for(self, num_points: int | None = None):
        c = self.config
        return _sampler(c, num_points or c.num_points)

    def train_kwargs(self, problem: Problem) -> dict:
        c = self.config
        return dict(sampler=self.sampler, balancer=self.balancer, optimizer=self.plan, combine=self.combiner,
                    residual_loss=self.make_residual_loss(problem), condition_points=c.condition_points,
                    resample_conditions=c.resample_conditions, eval_every=c.eval_every, seed=c.seed, dtype=c.dtype,
                    threads=c.threads, engine=c.engine, laplacian=c.laplacian,
                    laplacian_options=c.laplacian_options)

    def train(self, callbacks: Sequence[Callback] = (), progress: bool = True, **train_options) -> History:
        """``train_options`` go to :func:`pinnkit.train` (``checkpoint``, ``checkpoint_every``,
        ``resume``: one-stage strategies only)."""
        c = self.config
        outer = list(callbacks)
        if c.time_budget is not None:  # one budget for the whole run, every stage included
            outer.append(TimeBudget(c.time_budget))
        if train_options and self.strategy.stages > 1:
            raise ValueError(f"checkpoints and resume work for one-stage runs; strategy {c.strategy!r} trains "
                             f"{self.strategy.stages} stages")

        def fit(problem: Problem, model: nn.Module, share: int = 1, callbacks: Sequence[Callback] = (),
                steps: tuple[int, int] | None = None) -> History:
            """One stage: ``problem`` and ``model`` with every other setting of the run
            (``share``: the stage gets ``num_points // share`` residual points; ``steps``:
            ``(first-order steps, L-BFGS steps)`` of this stage's plan instead of the run's)."""
            kw = self.train_kwargs(problem)
            if steps is not None:
                kw["optimizer"] = make_plan(c.optimizer, steps[0], c.lr, steps[1], c.optimizer_options,
                                            c.lbfgs_options)
            if share > 1:
                kw["sampler"] = self.sampler_for(max(1, c.num_points // share))
            cbs = [*outer, *callbacks]
            if isinstance(kw["residual_loss"], CausalResidual):  # logs causal/epsilon and causal/min_weight
                cbs.append(CausalMonitor(kw["residual_loss"]))
            return train(problem, model, callbacks=cbs, progress=progress, **kw, **train_options)

        history = self.strategy.run(self.problem, self.model, fit)
        if self.discovery is not None and history.status != "diverged":
            from .discovery import discover

            history.final.update(discover(self.model, self.problem, seed=c.seed, **self.discovery).metrics())
        if self.strategy.stages > 1 and self.problem.reference is not None:
            from .training import Evaluator  # the whole problem's error of the trained (stitched) model

            history.final.update({f"metric/{k}": float(v) for k, v in Evaluator(self.problem)(self.model).items()})
        history.meta["config"] = c.to_dict()
        return history


def _sampler(config: RunConfig, num_points: int):
    options = dict(config.sampler_options)
    if config.sampler in ("grid", "fixed"):
        if config.resample_every:
            raise ValueError(f"sampler {config.sampler!r} never resamples; resample_every must be None")
    elif config.resample_every is not None:  # None: the sampler's own period (R3: every step, RAD: 1000)
        options["every"] = config.resample_every
    return make_sampler(config.sampler, num_points, **options)


def _unknowns(config: RunConfig, problem: Problem) -> tuple[dict, list]:
    """Initial values and the log-trained names of ``config.unknowns`` for ``problem``. A
    name without a value starts from the problem's value; one without an explicit ``log``
    is trained as ``exp(s)`` when its parameter is declared positive (a log slider or a
    range above 0) and its initial value is positive."""
    spec = config.unknowns
    items = {n: None for n in spec} if isinstance(spec, list) else dict(spec)
    bad = set(items) - set(problem.parameters)
    if bad:
        raise ValueError(f"{problem.name} has no parameter(s) {sorted(bad)} to make unknown; "
                         f"its parameters are {sorted(problem.parameters)}")
    initial, log = {}, []
    for name, s in items.items():
        explicit = None
        if isinstance(s, dict):
            extra = set(s) - {"init", "log"}
            if extra:
                raise ValueError(f"unknown {name!r}: give {{\"init\": value, \"log\": true/false}}; got {s!r}")
            explicit = s.get("log")
            s = s.get("init")
        initial[name] = problem.values[name] if s is None else s
        par = problem.parameters[name]
        positive = par.log or par.low > 0
        if explicit or (explicit is None and positive and isinstance(initial[name], (int, float))
                        and initial[name] > 0):
            log.append(name)
    return initial, log


def observations(problem: Problem, points: int, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``points`` observations of the reference at nodes of the problem's test grid, drawn
    without replacement (Raissi et al.'s inverse Burgers draws its 2000 from the reference
    grid), with noise ``noise · std(u) · N(0, 1)``. Returns ``(x (n, d), y (n, 1))``."""
    if problem.reference is None:
        raise ValueError(f"{problem.name} has no reference to draw observations from")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"data points must be a positive integer; got {points!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"data noise must be a finite number >= 0; got {noise!r}")
    grid = problem.test_grid()
    if points > len(grid):
        raise ValueError(f"{points} observations asked for, but the test grid has {len(grid)} nodes")
    rng = np.random.default_rng([seed, 7])
    x = grid[np.sort(rng.choice(len(grid), points, replace=False))]
    y = problem.reference_on(x)
    if noise:
        y = y + noise * np.std(y) * rng.standard_normal(y.shape)
    return x, y


def _problem(config: RunConfig) -> Problem:
    problem = zoo.get(config.problem, **config.parameters)
    if isinstance(config.data, str):
        from .problems.observations import with_observations

        problem = with_observations(problem, config.data)
    elif config.data:
        bad = set(config.data) - {"points", "noise"}
        if bad:
            raise ValueError(f"data options are points and noise; got {sorted(bad)}")
        if "points" not in config.data:
            raise ValueError("data needs the number of observations: {\"points\": n}")
        x, y = observations(problem, config.data["points"], config.data.get("noise", 0.0), config.seed)
        problem = problem.with_data(x, y)
    if config.unknowns:
        if not config.data:
            raise ValueError(f"unknowns {list(config.unknowns)} need observations to be identified from: "
                             f"give data (a .csv/.npz file, or {{\"points\": n}} drawn from the reference)")
        initial, log = _unknowns(config, problem)
        problem = problem.with_unknowns(initial, log)
        if isinstance(config.data, str):  # a user's measurements: the true values are not known
            problem = problem.replace(truth={})
    return problem


def build(config: RunConfig | dict) -> Recipe:
    """Everything a run of ``config`` needs, made from the registries (see :class:`Recipe`)."""
    config = RunConfig.from_dict(config) if isinstance(config, dict) else config
    problem = _problem(config)
    hidden = discovery = None
    if config.hidden:
        if not config.data:
            raise ValueError("a hidden term needs observations to be identified from: give data (a .csv/.npz file, "
                             "or {\"points\": n} drawn from the reference)")
        from .discovery import build_hidden

        problem, hidden, discovery = build_hidden(config, problem)
    try:
        strategy = STRATEGIES[config.strategy](**config.strategy_options)
    except TypeError as e:
        raise ValueError(f"strategy {config.strategy!r} does not take the options {config.strategy_options}: {e}") from None

    def make_model(p: Problem) -> nn.Module:
        if hidden is not None:
            from .discovery import WithHiddenTerm

            return WithHiddenTerm(make_net(p), hidden)
        return make_net(p)

    def make_net(p: Problem) -> nn.Module:
        try:
            return build_model(p, config.width, config.depth, config.activation, config.seed, config.hard,
                               config.fourier_features, config.fourier_sigma, config.scale_inputs,
                               architecture=config.model, **config.model_options)
        except TypeError as e:
            raise ValueError(f"model options {config.model_options} are not options of build_model: {e}") from None

    model = strategy.model(problem, make_model)
    model.to(getattr(torch, config.dtype))
    sampler = _sampler(config, config.num_points)
    balancer = make_balancer(config.balancer, **config.balancer_options)
    plan = make_plan(config.optimizer, config.steps, config.lr, config.lbfgs_steps, config.optimizer_options,
                     config.lbfgs_options)
    combiner = None
    if config.optimizer == "multiadam":
        if config.combine != "none":
            raise ValueError(f"optimizer 'multiadam' combines the term gradients itself; it cannot be used "
                             f"with combine={config.combine!r} (set combine='none')")
        try:
            combiner = MultiAdam(**config.combine_options)
        except TypeError as e:
            raise ValueError(f"combine_options {config.combine_options} are not MultiAdam options: {e}") from None
    elif config.combine != "none":
        opts = dict(config.combine_options)
        if config.combine == "pcgrad":
            opts.setdefault("seed", config.seed)
        try:
            combiner = make_combiner(config.combine, **opts)
        except TypeError as e:
            raise ValueError(f"combine_options {opts} are not {config.combine} options: {e}") from None
    elif config.combine_options:
        raise ValueError(f"combine_options {config.combine_options} given without a combiner")
    if config.causal and callable(getattr(sampler, "loss", None)):
        raise ValueError(f"causal=True and sampler {config.sampler!r} both weight the residual over time "
                         f"(the sampler's gated loss); choose one")
    if config.causal:
        if not problem.domain.is_time_dependent:
            raise ValueError(f"causal=True needs a time-dependent problem; {problem.name} has coordinates "
                             f"{list(problem.domain.names)} and no time")

        def make_residual_loss(p):
            try:
                return CausalResidual.for_problem(p, **config.causal_options)
            except TypeError as e:
                raise ValueError(f"causal_options {config.causal_options} are not CausalResidual options "
                                 f"(num_slices, epsilons, delta, max_calls): {e}") from e

        make_residual_loss(problem)  # check the options now, before anything trains
    elif callable(getattr(sampler, "loss", None)):
        def make_residual_loss(p):  # a sampler that brings its own residual loss (causal R3's gate)
            return sampler.loss
    else:
        def make_residual_loss(p):
            return mean_square
    return Recipe(config, problem, model, sampler, balancer, combiner, plan, strategy, make_residual_loss, discovery)


def run(config: RunConfig | dict, out: str | Path | None = None, callbacks: Sequence[Callback] = (),
        progress: bool = True, checkpoint_every: int | None = None) -> Run:
    """Train one configuration; save it to ``out`` if given. ``out`` is checked before any
    training (an existing file, or a folder that cannot be written, is a ``ValueError``), so a
    long run is never lost to a bad destination at the end.

    ``checkpoint_every=n`` (needs ``out``): ``config.json`` is written at once, and every ``n``
    steps ``model.pt``, ``history.json`` and the whole training state (``training_state.pt``:
    optimizer moments, L-BFGS memory, points, random generators) are written atomically, so a
    run killed at any moment continues with :func:`resume_run` from its last checkpoint, bit
    for bit. The training state is kept while the run is ``stopped`` (resumable) and removed
    once it has finished."""
    recipe = build(config)
    if out is not None:
        check_destination(out)
    options = {}
    if checkpoint_every is not None:
        if out is None:
            raise ValueError("checkpoint_every needs a run folder to write the checkpoints to (out=...)")
        atomic_write_text(Path(out) / "config.json", json.dumps(recipe.config.to_dict(), indent=2))
        options = _checkpointing(recipe, Path(out), checkpoint_every)
        callbacks = [*callbacks, Checkpoint(out, checkpoint_every)]
    history = recipe.train(callbacks=callbacks, progress=progress, **options)
    return _finish(recipe, history, out)


def _checkpointing(recipe: "Recipe", out: Path, every) -> dict:
    if recipe.strategy.stages > 1:
        raise ValueError(f"checkpoints work for one-stage runs; strategy {recipe.config.strategy!r} trains "
                         f"{recipe.strategy.stages} stages")
    return {"checkpoint": out / TRAINING_STATE, "checkpoint_every": every}


def _finish(recipe: "Recipe", history: History, out) -> Run:
    result = Run(recipe.config, recipe.problem, recipe.model, history)
    if out is not None:
        save_run(out, result)
        state = Path(out) / TRAINING_STATE
        if history.status != "stopped" and state.exists():
            state.unlink()
    return result


def resume_run(folder: str | Path, callbacks: Sequence[Callback] = (), progress: bool = True,
               checkpoint_every: int | None = None) -> Run:
    """Continue a run started with ``run(config, out=folder, checkpoint_every=n)`` from its
    last checkpoint (``folder/training_state.pt``), bit for bit: the finished run has the loss
    history and weights of one that was never interrupted. It goes on checkpointing every
    ``n`` steps (or ``checkpoint_every``) and saves the run folder at the end."""
    from .training.resume import load_training_state

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} is not a pinnkit run folder: config.json is missing")
    state_file = folder / TRAINING_STATE
    if not state_file.is_file():
        raise FileNotFoundError(f"{folder}: no {TRAINING_STATE} to resume from (the run was started without "
                                f"checkpoint_every / --checkpoint-every, or it had finished)")
    try:
        config = RunConfig.from_dict(json.loads((folder / "config.json").read_text()))
    except json.JSONDecodeError as e:
        raise ValueError(f"{folder / 'config.json'}: not readable JSON ({e})") from None
    state = load_training_state(state_file)
    every = int(state["every"]) if checkpoint_every is None else checkpoint_every
    recipe = build(config)
    check_destination(folder)
    options = {**_checkpointing(recipe, folder, every), "resume": state}
    history = recipe.train(callbacks=[*callbacks, Checkpoint(folder, every)], progress=progress, **options)
    return _finish(recipe, history, folder)


def check_destination(folder: str | Path) -> Path:
    """Make sure a run can be saved to ``folder``: create it and write (then remove) a probe
    file. Raises ``ValueError`` naming the folder and the reason."""
    import tempfile

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"run folder {folder}: is an existing file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ValueError(f"run folder {folder}: cannot write there ({e.strerror or e})") from None
    return folder


def save_run(folder: str | Path, result: Run) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "config.json", json.dumps(result.config.to_dict(), indent=2))
    save_checkpoint(folder / "model.pt", result.model, int(result.history.final.get("step", 0)))
    result.history.save(folder / "history.json")
    atomic_write_text(folder / "metrics.json", json.dumps(result.history.to_dict()["final"], indent=2))


def load_run(folder: str | Path) -> Run:
    """Reload a saved run: the model with its trained weights, and its history."""
    folder = Path(folder)
    for name in ("config.json", "model.pt", "history.json"):
        if not (folder / name).exists():
            raise FileNotFoundError(f"{folder} is not a pinnkit run folder: {name} is missing")
    config = RunConfig.from_dict(json.loads((folder / "config.json").read_text()))
    recipe = build(config)
    load_checkpoint(folder / "model.pt", recipe.model)
    return Run(config, recipe.problem, recipe.model, History.load(folder / "history.json"))
