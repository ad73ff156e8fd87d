"""Optimizers as specifications the trainer instantiates on the run's parameters.

``adam(lr)`` and ``lbfgs(...)`` return :class:`OptimizerSpec` s; a training plan is a
list of ``(spec, steps)`` phases, e.g. :func:`adam_then_lbfgs`. One trainer *step* is one
Adam update or one L-BFGS iteration (``iterations_per_step`` of them if set higher).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import torch

__all__ = ["OptimizerSpec", "adam", "sgd", "lbfgs", "adam_then_lbfgs", "as_plan", "OPTIMIZERS", "make_plan"]


@dataclass
class OptimizerSpec:
    """How to build one optimizer: ``make(params) -> torch.optim.Optimizer``.

    ``uses_closure`` marks optimizers whose ``step`` re-evaluates the loss (L-BFGS);
    ``tolerance_change`` ends such a phase when the loss changes by less than it
    (absolute, as in ``torch.optim.LBFGS``); ``schedule`` builds an LR scheduler.
    """

    name: str
    factory: Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer]
    uses_closure: bool = False
    tolerance_change: float = 0.0
    schedule: Callable[[torch.optim.Optimizer], object] | None = None
    options: dict = field(default_factory=dict)

    def make(self, params):
        return self.factory(list(params))


def _positive(name, v):
    if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {v!r}")


def adam(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), decay_rate: float | None = None,
         decay_steps: int = 1000, fused: bool = False) -> OptimizerSpec:
    """Adam (Kingma & Ba 2015), optionally with exponential decay
    ``lr · decay_rate^(step / decay_steps)`` applied in stairs every ``decay_steps``.

    ``fused=True`` uses torch's single-kernel implementation (same update to round-off;
    about a third of the per-step optimizer time of the default at PINN sizes,
    see ``benchmarks/``)."""
    _positive("learning rate", lr)
    if not isinstance(fused, bool):
        raise ValueError(f"fused must be True or False; got {fused!r}")
    schedule = None
    if decay_rate is not None:
        _positive("decay_rate", decay_rate)
        schedule = lambda opt: torch.optim.lr_scheduler.StepLR(opt, decay_steps, gamma=decay_rate)  # noqa: E731
    return OptimizerSpec("adam", lambda p: torch.optim.Adam(p, lr=lr, betas=betas, fused=fused or None),
                         schedule=schedule,
                         options=dict(lr=lr, betas=betas, decay_rate=decay_rate, decay_steps=decay_steps, fused=fused))


def sgd(lr: float = 1e-3, momentum: float = 0.0, decay_rate: float | None = None,
        decay_steps: int = 1000) -> OptimizerSpec:
    """Plain (momentum) SGD, ``θ ← θ − lr · d``, optionally with stair decay as :func:`adam`.
    With a combiner that already normalises its direction (``MultiAdam``, momentum
    ConFIG) this applies only the learning rate."""
    _positive("learning rate", lr)
    if not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}")
    schedule = None
    if decay_rate is not None:
        _positive("decay_rate", decay_rate)
        schedule = lambda opt: torch.optim.lr_scheduler.StepLR(opt, decay_steps, gamma=decay_rate)  # noqa: E731
    return OptimizerSpec("sgd", lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum), schedule=schedule,
                         options=dict(lr=lr, momentum=momentum, decay_rate=decay_rate, decay_steps=decay_steps))


def lbfgs(lr: float = 1.0, history_size: int = 50, tolerance_grad: float = 1e-7,
          tolerance_change: float = 1e-9, line_search: str | None = "strong_wolfe",
          iterations_per_step: int = 1) -> OptimizerSpec:
    """L-BFGS (``torch.optim.LBFGS``) with its tolerances exposed.

    The phase ends early when the gradient's largest entry is below ``tolerance_grad`` or
    the loss changes by less than ``tolerance_change`` in one step. The FP64 study
    (PAPERS.md §1.1) shows ``tolerance_change = 1e-7`` stopping float32 runs early.

    One training step is ``iterations_per_step`` L-BFGS iterations (one
    ``torch.optim.LBFGS.step`` call). Every call first evaluates the loss at the current
    parameters, which the previous call's line search already did, so one iteration per
    step costs an extra loss-and-gradient evaluation per iteration: on Burgers (4×32 with
    the exact boundary transform, 8192 points, 2 threads) 2.08 evaluations per iteration
    with 1, 1.18 with 10; 500 Adam steps and 1500 L-BFGS iterations took 100 s and 60 s
    (pinnkit's recipe in ``benchmarks/run.py``). Larger values make callbacks, metrics and
    the history coarser (they run once per step).
    """
    _positive("learning rate", lr)
    for name, v in (("history_size", history_size), ("iterations_per_step", iterations_per_step)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"L-BFGS {name} must be a positive integer; got {v!r}")
    if line_search not in (None, "strong_wolfe"):
        raise ValueError(f"line_search must be None or 'strong_wolfe'; got {line_search!r}")
    make = lambda p: torch.optim.LBFGS(  # noqa: E731
        p, lr=lr, max_iter=iterations_per_step, max_eval=25 * iterations_per_step, history_size=history_size, tolerance_grad=tolerance_grad,
        tolerance_change=tolerance_change, line_search_fn=line_search)
    return OptimizerSpec("lbfgs", make, uses_closure=True, tolerance_change=tolerance_change,
                         options=dict(lr=lr, history_size=history_size, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, line_search=line_search,
                                      iterations_per_step=iterations_per_step))


Plan = list[tuple[OptimizerSpec, int]]


def adam_then_lbfgs(adam_steps: int, lbfgs_steps: int, lr: float = 1e-3, **lbfgs_options) -> Plan:
    """Adam for ``adam_steps`` then L-BFGS for up to ``lbfgs_steps`` iterations."""
    return [(adam(lr), adam_steps), (lbfgs(**lbfgs_options), lbfgs_steps)]


def as_plan(optimizer: OptimizerSpec | Sequence[tuple[OptimizerSpec, int]] | None, steps: int | None) -> Plan:
    """Normalise the trainer's ``optimizer`` argument to a list of phases."""
    if optimizer is None:
        optimizer = adam()
    if isinstance(optimizer, OptimizerSpec):
        if steps is None:
            raise ValueError("give steps when optimizer is a single optimizer")
        plan = [(optimizer, steps)]
    else:
        plan = list(optimizer)
        if steps is not None and steps != sum(s for _, s in plan):
            raise ValueError(f"steps={steps} disagrees with the plan's total {sum(s for _, s in plan)}; omit steps")
    for spec, n in plan:
        if not isinstance(spec, OptimizerSpec):
            raise ValueError(f"plan entries must be (OptimizerSpec, steps); got {spec!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"steps must be a non-negative integer; got {n!r}")
    return plan


#: name -> plan builder (steps, lr, lbfgs_steps) for widgets and the command line
OPTIMIZERS = {
    "adam": lambda steps, lr=1e-3, lbfgs_steps=0: [(adam(lr), steps)],
    "lbfgs": lambda steps, lr=1.0, lbfgs_steps=0: [(lbfgs(lr=lr), steps)],
    "sgd": lambda steps, lr=1e-3, lbfgs_steps=0: [(sgd(lr), steps)],
    "adam+lbfgs": lambda steps, lr=1e-3, lbfgs_steps=0: adam_then_lbfgs(steps, lbfgs_steps, lr),
    # MultiAdam (Yao et al. 2023; PINNacle lr 1e-3): plain SGD that applies the learning rate to
    # the direction of a pinnkit.combining.MultiAdam combiner, which pinnkit.recipes supplies
    # (training_options); a plan built here alone has no combiner and is plain SGD
    "multiadam": lambda steps, lr=1e-3, lbfgs_steps=0: [(sgd(lr), steps)],
}


def make_plan(name: str, steps: int, lr: float | None = None, lbfgs_steps: int = 0) -> Plan:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    kw = {"lbfgs_steps": lbfgs_steps}
    if lr is not None:
        kw["lr"] = lr
    return OPTIMIZERS[name](steps, **kw)
