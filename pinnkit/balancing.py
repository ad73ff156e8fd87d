"""Loss balancers: small objects with explicit state that turn per-term losses into
per-term weights, composed with :func:`chain` (in the spirit of optax's gradient
transformations).

Protocol: ``state = b.init(names)``; then every step
``weights, state = b.update(weights, state, ctx)``. ``weights`` enter as the previous
balancer's output (all ones at the start of a chain) and leave as plain floats keyed like
the terms. ``ctx`` (:class:`Context`) gives the step, the losses (with graph) and, on
demand, per-term parameter gradients computed once and shared.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import torch

__all__ = ["Context", "Balancer", "Static", "Chain", "static", "chain", "BALANCERS", "make_balancer"]


@dataclass
class Context:
    """What a balancer may look at in one step."""

    step: int
    losses: Mapping[str, torch.Tensor]
    params: Sequence[torch.Tensor]
    _grads: dict = field(default_factory=dict, repr=False)

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


class Balancer(ABC):
    """A weighting scheme. Subclasses implement ``init`` and ``update``."""

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


#: name -> factory taking keyword options, for widgets and the command line
BALANCERS: dict[str, type] = {"none": lambda **kw: Static({}), "static": Static}


def make_balancer(name: str, **kwargs) -> Balancer:
    if name not in BALANCERS:
        raise ValueError(f"unknown balancer {name!r}; choose one of {sorted(BALANCERS)}")
    return BALANCERS[name](**kwargs)
