"""Domains: where a problem lives.

Every domain is an axis-aligned box with named coordinates; time, when present, is the
last column (``("x", "t")``). Points are ``numpy`` arrays of shape ``(N, d)`` in float64;
the trainer converts them to tensors of the run's dtype.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["Box", "Interval", "Rectangle", "TimeDomain"]


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``[low_0, high_0] × ... × [low_{d-1}, high_{d-1}]``.

    ``names`` are single-letter coordinate names used by :class:`Derivatives`.
    """

    low: tuple[float, ...]
    high: tuple[float, ...]
    names: tuple[str, ...]

    def __post_init__(self):
        low, high, names = tuple(map(float, self.low)), tuple(map(float, self.high)), tuple(self.names)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "names", names)
        if not (len(low) == len(high) == len(names)) or not names:
            raise ValueError(f"low, high and names must have one equal, non-zero length; got {low}, {high}, {names}")
        for n, lo, hi in zip(names, low, high):
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"bounds of {n!r} must be finite; got [{lo}, {hi}]")
            if not lo < hi:
                raise ValueError(f"empty domain: coordinate {n!r} has low={lo} >= high={hi}")
        if len(set(names)) != len(names) or any(not isinstance(n, str) or len(n) != 1 for n in names):
            raise ValueError(f"coordinate names must be distinct single letters; got {names}")

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def is_time_dependent(self) -> bool:
        return self.names[-1] == "t"

    @property
    def lengths(self) -> np.ndarray:
        return np.asarray(self.high) - np.asarray(self.low)

    def axis(self, name: str) -> int:
        if name not in self.names:
            raise ValueError(f"unknown coordinate {name!r}; domain has {self.names}")
        return self.names.index(name)

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube ``(N, d)`` into the box."""
        return np.asarray(self.low) + unit * self.lengths

    def contains(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        x = np.asarray(x)
        return np.all((x >= np.asarray(self.low) - tol) & (x <= np.asarray(self.high) + tol), axis=1)

    def grid(self, shape: Sequence[int] | int) -> np.ndarray:
        """Tensor-product grid including the edges -> ``(prod(shape), d)``.

        Ordering is C-order over ``names`` (the first coordinate varies slowest), so
        ``u.reshape(shape)`` indexes ``[i_x, i_t]`` for a ``("x", "t")`` domain.
        """
        shape = (shape,) * self.dim if isinstance(shape, int) else tuple(shape)
        if len(shape) != self.dim or any(int(s) < 2 for s in shape):
            raise ValueError(f"grid shape must have {self.dim} entries >= 2; got {shape}")
        axes = [np.linspace(lo, hi, int(s)) for lo, hi, s in zip(self.low, self.high, shape)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def face(self, name: str, side: str) -> "Box":
        """The face where coordinate ``name`` is at its ``"low"`` or ``"high"`` end (a box
        of zero width in that coordinate, sampled by fixing it)."""
        if side not in ("low", "high"):
            raise ValueError(f"side must be 'low' or 'high'; got {side!r}")
        return _Face(self, self.axis(name), side)


class _Face:
    """A face of a box: samples the box and pins one coordinate."""

    def __init__(self, box: Box, axis: int, side: str):
        self.box, self.axis, self.side = box, axis, side
        self.value = box.low[axis] if side == "low" else box.high[axis]
        self.names = box.names
        self.dim = box.dim

    def scale(self, unit: np.ndarray) -> np.ndarray:
        x = self.box.scale(unit)
        x[:, self.axis] = self.value
        return x

    def grid(self, n: int) -> np.ndarray:
        shape = [n if i != self.axis else 2 for i in range(self.dim)]
        if self.dim > 2:
            shape = [max(2, int(round(n ** (1 / (self.dim - 1))))) if i != self.axis else 2 for i in range(self.dim)]
        g = self.box.grid(shape)
        g = g[np.isclose(g[:, self.axis], self.value)]
        return g

    def contains(self, x, tol=1e-12):
        return self.box.contains(x, tol) & (np.abs(np.asarray(x)[:, self.axis] - self.value) <= tol)


def Interval(low: float, high: float, name: str = "x") -> Box:
    """A 1D interval ``[low, high]``."""
    return Box((low,), (high,), (name,))


def Rectangle(low: Sequence[float], high: Sequence[float], names: Sequence[str] = ("x", "y")) -> Box:
    """A 2D rectangle."""
    return Box(tuple(low), tuple(high), tuple(names))


def TimeDomain(space: Box, t0: float, t1: float) -> Box:
    """Space × time, time last: ``TimeDomain(Interval(-1, 1), 0, 1)`` has names ``("x", "t")``."""
    if "t" in space.names:
        raise ValueError("the space part already has a coordinate named 't'")
    return Box(space.low + (t0,), space.high + (t1,), space.names + ("t",))
