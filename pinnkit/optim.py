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

__all__ = ["OptimizerSpec", "adam", "sgd", "lbfgs", "adam_then_lbfgs", "as_plan", "OPTIMIZERS", "make_plan",
           "LBFGSIterations", "Iteration", "FIRST_ORDER"]


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


def _decay(decay_rate, decay_steps, staircase, cosine_to=None, cosine_steps=None):
    """``lr · decay_rate^(step / decay_steps)``: in stairs every ``decay_steps`` steps
    (``staircase=True``, torch's ``StepLR``) or smoothly every step (``ExponentialLR`` with
    ``γ = decay_rate^(1/decay_steps)``, as the authors' TensorFlow/JAX schedules); or, with
    ``cosine_to``, a cosine from ``lr`` down to ``cosine_to`` over ``cosine_steps`` steps
    (``CosineAnnealingLR``; ConFIG's setting)."""
    if cosine_to is not None:
        if decay_rate is not None:
            raise ValueError("choose an exponential decay (decay_rate) or a cosine one (cosine_to), not both")
        if not (isinstance(cosine_to, (int, float)) and math.isfinite(cosine_to) and cosine_to >= 0):
            raise ValueError(f"cosine_to must be a finite number >= 0; got {cosine_to!r}")
        if isinstance(cosine_steps, bool) or not isinstance(cosine_steps, int) or cosine_steps < 1:
            raise ValueError(f"a cosine schedule needs cosine_steps, a positive integer; got {cosine_steps!r}")
        return lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cosine_steps, eta_min=cosine_to)
    if decay_rate is None:
        return None
    _positive("decay_rate", decay_rate)
    if isinstance(decay_steps, bool) or not isinstance(decay_steps, int) or decay_steps < 1:
        raise ValueError(f"decay_steps must be a positive integer; got {decay_steps!r}")
    if not isinstance(staircase, bool):
        raise ValueError(f"staircase must be True or False; got {staircase!r}")
    if staircase:
        return lambda opt: torch.optim.lr_scheduler.StepLR(opt, decay_steps, gamma=decay_rate)
    return lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=decay_rate ** (1.0 / decay_steps))


def adam(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), decay_rate: float | None = None,
         decay_steps: int = 1000, fused: bool = False, staircase: bool = True, cosine_to: float | None = None,
         cosine_steps: int | None = None) -> OptimizerSpec:
    """Adam (Kingma & Ba 2015), optionally with exponential decay
    ``lr · decay_rate^(step / decay_steps)``, in stairs every ``decay_steps`` steps
    (``staircase=True``) or smoothly (``staircase=False``), or a cosine decay to
    ``cosine_to`` over ``cosine_steps`` steps (:func:`make_plan` fills in the phase's steps).

    ``fused=True`` uses torch's single-kernel implementation (same update to round-off;
    measured in ``benchmarks/``)."""
    _positive("learning rate", lr)
    if not isinstance(fused, bool):
        raise ValueError(f"fused must be True or False; got {fused!r}")
    b1, b2 = betas
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"Adam betas must lie in [0, 1); got {betas!r}")
    schedule = _decay(decay_rate, decay_steps, staircase, cosine_to, cosine_steps)
    options = dict(lr=lr, betas=tuple(betas), decay_rate=decay_rate, decay_steps=decay_steps, fused=fused)
    if not staircase:
        options["staircase"] = False
    if cosine_to is not None:
        options.update(cosine_to=cosine_to, cosine_steps=cosine_steps)
    return OptimizerSpec("adam", lambda p: torch.optim.Adam(p, lr=lr, betas=tuple(betas), fused=fused or None),
                         schedule=schedule, options=options)


def sgd(lr: float = 1e-3, momentum: float = 0.0, decay_rate: float | None = None,
        decay_steps: int = 1000, staircase: bool = True, cosine_to: float | None = None,
        cosine_steps: int | None = None) -> OptimizerSpec:
    """Plain (momentum) SGD, ``θ ← θ − lr · d``, optionally with decay as :func:`adam`.
    With a combiner that already normalises its direction (``MultiAdam``, momentum
    ConFIG) this applies only the learning rate."""
    _positive("learning rate", lr)
    if not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}")
    schedule = _decay(decay_rate, decay_steps, staircase, cosine_to, cosine_steps)
    options = dict(lr=lr, momentum=momentum, decay_rate=decay_rate, decay_steps=decay_steps)
    if not staircase:
        options["staircase"] = False
    if cosine_to is not None:
        options.update(cosine_to=cosine_to, cosine_steps=cosine_steps)
    return OptimizerSpec("sgd", lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum), schedule=schedule,
                         options=options)


def lbfgs(lr: float = 1.0, history_size: int = 50, tolerance_grad: float = 1e-7,
          tolerance_change: float = 1e-9, line_search: str | None = "strong_wolfe",
          iterations_per_step: int = 1, max_eval: int | None = None) -> OptimizerSpec:
    """L-BFGS (``torch.optim.LBFGS``) with its tolerances exposed.

    A phase of ``n`` steps runs exactly the iterations of one
    ``LBFGS(max_iter=n, max_eval=max_eval).step(closure)`` call — the same iterates and the
    same stopping rule: the phase ends early when, after an iteration, the gradient's largest
    entry is at most ``tolerance_grad``, the parameter step ``|t d|`` or the change of the
    loss is below ``tolerance_change``, the directional derivative is above
    ``−tolerance_change``, or ``max_eval`` loss evaluations have been spent (``None``: no
    limit besides ``n`` iterations). Krishnapriyan et al. and the FP64 study use
    ``lr=1, history_size=50, tolerance_grad=1e-7, tolerance_change=1e-7``; the default
    ``tolerance_change=1e-9`` is PINNsFormer's.

    Unlike one such call, the trainer sees every iteration (``iterations_per_step``
    iterations make one training step: one history row, one round of callbacks, a point at
    which Stop takes effect), and an iteration still costs about one loss-and-gradient
    evaluation, as inside one call: the evaluation that starts each ``LBFGS.step`` call is
    the one the previous line search ended on, and is reused (:class:`LBFGSIterations`).
    """
    _positive("learning rate", lr)
    for name, v in (("history_size", history_size), ("iterations_per_step", iterations_per_step)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"L-BFGS {name} must be a positive integer; got {v!r}")
    if max_eval is not None and (isinstance(max_eval, bool) or not isinstance(max_eval, int) or max_eval < 1):
        raise ValueError(f"L-BFGS max_eval must be a positive integer or None; got {max_eval!r}")
    for name, v in (("tolerance_grad", tolerance_grad), ("tolerance_change", tolerance_change)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"L-BFGS {name} must be a finite number >= 0; got {v!r}")
    if line_search not in (None, "strong_wolfe"):
        raise ValueError(f"line_search must be None or 'strong_wolfe'; got {line_search!r}")
    make = lambda p: torch.optim.LBFGS(  # noqa: E731
        p, lr=lr, max_iter=iterations_per_step, history_size=history_size, tolerance_grad=tolerance_grad,
        tolerance_change=tolerance_change, line_search_fn=line_search)
    return OptimizerSpec("lbfgs", make, uses_closure=True, tolerance_change=tolerance_change,
                         options=dict(lr=lr, history_size=history_size, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, line_search=line_search,
                                      iterations_per_step=iterations_per_step, max_eval=max_eval))


@dataclass
class _Evaluation:
    flat: torch.Tensor                      # the parameters it was made at
    loss: torch.Tensor                      # the loss tensor the closure returned
    grads: list                             # each parameter's gradient there (or None)
    info: dict                              # what the caller's evaluate() returned beside the loss


@dataclass
class Iteration:
    """What one :meth:`LBFGSIterations.step` did: the loss (and ``info``) at the parameters
    it started from and at those it ended on, the real evaluations it made, and why the
    phase must stop (``None``: it may go on)."""

    start_loss: float
    start_info: dict
    loss: float
    info: dict
    evaluations: int
    stop: str | None = None


class LBFGSIterations:
    """Drive a ``torch.optim.LBFGS`` phase of ``steps`` training steps (each of the
    optimizer's ``max_iter`` iterations) one step at a time,
    with the iterates and the stopping rule of one ``step(closure)`` call over the whole
    phase and about one evaluation per iteration.

    Each ``optimizer.step`` call starts by evaluating the loss at the current parameters —
    the point its previous call's line search ended on. :meth:`step` hands torch the cached
    loss and gradients of that evaluation instead of computing them again, and applies
    after each call the checks torch would have applied between iterations (which a call of
    ``max_iter`` iterations skips after its last one). ``evaluate()`` must zero the
    gradients, compute the loss, back-propagate it (when finite) and return
    ``(loss_tensor, info)``."""

    def __init__(self, optimizer: torch.optim.Optimizer, steps: int, max_eval: int | None = None):
        if not isinstance(optimizer, torch.optim.LBFGS):
            raise ValueError(f"LBFGSIterations drives torch.optim.LBFGS; got {type(optimizer).__name__}")
        self.opt = optimizer
        group = optimizer.param_groups[0]
        self.per_call = int(group["max_iter"])
        self.tolerance_grad, self.tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        self.cap, self.max_eval = int(steps) * self.per_call, max_eval   # iterations at most
        self.iterations = 0          # L-BFGS iterations made
        self.counted = 0             # evaluations as one step() call over the phase would count them
        self.evaluations = 0         # evaluations actually made (cache hits excluded)
        self._accepted: _Evaluation | None = None

    def invalidate(self) -> None:
        """The loss changed under the optimizer (new points): the next step evaluates afresh."""
        self._accepted = None

    def state_dict(self) -> dict:
        """The counters and the cached evaluation (for resuming a phase bit for bit; the
        torch optimizer's own state is its ``state_dict``)."""
        a = self._accepted
        return {"iterations": self.iterations, "counted": self.counted, "evaluations": self.evaluations,
                "accepted": None if a is None else {"flat": a.flat, "loss": a.loss, "grads": a.grads, "info": a.info}}

    def load_state_dict(self, state: dict) -> None:
        self.iterations, self.counted, self.evaluations = state["iterations"], state["counted"], state["evaluations"]
        a = state["accepted"]
        self._accepted = None if a is None else _Evaluation(a["flat"], a["loss"], list(a["grads"]), dict(a["info"]))

    def _flat(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.opt._params])

    def _restore(self, e: _Evaluation) -> None:
        for p, g in zip(self.opt._params, e.grads):
            p.grad = None if g is None else g.clone()

    def _find(self, seen: list[_Evaluation]) -> _Evaluation | None:
        flat = self._flat()
        for e in reversed(seen):
            if torch.equal(e.flat, flat):
                return e
        return None

    def step(self, evaluate) -> Iteration:
        state = self.opt.state[self.opt._params[0]]
        seen: list[_Evaluation] = [self._accepted] if self._accepted is not None else []
        made = [0]

        def closure():
            hit = self._find(seen[:1]) if not made[0] and seen else None
            if hit is not None:        # the point the previous line search ended on
                self._restore(hit)
                return hit.loss
            loss, info = evaluate()
            made[0] += 1
            e = _Evaluation(self._flat(), loss.detach(),
                            [None if p.grad is None else p.grad.detach().clone() for p in self.opt._params], info)
            seen.append(e)
            return loss

        group = self.opt.param_groups[0]
        group["max_iter"] = min(self.per_call, self.cap - self.iterations)
        remaining = (self.max_eval - self.counted) if self.max_eval is not None else 10**12
        group["max_eval"] = max(remaining, 1) + (1 if self._accepted is not None else 0)
        before = state.get("n_iter", 0)
        start_flat = self._flat()
        self.opt.step(closure)
        done = state.get("n_iter", 0) - before
        self.iterations += done
        first_made = self._accepted is None
        self.evaluations += made[0]
        self.counted += made[0]
        start = seen[0] if seen else None
        accepted = self._find(seen)
        if accepted is None:           # moved without an evaluation there (no line search)
            loss, info = evaluate()
            self.evaluations += 1
            accepted = _Evaluation(self._flat(), loss.detach(),
                                   [None if p.grad is None else p.grad.detach().clone() for p in self.opt._params], info)
        self._accepted = accepted
        start = start if start is not None else accepted
        result = Iteration(float(start.loss), start.info, float(accepted.loss), accepted.info, made[0])
        if not math.isfinite(result.loss):  # no test applies; the next step sees the non-finite loss
            return result
        if done == 0:
            result.stop = "gradient below tolerance_grad"
            return result
        if torch.equal(start_flat, self._flat()) and made[0] == int(first_made):
            result.stop = "directional derivative above -tolerance_change"
            return result
        flat_grad = torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(accepted.grads, self.opt._params)])
        if self.max_eval is not None and self.counted >= self.max_eval:
            result.stop = f"{self.max_eval} loss evaluations spent (max_eval)"
        elif float(flat_grad.abs().max()) <= self.tolerance_grad:
            result.stop = "gradient below tolerance_grad"
        elif float(state["d"].mul(state["t"]).abs().max()) <= self.tolerance_change:
            result.stop = "step below tolerance_change"
        elif abs(float(accepted.loss) - state["prev_loss"]) < self.tolerance_change:
            result.stop = "loss change below tolerance_change"
        return result


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


#: first-order optimizer names -> spec builders ``(lr, **options)``; ``"multiadam"`` is
#: SGD that applies the learning rate to a :class:`pinnkit.combining.MultiAdam` direction
#: (:func:`pinnkit.recipes.build` pairs them; a plan alone has no combiner)
FIRST_ORDER = {"adam": adam, "sgd": sgd, "multiadam": sgd}

#: names of training plans, for configurations, widgets and the command line
OPTIMIZERS = ("adam", "lbfgs", "sgd", "adam+lbfgs", "multiadam")


def make_plan(name: str, steps: int, lr: float | None = None, lbfgs_steps: int = 0,
              options: dict | None = None, lbfgs_options: dict | None = None) -> Plan:
    """A plan by name: ``"adam"``, ``"sgd"``, ``"multiadam"`` (first-order, ``steps``
    steps, ``options`` for :func:`adam` / :func:`sgd`), ``"lbfgs"`` (``steps`` iterations,
    ``lbfgs_options`` for :func:`lbfgs`; ``lr`` its step length, default 1) or
    ``"adam+lbfgs"`` (``steps`` Adam steps, then up to ``lbfgs_steps`` L-BFGS iterations)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    options, lbfgs_options = dict(options or {}), dict(lbfgs_options or {})

    def call(fn, what, **kw):
        try:
            return fn(**kw)
        except TypeError as e:
            raise ValueError(f"bad {what} options {kw}: {e}") from None

    if name == "lbfgs":
        if options:
            raise ValueError(f"optimizer 'lbfgs' takes lbfgs options, not first-order options {options}")
        return [(call(lbfgs, "L-BFGS", **{"lr": 1.0 if lr is None else lr, **lbfgs_options}), steps)]
    if "cosine_to" in options:
        options.setdefault("cosine_steps", steps)  # the cosine spans the first-order phase
    first = call(FIRST_ORDER[name.split("+")[0]], name.split("+")[0], **{"lr": 1e-3 if lr is None else lr, **options})
    if name == "adam+lbfgs":
        return [(first, steps), (call(lbfgs, "L-BFGS", **lbfgs_options), lbfgs_steps)]
    if lbfgs_options:
        raise ValueError(f"lbfgs options {lbfgs_options} given for optimizer {name!r}, which has no L-BFGS phase")
    return [(first, steps)]
