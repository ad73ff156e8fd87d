"""Derivatives a model may attach to its own output (the protocol behind the Taylor engines).

A derivative engine of :mod:`pinnkit.models.engines` can compute, in the forward pass, the
first and some second derivatives of a network output ``u: (N, 1)`` with respect to its
input ``x: (N, d)`` and attach them to ``u`` as a :class:`Jet`. :mod:`.derivatives` asks
:func:`derivative_from_jet` first and uses reverse mode when it returns ``None``; a Taylor
model that attached jets is told when reverse mode ran on top of its jets, because some of
its fast paths cannot be differentiated twice.

This module only defines the protocol; nothing here knows any network.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

__all__ = ["Jet", "attach_jet", "jet_of", "derivative_from_jet", "note_reverse_mode", "attach_laplacian",
           "laplacian_estimate"]

#: attribute under which a jet is attached to the output tensor it describes
JET_ATTRIBUTE = "_pinnkit_jet"
#: attribute naming, on an input tensor, the object that attached jets computed from it
OWNER_ATTRIBUTE = "_pinnkit_jet_owner"


class Jet:
    """Derivatives of an output ``u: (N, 1)`` with respect to the input ``x: (N, d)``.

    ``first: (d, N, 1)`` holds ``∂u/∂x_i``; ``second: (P, N, 1)`` holds ``∂²u/∂x_i∂x_j`` for
    ``pairs[k] = (i, j)`` with ``i <= j``. ``request`` is called with a missing pair."""

    __slots__ = ("x", "first", "second", "pairs", "request")

    def __init__(self, x, first, second, pairs, request: Callable[[tuple[int, int]], None] | None = None):
        self.x, self.first, self.second, self.pairs, self.request = x, first, second, tuple(pairs), request

    def get(self, axes: Sequence[int]) -> torch.Tensor | None:
        """``∂^k u / ∂x_{a1}..∂x_{ak}`` for k = 1, 2 -> ``(N, 1)``; ``None`` if not in the jet."""
        if len(axes) == 1:
            return self.first[axes[0]]
        if len(axes) == 2:
            pair = (min(axes), max(axes))
            if pair in self.pairs:
                return self.second[self.pairs.index(pair)]
            if self.request is not None:
                self.request(pair)
        return None

    def gradient(self) -> torch.Tensor:
        """All first derivatives ``(N, d)``."""
        return self.first[..., 0].T


def attach_jet(u: torch.Tensor, jet: Jet, owner=None) -> None:
    """Attach ``jet`` to ``u``; ``owner.fallback()`` is called when reverse mode later runs
    on top of jets computed from ``jet.x``."""
    setattr(u, JET_ATTRIBUTE, jet)
    if owner is not None:
        setattr(jet.x, OWNER_ATTRIBUTE, owner)


def jet_of(u: torch.Tensor, x: torch.Tensor) -> Jet | None:
    """The jet attached to ``u`` if it was computed with respect to this very ``x``."""
    jet = getattr(u, JET_ATTRIBUTE, None)
    if jet is not None and jet.x is x:
        return jet
    return None


def note_reverse_mode(x: torch.Tensor) -> None:
    """Tell the owner of jets computed from ``x`` (if any) that reverse mode ran on them."""
    owner = getattr(x, OWNER_ATTRIBUTE, None)
    if owner is not None:
        owner.fallback()


def derivative_from_jet(u: torch.Tensor, x: torch.Tensor, axes: Sequence[int]) -> torch.Tensor | None:
    """``∂^k u/∂x_{a1}..∂x_{ak}`` from the jet ``u`` carries for ``x``, or ``None`` when the
    caller must use reverse mode: no jet (the jets' owner is then told), an order above two
    (likewise), or a second-order pair the jet lacks (requested for the next call)."""
    jet = jet_of(u, x)
    if jet is None or len(axes) > 2:
        note_reverse_mode(x)
        return None
    return jet.get(axes)


#: attribute under which a Laplacian estimate (a callable ``axes -> (N, 1)``) is attached
LAPLACIAN_ATTRIBUTE = "_pinnkit_laplacian"


def attach_laplacian(u: torch.Tensor, x: torch.Tensor, estimate: Callable) -> None:
    """Attach to ``u`` a lazy ``estimate(axes) -> (N, 1)`` of its Laplacian in ``x`` over
    ``axes`` (:mod:`pinnkit.models.laplacians`); ``D.laplacian`` uses it."""
    setattr(u, LAPLACIAN_ATTRIBUTE, (x, estimate))


def laplacian_estimate(u: torch.Tensor, x: torch.Tensor):
    """The estimate attached to ``u`` for this very ``x``, or ``None``."""
    got = getattr(u, LAPLACIAN_ATTRIBUTE, None)
    if got is not None and got[0] is x:
        return got[1]
    return None
