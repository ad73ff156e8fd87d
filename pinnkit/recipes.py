"""Runs described by plain data: the edge where names become objects.

``RunConfig`` is what a widget, a notebook's parameter cell or the command line fills in;
``build(config)`` turns it into a problem, model, sampler, balancer and plan through the
registries; ``training_options(config, problem)`` the gradient combiner and the residual
reduction (causal weighting) it names; ``run(config)`` trains it; ``save_run``/``load_run``
persist a run folder (``config.json``, ``history.json``, ``model.pt``, ``metrics.json``, all
written atomically).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Sequence

from torch import nn

from .balancing import make_balancer
from .combining import COMBINERS, MultiAdam, make_combiner
from .losses import CausalResidual
from .models import build_model
from .optim import make_plan
from .problems import zoo
from .problems.problem import Problem
from .sampling import make_sampler
from .training import Callback, History, atomic_write_text, load_checkpoint, save_checkpoint, train
from .training.strategies import CausalMonitor

__all__ = ["RunConfig", "Run", "build", "training_options", "run", "save_run", "load_run", "COMBINE_CHOICES"]

#: ``RunConfig.combine`` values: no combination, or a combiner of :mod:`pinnkit.combining`.
#: MultiAdam is chosen as ``optimizer="multiadam"`` (it replaces the optimizer's moments).
COMBINE_CHOICES = ("none",) + tuple(n for n in COMBINERS if n != "multiadam")

#: settings added after run stores existed: left out of ``key()`` while they hold these
#: defaults, so every configuration stored before keeps its key
_LATER_DEFAULTS = {"combine": "none", "causal": False, "causal_options": {}}


@dataclass
class RunConfig:
    """Everything needed to reproduce a run, as plain JSON-able values."""

    problem: str = "burgers"
    parameters: dict = field(default_factory=dict)
    width: int = 20
    depth: int = 4
    activation: str = "tanh"
    hard: bool = False
    fourier_features: int = 0
    fourier_sigma: float = 1.0
    sampler: str = "sobol"
    num_points: int = 2000
    resample_every: int | None = None
    condition_points: int = 200
    balancer: str = "none"
    balancer_options: dict = field(default_factory=dict)
    optimizer: str = "adam"
    lr: float | None = None
    steps: int = 2000
    lbfgs_steps: int = 0
    seed: int = 0
    dtype: str = "float32"
    threads: int | None = None
    eval_every: int = 100
    #: derivative engine (``pinnkit.models.engines.ENGINES``); ``None`` is the default one
    engine: str | None = None
    #: gradient combination (``COMBINE_CHOICES``): ``"pcgrad"``, ``"config"``, ``"mconfig"``
    #: (momentum ConFIG; the paper pairs it with ``optimizer="sgd"``) or ``"none"``
    combine: str = "none"
    #: train the residual with a :class:`~pinnkit.losses.CausalResidual` over the problem's
    #: time range; ``causal_options`` are its keyword arguments (``num_slices``,
    #: ``epsilons``, ``delta``, ``max_calls``)
    causal: bool = False
    causal_options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.combine not in COMBINE_CHOICES:
            hint = " (MultiAdam is optimizer='multiadam')" if self.combine == "multiadam" else ""
            raise ValueError(f"unknown gradient combination combine={self.combine!r}; "
                             f"choose one of {list(COMBINE_CHOICES)}{hint}")
        if not isinstance(self.causal, bool):
            raise ValueError(f"causal must be True or False; got {self.causal!r}")
        if not isinstance(self.causal_options, dict):
            raise ValueError(f"causal_options must be a dict of CausalResidual options; got {self.causal_options!r}")

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        bad = set(d) - known
        if bad:
            raise ValueError(f"unknown run settings {sorted(bad)}; known: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def key(self) -> str:
        """A stable hash of the configuration (for run stores). The derivative engine is
        left out: it changes how fast a run goes, not its result (engines agree to
        round-off), so a stored run is reused whichever engine asks for it. Settings added
        later (``combine``, ``causal``, ``causal_options``) enter only when they differ from
        their defaults (``causal_options`` only with ``causal=True``, the only case where
        they act), so the keys of configurations stored before them are unchanged."""
        d = self.to_dict()
        d.pop("engine")
        if not self.causal:
            d.pop("causal_options")
        for k, v in _LATER_DEFAULTS.items():
            if k in d and d[k] == v:
                d.pop(k)
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


def build(config: RunConfig):
    """``(problem, model, sampler, balancer, plan)`` for a configuration. A configuration
    with ``combine``, ``causal`` or ``optimizer="multiadam"`` also needs
    :func:`training_options`'s keyword arguments for ``train`` (without them the multiadam
    plan is plain SGD); :func:`run` passes both."""
    problem = zoo.get(config.problem, **config.parameters)
    model = build_model(problem, config.width, config.depth, config.activation, config.seed, config.hard,
                        config.fourier_features, config.fourier_sigma)
    kw = {"every": config.resample_every} if config.sampler != "grid" else {}
    sampler = make_sampler(config.sampler, config.num_points, **kw)
    balancer = make_balancer(config.balancer, **config.balancer_options)
    plan = make_plan(config.optimizer, config.steps, config.lr, config.lbfgs_steps)
    return problem, model, sampler, balancer, plan


def training_options(config: RunConfig, problem: Problem) -> dict:
    """The ``train`` keyword arguments a configuration names beyond :func:`build`'s objects:
    ``combine`` (a fresh combiner: ``config.combine``, or :class:`~pinnkit.combining.MultiAdam`
    for ``optimizer="multiadam"``) and ``residual_loss`` (a fresh
    :class:`~pinnkit.losses.CausalResidual` when ``config.causal``). Empty for a plain run."""
    out = {}
    if config.optimizer == "multiadam":
        if config.combine != "none":
            raise ValueError(f"optimizer 'multiadam' combines the term gradients itself; it cannot be used "
                             f"with combine={config.combine!r} (set combine='none')")
        out["combine"] = MultiAdam()
    elif config.combine != "none":
        out["combine"] = make_combiner(config.combine, **({"seed": config.seed} if config.combine == "pcgrad" else {}))
    if config.causal:
        if not problem.domain.is_time_dependent:
            raise ValueError(f"causal=True needs a time-dependent problem; {problem.name} has coordinates "
                             f"{list(problem.domain.names)} and no time")
        try:
            out["residual_loss"] = CausalResidual.for_problem(problem, **config.causal_options)
        except TypeError as e:
            raise ValueError(f"causal_options {config.causal_options} are not CausalResidual options "
                             f"(num_slices, epsilons, delta, max_calls): {e}") from e
    return out


def run(config: RunConfig | dict, out: str | Path | None = None, callbacks: Sequence[Callback] = (),
        progress: bool = True) -> Run:
    """Train one configuration; save it to ``out`` if given."""
    config = RunConfig.from_dict(config) if isinstance(config, dict) else config
    problem, model, sampler, balancer, plan = build(config)
    extra = training_options(config, problem)
    if "residual_loss" in extra:     # logs causal/epsilon and causal/min_weight with every row
        callbacks = [*callbacks, CausalMonitor(extra["residual_loss"])]
    history = train(problem, model, sampler=sampler, balancer=balancer, optimizer=plan,
                    condition_points=config.condition_points, callbacks=callbacks, eval_every=config.eval_every,
                    seed=config.seed, dtype=config.dtype, threads=config.threads, progress=progress,
                    engine=config.engine, **extra)
    history.meta["config"] = config.to_dict()
    result = Run(config, problem, model, history)
    if out is not None:
        save_run(out, result)
    return result


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
    problem, model, *_ = build(config)
    model.to(getattr(__import__("torch"), config.dtype))
    load_checkpoint(folder / "model.pt", model)
    return Run(config, problem, model, History.load(folder / "history.json"))
