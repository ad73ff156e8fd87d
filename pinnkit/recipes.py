"""Runs described by plain data: the edge where names become objects.

``RunConfig`` is what a widget, a notebook's parameter cell or the command line fills in;
``build(config)`` turns it into a problem, model, sampler, balancer and plan through the
registries; ``run(config)`` trains it; ``save_run``/``load_run`` persist a run folder
(``config.json``, ``history.json``, ``model.pt``, ``metrics.json``, all written atomically).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Sequence

from torch import nn

from .balancing import make_balancer
from .models import build_model
from .optim import make_plan
from .problems import zoo
from .problems.problem import Problem
from .sampling import make_sampler
from .training import Callback, History, atomic_write_text, load_checkpoint, save_checkpoint, train

__all__ = ["RunConfig", "Run", "build", "run", "save_run", "load_run"]


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
    #: derivative engine (``pinnkit.problems.engines.ENGINES``); ``None`` is the default one
    engine: str | None = None

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
        round-off), so a stored run is reused whichever engine asks for it."""
        d = self.to_dict()
        d.pop("engine")
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
    """``(problem, model, sampler, balancer, plan)`` for a configuration."""
    problem = zoo.get(config.problem, **config.parameters)
    model = build_model(problem, config.width, config.depth, config.activation, config.seed, config.hard,
                        config.fourier_features, config.fourier_sigma)
    kw = {"every": config.resample_every} if config.sampler != "grid" else {}
    sampler = make_sampler(config.sampler, config.num_points, **kw)
    balancer = make_balancer(config.balancer, **config.balancer_options)
    plan = make_plan(config.optimizer, config.steps, config.lr, config.lbfgs_steps)
    return problem, model, sampler, balancer, plan


def run(config: RunConfig | dict, out: str | Path | None = None, callbacks: Sequence[Callback] = (),
        progress: bool = True) -> Run:
    """Train one configuration; save it to ``out`` if given."""
    config = RunConfig.from_dict(config) if isinstance(config, dict) else config
    problem, model, sampler, balancer, plan = build(config)
    history = train(problem, model, sampler=sampler, balancer=balancer, optimizer=plan,
                    condition_points=config.condition_points, callbacks=callbacks, eval_every=config.eval_every,
                    seed=config.seed, dtype=config.dtype, threads=config.threads, progress=progress,
                    engine=config.engine)
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
