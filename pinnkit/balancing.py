"""Loss balancers: small objects with explicit state that turn per-term losses into
per-term weights, composed with :func:`chain` (in the spirit of optax's gradient
transformations).

Protocol: ``state = b.init(names)``; then every step
``weights, state = b.update(weights, state, ctx)``. ``weights`` enter as the previous
balancer's output (all ones at the start of a chain) and leave as plain floats keyed like
the terms. ``ctx`` (:class:`Context`) gives the step, the losses (with graph) and, on
demand, per-term parameter gradients computed once and shared.

Schemes (registry :data:`BALANCERS`): ``static``; learning-rate annealing ``lra`` (paper
rule) and ``lra_code`` (the authors' script); ``grad_norm``; NTK trace weighting ``ntk``;
``relobralo``; ``softadapt``; ``ema`` smoothing. Per-term *gradient* methods (PCGrad,
ConFIG, MultiAdam) live in :mod:`pinnkit.combining`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
import math
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

__all__ = ["Context", "Balancer", "Static", "Chain", "Grouped", "static", "chain", "BALANCERS", "make_balancer",
           "LearningRateAnnealing", "GradNorm", "NTKWeights", "ReLoBRaLo", "SoftAdapt", "EMA",
           "lra", "grad_norm", "ntk", "relobralo", "softadapt", "ema", "ntk_trace"]


@dataclass
class Context:
    """What a balancer may look at in one step."""

    step: int
    losses: Mapping[str, torch.Tensor]
    params: Sequence[torch.Tensor]
    _grads: dict = field(default_factory=dict, repr=False)
    #: ``pointwise(name) -> (N, k)`` per-point residuals of term ``name`` with graph
    #: (set by the trainer; needed by per-point methods such as NTK weighting)
    pointwise: Callable[[str], torch.Tensor] | None = None

    def grad(self, name: str) -> torch.Tensor:
        """Flat gradient of term ``name`` w.r.t. the trainable parameters (detached)."""
        if name not in self._grads:
            gs = torch.autograd.grad(self.losses[name], self.params, retain_graph=True, allow_unused=True)
            self._grads[name] = torch.cat([
                (g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(gs, self.params)
            ])
        return self._grads[name]

    def grads(self) -> dict[str, torch.Tensor]:
        return {n: self.grad(n) for n in self.losses}

    def lazy_grads(self) -> Mapping[str, torch.Tensor]:
        """Like :meth:`grads`, but each term's gradient is computed only when read (a
        method that back-propagates one term per step pays for one backward pass)."""
        return _LazyGrads(self)


class _LazyGrads(Mapping):
    def __init__(self, ctx: Context):
        self._ctx = ctx

    def __getitem__(self, name):
        if name not in self._ctx.losses:
            raise KeyError(name)
        return self._ctx.grad(name)

    def __iter__(self):
        return iter(self._ctx.losses)

    def __len__(self):
        return len(self._ctx.losses)


class Balancer(ABC):
    """A weighting scheme. Subclasses implement ``init`` and ``update``.

    ``upweights_small_gradients`` is True for schemes that promise to give the larger
    weight to the term whose gradient is smaller (the contract tests hold them to it).
    """

    upweights_small_gradients: bool = False

    def init(self, names: Sequence[str]):
        return None

    @abstractmethod
    def update(self, weights: dict[str, float], state, ctx: Context) -> tuple[dict[str, float], object]: ...


class Static(Balancer):
    """Fixed multipliers ``w_i ← s_i w_i``; terms not named keep their weight."""

    def __init__(self, scales: Mapping[str, float]):
        for k, v in scales.items():
            if not (isinstance(v, (int, float)) and v >= 0 and v == v and v != float("inf")):
                raise ValueError(f"static weight for {k!r} must be a finite number >= 0; got {v!r}")
        self.scales = dict(scales)

    def init(self, names):
        unknown = set(self.scales) - set(names)
        if unknown:
            raise ValueError(f"static weights name unknown terms {sorted(unknown)}; terms are {list(names)}")
        return None

    def update(self, weights, state, ctx):
        return {k: w * self.scales.get(k, 1.0) for k, w in weights.items()}, state


class Chain(Balancer):
    """Apply balancers in order, each seeing the previous one's weights."""

    def __init__(self, *balancers: Balancer):
        self.balancers = balancers

    def init(self, names):
        return tuple(b.init(names) for b in self.balancers)

    def update(self, weights, state, ctx):
        new_state = []
        for b, s in zip(self.balancers, state):
            weights, s = b.update(weights, s, ctx)
            new_state.append(s)
        return weights, tuple(new_state)


def static(scales: Mapping[str, float] | None = None, **kw: float) -> Static:
    return Static({**(scales or {}), **kw})


def chain(*balancers: Balancer) -> Chain:
    return Chain(*balancers)


def _check_fraction(name: str, v, low_open: bool = True) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not (0 < v <= 1 if low_open else 0 <= v < 1):
        raise ValueError(f"{name} must be a number in {'(0, 1]' if low_open else '[0, 1)'}; got {v!r}")
    return float(v)


def _check_every(v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"every must be an integer >= 1; got {v!r}")
    return int(v)


def _reference_term(reference: str | None, names: Sequence[str]) -> str:
    if reference is None:
        return "residual" if "residual" in names else names[0]
    if reference not in names:
        raise ValueError(f"reference term {reference!r} is not a loss term; terms are {list(names)}")
    return reference


def _split(flat: torch.Tensor, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    out, i = [], 0
    for p in params:
        out.append(flat[i : i + p.numel()].view_as(p))
        i += p.numel()
    return out


class LearningRateAnnealing(Balancer):
    """Learning-rate annealing (Wang, Teng & Perdikaris, "Understanding and mitigating
    gradient flow pathologies in physics-informed neural networks", SISC 43, 2021;
    arXiv 2001.04536, Algorithm 1, Eqs. 40-42).

    Loss ``L_r + Σ_i λ_i L_i`` with the residual ``L_r`` as reference (weight 1). Two
    documented update rules:

    - ``rule="paper"`` (Alg. 1): every ``every`` steps (default 1)
      ``λ̂_i = max_θ |∇_θ L_r| / mean_θ |∇_θ L_i|`` over all parameters, then
      ``λ_i ← (1 − α) λ_i + α λ̂_i`` with ``α = 0.9`` (weight on the NEW estimate).
    - ``rule="code"`` (the authors' Helmholtz script): every 10 steps
      ``λ_i ← α λ_i + (1 − α) λ̂_i`` with ``α = 0.9`` (weight on the OLD value), where
      ``λ̂_i`` uses weight matrices only (max over all matrix entries of ``|∇L_r|``
      divided by the mean over matrices of ``mean |∇(λ_i L_i)|``) — the denominator
      holds the already weighted term, so the fixed point is ``λ = √(max/mean)`` rather
      than ``max/mean``. The script also shares one λ among its four edge losses;
      pinnkit keeps one λ per named term.

    Which rule produced the paper's Table 2 is not stated. A term with a smaller
    gradient receives a larger λ. Output weights are the incoming weights times λ.
    """

    upweights_small_gradients = True

    def __init__(self, rule: str = "paper", alpha: float | None = None, every: int | None = None,
                 reference: str | None = None):
        if rule not in ("paper", "code"):
            raise ValueError(f"rule must be 'paper' or 'code'; got {rule!r}")
        self.rule = rule
        self.alpha = _check_fraction("alpha", 0.9 if alpha is None else alpha)
        self.every = _check_every((1 if rule == "paper" else 10) if every is None else every)
        self.reference = reference

    def init(self, names):
        ref = _reference_term(self.reference, names)
        return {"reference": ref, "lambda": {n: 1.0 for n in names}}

    def _estimate(self, name, lam, ctx, ref):
        if self.rule == "paper":
            num = float(ctx.grad(ref).abs().max())
            den = float(ctx.grad(name).abs().mean())
        else:
            mats = [i for i, p in enumerate(ctx.params) if p.ndim >= 2] or list(range(len(ctx.params)))
            gr, gi = _split(ctx.grad(ref), ctx.params), _split(ctx.grad(name), ctx.params)
            num = max(float(gr[i].abs().max()) for i in mats)
            den = float(np.mean([float((lam * gi[i]).abs().mean()) for i in mats]))
        return num / den if den > 0 and math.isfinite(num / den) else None

    def update(self, weights, state, ctx):
        lam = dict(state["lambda"])
        ref = state["reference"]
        if (ctx.step - 1) % self.every == 0:
            for n in lam:
                if n == ref:
                    continue
                est = self._estimate(n, lam[n], ctx, ref)
                if est is None:
                    continue
                if self.rule == "paper":
                    lam[n] = (1 - self.alpha) * lam[n] + self.alpha * est
                else:
                    lam[n] = self.alpha * lam[n] + (1 - self.alpha) * est
        out = {k: float(w * lam.get(k, 1.0)) for k, w in weights.items()}
        return out, {"reference": ref, "lambda": lam}


class GradNorm(Balancer):
    """Gradient-norm weighting ``λ_i = (Σ_j ‖∇_θ L_j‖) / ‖∇_θ L_i‖`` (S. Wang, Sankaran,
    H. Wang & Perdikaris, "An expert's guide to training physics-informed neural networks",
    arXiv 2308.08468, §3.2), recomputed every ``every`` steps with no smoothing of its
    own (compose with :func:`ema`). Every weighted term then has the same gradient norm,
    scaled by the incoming weight: ``chain(static(initial=10), grad_norm(), ema(0.9))``.
    """

    upweights_small_gradients = True

    def __init__(self, every: int = 1):
        self.every = _check_every(every)

    def init(self, names):
        return {n: 1.0 for n in names}

    def update(self, weights, state, ctx):
        lam = dict(state)
        if (ctx.step - 1) % self.every == 0:
            norms = {n: float(ctx.grad(n).norm()) for n in lam}
            total = sum(norms.values())
            lam = {n: (total / v if v > 0 else lam[n]) for n, v in norms.items()}
        return {k: float(w * lam.get(k, 1.0)) for k, w in weights.items()}, lam


def ntk_trace(r: torch.Tensor, params: Sequence[torch.Tensor], probes: int | None = None,
              seed: int = 0, chunk: int = 128) -> float:
    """``tr(K) = tr(J Jᵀ) = Σ_i ‖∂r_i/∂θ‖²`` for per-point outputs ``r: (N, k)`` (with graph).

    Exact by default (batched backward passes over the N·k outputs, ``chunk`` at a time:
    cost ≈ N·k backward passes); with ``probes``,
    Hutchinson's estimate ``tr(J Jᵀ) ≈ mean_v ‖Jᵀ v‖²`` over Rademacher vectors ``v``
    (``probes`` backward passes, seeded by ``seed``).
    """
    flat = r.reshape(-1)
    params = list(params)
    if probes is None:
        total = 0.0
        for i in range(0, flat.numel(), chunk):  # rows of J in chunks, through batched backward passes
            m = min(chunk, flat.numel() - i)
            sel = torch.zeros(m, flat.numel(), dtype=flat.dtype)
            sel[torch.arange(m), i + torch.arange(m)] = 1.0
            try:
                gs = torch.autograd.grad(flat, params, grad_outputs=sel, retain_graph=True, allow_unused=True,
                                         is_grads_batched=True)
                total += float(sum((g**2).sum() for g in gs if g is not None))
            except RuntimeError:  # an op without a batching rule: one output at a time
                for k in range(i, i + m):
                    gs = torch.autograd.grad(flat[k], params, retain_graph=True, allow_unused=True)
                    total += float(sum((g**2).sum() for g in gs if g is not None))
        return total
    if isinstance(probes, bool) or not isinstance(probes, int) or probes < 1:
        raise ValueError(f"probes must be None or an integer >= 1; got {probes!r}")
    g = torch.Generator().manual_seed(int(seed))
    total = 0.0
    for _ in range(probes):
        v = (torch.randint(0, 2, flat.shape, generator=g) * 2 - 1).to(flat.dtype)
        gs = torch.autograd.grad(flat, params, grad_outputs=v, retain_graph=True, allow_unused=True)
        total += float(sum((x**2).sum() for x in gs if x is not None))
    return total / probes


class NTKWeights(Balancer):
    """NTK trace weighting (Wang, Yu & Perdikaris, "When and why PINNs fail to train: a
    neural tangent kernel perspective", JCP 449, 2022; arXiv 2007.14527, Alg. 1):

        λ_j = tr(K) / tr(K_j),   tr(K) = Σ_j tr(K_j),   K_j = J_j J_jᵀ,

    with ``J_j = ∂ r_j / ∂θ`` the Jacobian of term j's per-point residuals (boundary
    values for a Dirichlet term, PDE residuals for the residual term). Since
    ``tr(J Jᵀ) = Σ_i ‖∂r_i/∂θ‖²`` no kernel matrix is formed (:func:`ntk_trace`).
    Recomputed every ``every`` steps (paper: 100). Per-point residuals come from
    ``outputs(name) -> (N, k)`` if given, else from ``ctx.pointwise`` set by the
    trainer. ``probes`` switches to Hutchinson's trace estimate. A term with a smaller
    kernel trace (slower to converge) receives a larger weight.
    """

    upweights_small_gradients = True

    def __init__(self, every: int = 100, outputs: Callable[[str], torch.Tensor] | None = None,
                 probes: int | None = None):
        self.every = _check_every(every)
        self.outputs = outputs
        self.probes = probes

    def init(self, names):
        return {n: 1.0 for n in names}

    def update(self, weights, state, ctx):
        lam = dict(state)
        if (ctx.step - 1) % self.every == 0:
            outputs = self.outputs or ctx.pointwise
            if outputs is None:
                raise ValueError("NTK weighting needs per-point residuals: pass outputs=... or train with a "
                                 "trainer that sets Context.pointwise")
            traces = {n: ntk_trace(outputs(n), ctx.params, self.probes, seed=ctx.step) for n in lam}
            total = sum(traces.values())
            lam = {n: (total / t if t > 0 else lam[n]) for n, t in traces.items()}
        return {k: float(w * lam.get(k, 1.0)) for k, w in weights.items()}, lam


def _softmax(values: dict[str, float], temperature: float) -> dict[str, float]:
    top = max(values.values())
    e = {k: math.exp((v - top) / temperature) for k, v in values.items()}
    z = sum(e.values())
    return {k: len(e) * v / z for k, v in e.items()}


class ReLoBRaLo(Balancer):
    """Relative loss balancing with random lookback (Bischof & Kraus, "Multi-objective loss
    balancing for physics-informed deep learning", arXiv 2110.09813, Eqs. 8-11):

        bal_i(t, t') = m · softmax_i( L_i(t) / (T · L_i(t')) ),
        λ_i(t) = α (ρ λ_i(t−1) + (1 − ρ) bal_i(t, 0)) + (1 − α) bal_i(t, t−1),

    ρ ~ Bernoulli(E[ρ]) (the random lookback to the first step). Defaults α = 0.999,
    T = 0.1, E[ρ] = 0.999. A term whose loss falls slowest relative to its past gets the
    larger weight (a loss-based, not a gradient-based, scheme). The Bernoulli draw is
    seeded by ``(seed, step)``, so the state stays explicit and updates are repeatable.
    """

    def __init__(self, alpha: float = 0.999, temperature: float = 0.1, expected_rho: float = 0.999,
                 seed: int = 0):
        self.alpha = _check_fraction("alpha", alpha, low_open=False) if alpha != 1 else 1.0
        if not (isinstance(temperature, (int, float)) and temperature > 0 and math.isfinite(temperature)):
            raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}")
        self.temperature = float(temperature)
        self.expected_rho = _check_fraction("expected_rho", expected_rho, low_open=False) if expected_rho != 1 else 1.0
        self.seed = int(seed)

    def init(self, names):
        return {"lambda": {n: 1.0 for n in names}, "first": None, "previous": None}

    def update(self, weights, state, ctx):
        now = {n: float(ctx.losses[n].detach()) for n in state["lambda"]}
        if state["first"] is None:
            lam = dict(state["lambda"])
            new = {"lambda": lam, "first": now, "previous": now}
        else:
            tiny = 1e-30
            rel_first = _softmax({n: now[n] / (state["first"][n] + tiny) for n in now}, self.temperature)
            rel_prev = _softmax({n: now[n] / (state["previous"][n] + tiny) for n in now}, self.temperature)
            rho = float(np.random.default_rng([self.seed, int(ctx.step)]).random() < self.expected_rho)
            lam = {n: self.alpha * (rho * state["lambda"][n] + (1 - rho) * rel_first[n])
                   + (1 - self.alpha) * rel_prev[n] for n in now}
            new = {"lambda": lam, "first": state["first"], "previous": now}
        return {k: float(w * lam.get(k, 1.0)) for k, w in weights.items()}, new


class SoftAdapt(Balancer):
    """SoftAdapt (Heydari, Thompson & Mehmood, arXiv 1912.12355, §3): with the rates of
    change ``s_i = L_i(t) − L_i(t−1)``

        plain:           α_i = exp(β s_i) / Σ_j exp(β s_j)
        loss_weighted:   α_i = L_i exp(β s_i) / Σ_j L_j exp(β s_j)
        normalized:      s_i replaced by s_i / Σ_j |s_j|

    multiplied by the number of terms m so that equal rates give weights of 1 (the paper's
    weights sum to 1). A term whose loss decreases slowest (or grows) is up-weighted.
    """

    def __init__(self, beta: float = 0.1, variant: str = "plain"):
        if variant not in ("plain", "loss_weighted", "normalized"):
            raise ValueError(f"variant must be 'plain', 'loss_weighted' or 'normalized'; got {variant!r}")
        if not (isinstance(beta, (int, float)) and math.isfinite(beta)):
            raise ValueError(f"beta must be a finite number; got {beta!r}")
        self.beta, self.variant = float(beta), variant

    def init(self, names):
        return {"previous": None, "lambda": {n: 1.0 for n in names}}

    def update(self, weights, state, ctx):
        now = {n: float(ctx.losses[n].detach()) for n in state["lambda"]}
        lam = dict(state["lambda"])
        if state["previous"] is not None:
            s = {n: now[n] - state["previous"][n] for n in now}
            if self.variant == "normalized":
                scale = sum(abs(v) for v in s.values()) or 1.0
                s = {n: v / scale for n, v in s.items()}
            top = max(self.beta * v for v in s.values())
            e = {n: math.exp(self.beta * v - top) * (now[n] if self.variant == "loss_weighted" else 1.0)
                 for n, v in s.items()}
            z = sum(e.values())
            if z > 0 and math.isfinite(z):
                lam = {n: len(e) * v / z for n, v in e.items()}
        return {k: float(w * lam.get(k, 1.0)) for k, w in weights.items()}, {"previous": now, "lambda": lam}


class EMA(Balancer):
    """Exponential moving average of the incoming weights:
    ``w_t = β w_{t−1} + (1 − β) w_in`` (``w_1 = w_in``)."""

    def __init__(self, beta: float = 0.9):
        self.beta = _check_fraction("beta", beta, low_open=False)

    def init(self, names):
        return None

    def update(self, weights, state, ctx):
        if state is None:
            out = {k: float(w) for k, w in weights.items()}
        else:
            out = {k: float(self.beta * state.get(k, w) + (1 - self.beta) * w) for k, w in weights.items()}
        return out, dict(out)


@dataclass
class _GroupContext(Context):
    """A :class:`Context` over groups: a group's gradient is the sum of its members'
    gradients, each taken once through the outer context (and shared with it)."""

    outer: Context | None = None
    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def grad(self, name: str) -> torch.Tensor:
        if name not in self.groups:
            return self.outer.grad(name)
        if name not in self._grads:
            self._grads[name] = sum(self.outer.grad(t) for t in self.groups[name])
        return self._grads[name]


class Grouped(Balancer):
    """One weight per group of terms: ``balancer`` sees each group as one term whose loss is
    the sum of its members' losses (gradients and per-point residuals likewise summed /
    stacked), and every member receives its group's weight. Terms in no group stay terms of
    their own. The authors' LRA on Helmholtz keeps one λ for the summed loss of the four
    edges: ``Grouped(lra(), {"boundary": ["left", "right", "bottom", "top"]})``."""

    def __init__(self, balancer: Balancer, groups: Mapping[str, Sequence[str]]):
        if not isinstance(balancer, Balancer):
            raise ValueError(f"Grouped wraps a Balancer; got {type(balancer).__name__}")
        if not isinstance(groups, Mapping) or not groups:
            raise ValueError(f"groups must map group names to lists of terms; got {groups!r}")
        seen: set = set()
        for g, members in groups.items():
            members = list(members)
            if not members:
                raise ValueError(f"group {g!r} has no terms")
            twice = seen & set(members)
            if twice:
                raise ValueError(f"terms {sorted(twice)} are in more than one group")
            seen |= set(members)
        self.balancer, self.groups = balancer, {g: list(m) for g, m in groups.items()}
        self.upweights_small_gradients = balancer.upweights_small_gradients

    def _names(self, names):
        unknown = {t for m in self.groups.values() for t in m} - set(names)
        if unknown:
            raise ValueError(f"groups name unknown terms {sorted(unknown)}; terms are {list(names)}")
        clash = set(self.groups) & set(names)
        if clash:
            raise ValueError(f"group names {sorted(clash)} are also term names; rename the groups")
        grouped = {t for m in self.groups.values() for t in m}
        out, placed = [], set()
        for n in names:  # groups take the place of their first member, in term order
            if n in grouped:
                g = next(k for k, m in self.groups.items() if n in m)
                if g not in placed:
                    out.append(g)
                    placed.add(g)
            else:
                out.append(n)
        return out

    def init(self, names):
        names = list(names)
        outer = self._names(names)
        return {"names": names, "inner": self.balancer.init(outer)}

    def _context(self, ctx: Context | None) -> Context | None:
        if ctx is None:
            return None
        groups = self.groups
        losses = {n: (sum(ctx.losses[t] for t in groups[n]) if n in groups else ctx.losses[n])
                  for n in self._names(list(ctx.losses))}
        pointwise = None
        if ctx.pointwise is not None:
            def pointwise(name):
                if name in groups:
                    return torch.cat([ctx.pointwise(t).reshape(-1, 1) for t in groups[name]])
                return ctx.pointwise(name)
        return _GroupContext(ctx.step, losses, ctx.params, pointwise=pointwise, outer=ctx, groups=groups)

    def update(self, weights, state, ctx):
        groups = self.groups
        outer_in = {}
        for n in self._names(list(weights)):
            outer_in[n] = weights[groups[n][0]] if n in groups else weights[n]
        outer, inner_state = self.balancer.update(outer_in, state["inner"], self._context(ctx))
        out = {}
        for k, w in weights.items():
            g = next((g for g, m in groups.items() if k in m), None)
            out[k] = float(outer[g] * w / outer_in[g]) if g is not None and outer_in[g] != 0 else (
                float(outer[g]) if g is not None else float(outer[k]))
        return out, {"names": state["names"], "inner": inner_state}


def lra(rule: str = "paper", alpha: float | None = None, every: int | None = None,
        reference: str | None = None) -> LearningRateAnnealing:
    return LearningRateAnnealing(rule, alpha, every, reference)


def grad_norm(every: int = 1) -> GradNorm:
    return GradNorm(every)


def ntk(every: int = 100, outputs=None, probes: int | None = None) -> NTKWeights:
    return NTKWeights(every, outputs, probes)


def relobralo(alpha: float = 0.999, temperature: float = 0.1, expected_rho: float = 0.999, seed: int = 0) -> ReLoBRaLo:
    return ReLoBRaLo(alpha, temperature, expected_rho, seed)


def softadapt(beta: float = 0.1, variant: str = "plain") -> SoftAdapt:
    return SoftAdapt(beta, variant)


def ema(beta: float = 0.9) -> EMA:
    return EMA(beta)


#: name -> factory taking keyword options, for widgets and the command line
BALANCERS: dict[str, Callable[..., Balancer]] = {
    "none": lambda **kw: Static({}),
    "static": Static,
    "lra": lra,
    "lra_code": lambda **kw: lra(rule="code", **kw),
    "grad_norm": grad_norm,
    "ntk": ntk,
    "relobralo": relobralo,
    "softadapt": softadapt,
    "ema": ema,
}


def make_balancer(name: str, **kwargs) -> Balancer:
    """A balancer by name with its options; ``groups={group: [term, ...]}`` among the options
    shares one weight per group (:class:`Grouped`)."""
    if name not in BALANCERS:
        raise ValueError(f"unknown balancer {name!r}; choose one of {sorted(BALANCERS)}")
    groups = kwargs.pop("groups", None)
    try:
        balancer = BALANCERS[name](**kwargs)
    except TypeError as e:
        raise ValueError(f"balancer {name!r} does not take the options {sorted(kwargs)}: {e}") from None
    return Grouped(balancer, groups) if groups else balancer
