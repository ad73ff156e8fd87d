"""The :class:`Problem`: a PDE as data, plus its exact (or reference) answer."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from .conditions import Condition
from .derivatives import Derivatives
from .domains import Box

__all__ = ["Parameter", "Problem", "GridReference", "Residual", "Parameters", "UnknownParameterError",
           "ParameterRangeWarning", "check_residual", "check_integral", "align_sign"]

#: residual(x, u, D, p) -> (N, k); ``D`` is a :class:`Derivatives` over ``x``
Residual = Callable[[torch.Tensor, torch.Tensor, Derivatives, Mapping], torch.Tensor]


class ParameterRangeWarning(UserWarning):
    """A parameter value outside the range its problem declares. The run goes on (the range
    is that of the widget sliders and of the values the problem was checked for, not a
    limit of the equation), but the reference solution and the defaults may not resolve it."""


class UnknownParameterError(KeyError):
    """``p[name]`` in a residual for a name the problem does not declare."""

    def __str__(self):
        return str(self.args[0])


class Parameters(dict):
    """The ``p`` a residual or condition receives: a dict whose missing keys are an
    :class:`UnknownParameterError` listing the names that exist."""

    def __init__(self, values: Mapping, owner: str):
        super().__init__(values)
        self.owner = owner

    def __missing__(self, key):
        raise UnknownParameterError(f"{self.owner} asked for p[{key!r}], which is not a parameter of the problem; "
                                    f"its parameters (and unknowns) are {sorted(map(str, self))}")


def check_residual(r, n: int, what: str) -> torch.Tensor:
    """``r`` as ``(n, k)``, or an error naming ``what`` returned it, the shape it returned
    and the shape expected: not a torch tensor (a numpy array cuts the gradient), a scalar
    (a mean or sum taken inside the residual), the wrong number of rows, or ``(n, n)`` (an
    ``(n,)`` tensor broadcast against an ``(n, 1)`` one)."""
    expected = f"expected a torch tensor of shape ({n},) or ({n}, k): one row per point, one column per equation"
    if not isinstance(r, torch.Tensor):
        raise TypeError(f"{what} returned a {type(r).__module__}.{type(r).__name__}; {expected}, computed from u "
                        f"and D(...) with torch functions (torch.sin, not np.sin: numpy cuts the gradient)")
    if r.ndim == 0:
        raise ValueError(f"{what} returned a scalar (shape ()); {expected}. Return the pointwise residual, "
                         f"not its mean or sum: the loss reduces it")
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] != n:
        raise ValueError(f"{what} returned shape {tuple(r.shape)} for {n} points; {expected}")
    if n > 16 and r.shape[1] == n:
        raise ValueError(f"{what} returned shape ({n}, {n}) for {n} points; {expected}. An ({n},) tensor was "
                         f"broadcast against an ({n}, 1) one: u, D(u, ...) and x[:, 0:1] are ({n}, 1), "
                         f"x[:, 0] is ({n},) — write x[:, 0:1]")
    return r


def align_sign(pred: np.ndarray, ref: np.ndarray, sign_free: bool = True) -> np.ndarray:
    """``ref`` or ``−ref``, whichever is nearer ``pred`` in the l2 sense (``ref`` itself
    unless ``sign_free``): an eigenfunction is only defined up to its sign."""
    if not sign_free:
        return ref
    pred, ref = np.asarray(pred, float), np.asarray(ref, float)
    return -ref if np.sum((pred + ref) ** 2) < np.sum((pred - ref) ** 2) else ref


def check_integral(r, nodes: int, what: str) -> torch.Tensor:
    """The residual of an integral condition as ``(1, k)`` — one row whatever the number of
    ``nodes`` it integrates over — or an error naming ``what`` returned what."""
    expected = "expected a torch tensor of shape (1, k): one row (the integral), one column per constraint"
    if not isinstance(r, torch.Tensor):
        raise TypeError(f"{what} returned a {type(r).__module__}.{type(r).__name__}; {expected}")
    if r.ndim == 0:
        r = r.reshape(1, 1)
    if r.ndim != 2 or r.shape[0] != 1:
        raise ValueError(f"{what} is an integral condition and returned shape {tuple(r.shape)} for its {nodes} "
                         f"nodes; {expected} (sum the weighted integrand over the nodes)")
    return r


@dataclass(frozen=True)
class Parameter:
    """A number of the PDE that a user may change (a widget slider's range and scale)."""

    value: float
    low: float
    high: float
    log: bool = False
    doc: str = ""

    def __post_init__(self):
        for k in ("value", "low", "high"):
            v = getattr(self, k)
            if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(float(v)):
                raise ValueError(f"parameter {k} must be a finite number; got {v!r}")
        if not self.low < self.high:
            raise ValueError(f"parameter range must have low < high; got [{self.low}, {self.high}]")
        # the range is a slider's suggestion; a value outside it widens the range
        object.__setattr__(self, "low", min(float(self.low), float(self.value)))
        object.__setattr__(self, "high", max(float(self.high), float(self.value)))


class GridReference:
    """Reference solution known on a tensor-product grid, interpolated elsewhere.

    ``axes``: one 1D array per coordinate; ``values``: array of shape
    ``tuple(len(a) for a in axes)``. Calls return ``(N, 1)``.

    ``method`` is a :class:`scipy.interpolate.RegularGridInterpolator` method, or
    ``"spline"``: an interpolating bicubic spline fitted once (2D grids only;
    ``RectBivariateSpline``), much faster than ``"cubic"`` on large grids. Points outside
    the grid raise ``ValueError`` with every method.
    """

    def __init__(self, axes: Sequence[np.ndarray], values: np.ndarray, method: str = "cubic"):
        from scipy.interpolate import RectBivariateSpline, RegularGridInterpolator

        self.axes = [np.asarray(a, float) for a in axes]
        self.values = np.asarray(values, float)
        if self.values.shape != tuple(len(a) for a in self.axes):
            raise ValueError(f"values shape {self.values.shape} does not match axes {[len(a) for a in self.axes]}")
        if method == "spline":
            if len(self.axes) != 2:
                raise ValueError(f"method 'spline' needs a 2D grid; got {len(self.axes)} axes")
            spline = RectBivariateSpline(self.axes[0], self.axes[1], self.values, kx=3, ky=3, s=0)
            self._interp = lambda x: spline.ev(x[:, 0], x[:, 1])
        else:
            self._interp = RegularGridInterpolator(self.axes, self.values, method=method)
        self.method = method

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, float)
        if self.method == "spline":
            if x.ndim != 2 or x.shape[1] != 2:
                raise ValueError(f"points must have shape (N, 2); got {x.shape}")
            for i, a in enumerate(self.axes):
                tol = 1e-9 * (a[-1] - a[0])
                if np.any(x[:, i] < a[0] - tol) or np.any(x[:, i] > a[-1] + tol):
                    raise ValueError(f"points outside the grid in dimension {i} ([{a[0]}, {a[-1]}])")
        return self._interp(x).reshape(-1, 1)


@dataclass
class Problem:
    """A PDE problem.

    - ``residual(x, u, D, p)`` is written like the equation, e.g. Burgers
      ``D(u, "t") + u * D(u, "x") - p["nu"] * D(u, "xx")``; returns ``(N, k)``.
    - ``conditions``: named :class:`Condition` s (``"initial"``, ``"left"``, ``"periodic"``...).
    - ``parameters``: the numbers a user may change; ``p[name]`` inside the residual.
    - ``reference(x: (N, d)) -> (N, 1)`` numpy, or ``None`` when no reference exists.
    - ``unknowns``: initial values of trainable scalars (inverse and eigenvalue problems);
      they appear in ``p`` as tensors with gradients. Those named in ``log_unknowns`` are
      trained as ``s`` with ``p[name] = exp(s)`` (positive, e.g. a viscosity; their
      initial value is the value itself, not its log).
    - ``hard``: an output transform ``(x, n, p) -> u`` that satisfies the conditions
      named in ``hard_satisfies`` exactly (used by :class:`pinnkit.models.HardConstraint`).
    - ``factory``: rebuilds the problem with other parameter values (``with_parameters``).
    """

    name: str
    domain: Box
    residual: Residual
    conditions: dict[str, Condition]
    parameters: dict[str, Parameter] = field(default_factory=dict)
    reference: Callable[[np.ndarray], np.ndarray] | None = None
    output_dim: int = 1
    unknowns: dict[str, float] = field(default_factory=dict)
    log_unknowns: tuple[str, ...] = ()
    hard: Callable[[torch.Tensor, torch.Tensor, Mapping], torch.Tensor] | None = None
    hard_satisfies: tuple[str, ...] = ()
    test_shape: tuple[int, ...] = (101, 101)
    equation: str = ""
    factory: Callable[..., "Problem"] | None = None
    #: true values of the unknowns, when known (an inverse problem made from a zoo problem)
    truth: dict[str, float] = field(default_factory=dict)
    #: the reference is defined up to its sign (an eigenfunction): errors are measured against
    #: whichever of ``±reference`` is nearer the prediction (:func:`align_sign`)
    sign_free: bool = False
    #: further numbers of a prediction, ``name -> f(x, pred) -> float`` with ``x`` the test grid
    #: ``(N, d)`` and ``pred`` the model's output there ``(N, out)``; the :class:`Evaluator`
    #: records each as ``metric/<name>`` beside the errors (a mechanical problem's energy drift)
    metrics: dict[str, Callable[[np.ndarray, np.ndarray], float]] = field(default_factory=dict)
    #: names of the output columns (default ``u``, or ``u0, u1, …`` for several outputs)
    output_names: tuple[str, ...] = ()

    @property
    def outputs(self) -> tuple[str, ...]:
        """The output columns' names (``output_names``, or ``u`` / ``u0, u1, …``)."""
        if self.output_names:
            return tuple(self.output_names)
        return ("u",) if self.output_dim == 1 else tuple(f"u{i}" for i in range(self.output_dim))

    def __post_init__(self):
        if set(self.parameters) & set(self.unknowns):
            raise ValueError(f"names used both as parameters and unknowns: {set(self.parameters) & set(self.unknowns)}")
        bad = set(self.log_unknowns) - set(self.unknowns)
        if bad:
            raise ValueError(f"log_unknowns names {sorted(bad)}, which are not unknowns of {self.name}")
        if self.output_names and len(self.output_names) != self.output_dim:
            raise ValueError(f"{self.name}: output_names {list(self.output_names)} must name all {self.output_dim} "
                             f"output(s)")
        for k in self.log_unknowns:
            if not self.unknowns[k] > 0:
                raise ValueError(f"unknown {k!r} is trained as exp(s) and needs a positive initial value; "
                                 f"got {self.unknowns[k]!r}")
        unknown = set(self.hard_satisfies) - set(self.conditions)
        if unknown:
            raise ValueError(f"hard_satisfies names unknown conditions {unknown}")
        if len(self.test_shape) != self.domain.dim:
            raise ValueError(f"test_shape {self.test_shape} must have {self.domain.dim} entries")

    # -- parameters -------------------------------------------------------------------
    @property
    def values(self) -> dict[str, float]:
        """Current parameter values by name."""
        return {k: float(v.value) for k, v in self.parameters.items()}

    @property
    def initial_values(self) -> dict[str, float]:
        """Parameter values and the unknowns' initial values: the ``p`` of an untrained model."""
        return {**self.values, **{k: float(v) for k, v in self.unknowns.items()}}

    def with_parameters(self, **values: float) -> "Problem":
        """The same problem with other parameter values (its reference recomputed)."""
        bad = set(values) - set(self.parameters)
        if bad:
            raise ValueError(f"{self.name} has no parameter(s) {sorted(bad)}; it has {sorted(self.parameters)}")
        if self.factory is None:
            raise ValueError(f"{self.name} was built without a factory and cannot change parameters")
        problem = self.factory(**{**self.values, **values})  # refuses values the equation cannot take
        for k, v in values.items():
            par = self.parameters[k]
            if not par.low <= v <= par.high:
                warnings.warn(f"{self.name}: {k} = {v} lies outside its declared range [{par.low:g}, {par.high:g}] "
                              f"({par.doc or k}); the run goes on, but the problem's reference and defaults were "
                              f"checked inside the range only", ParameterRangeWarning, stacklevel=2)
        return problem

    def with_unknowns(self, initial: Mapping[str, float] | Sequence[str], log: Sequence[str] = ()) -> "Problem":
        """The inverse problem: the parameters named in ``initial`` become trainable unknowns
        starting from the given values (a list of names starts each from its current value;
        ``log``: those trained as ``exp(s)``). The reference (and any hard transform) stays
        that of the current, true values; give the problem observations (:meth:`with_data`)
        to identify them. A name that neither the residual nor any condition uses is an
        error: no data could ever move it."""
        if not isinstance(initial, Mapping):
            if isinstance(initial, str):
                initial = [initial]
            initial = {k: self.values[k] for k in initial if k in self.parameters} | {
                k: math.nan for k in initial if k not in self.parameters}
        bad = set(initial) - set(self.parameters)
        if bad:
            raise ValueError(f"{self.name} has no parameter(s) {sorted(bad)} to make unknown; "
                             f"its parameters are {sorted(self.parameters)}")
        for k, v in initial.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"initial value of unknown {k!r} must be a finite number; got {v!r}")
        unused = [k for k in initial if not self.uses(k)]
        if unused:
            raise ValueError(f"{self.name}: neither the residual nor a condition uses parameter {unused[0]!r} "
                             f"(it enters only the reference), so no observation can identify it; "
                             f"unknowns can be {sorted(k for k in self.parameters if self.uses(k))}")
        truth = self.values
        hard = self.hard
        if hard is not None:  # the transform keeps the true values it was written with
            hard = (lambda h: (lambda x, n, p: h(x, n, {**truth, **{k: v for k, v in p.items() if k not in initial}})))(hard)
        return replace(self, parameters={k: v for k, v in self.parameters.items() if k not in initial},
                       unknowns={**self.unknowns, **{k: float(v) for k, v in initial.items()}},
                       log_unknowns=tuple(dict.fromkeys([*self.log_unknowns, *log])), hard=hard,
                       factory=None, truth={**self.truth, **{k: truth[k] for k in initial}})

    def uses(self, name: str) -> bool:
        """Whether the residual or a condition depends on parameter ``name``: both are
        evaluated once for a smooth test field with ``p[name]`` a tensor, and the gradient
        with respect to it is checked."""
        if name not in self.parameters:
            raise ValueError(f"{self.name} has no parameter {name!r}")
        g = torch.Generator().manual_seed(0)
        w = torch.randn(self.domain.dim, 3, generator=g, dtype=torch.float64)
        low = torch.as_tensor(self.domain.low, dtype=torch.float64)
        span = torch.as_tensor(self.domain.high, dtype=torch.float64) - low
        # a smooth field whose every derivative is nonzero, and points inside the box
        u = lambda x: (torch.sin(x @ w + 0.3) + 0.5 * torch.cos(x @ w)).sum(1, keepdim=True).repeat(  # noqa: E731
            1, self.output_dim)
        x = low + span * torch.rand(16, self.domain.dim, generator=g, dtype=torch.float64)
        p = {k: torch.tensor(v, dtype=torch.float64) for k, v in self.values.items()}
        p.update({k: torch.tensor(float(v), dtype=torch.float64) for k, v in self.unknowns.items()})
        p[name] = torch.tensor(self.values[name] if self.values[name] != 0 else 0.7, dtype=torch.float64,
                               requires_grad=True)
        outs = [self.pde_residual(u, x, p)]
        rng = np.random.default_rng(0)
        for c in self.conditions.values():
            try:
                xc = torch.as_tensor(c.sample(4, rng), dtype=torch.float64)
                outs.append(c.residual(u, xc, p))
            except ValueError:  # a data condition wants its own points
                continue
        total = sum((o**2).sum() for o in outs if o.requires_grad)
        if not isinstance(total, torch.Tensor) or not total.requires_grad:
            return False
        (grad,) = torch.autograd.grad(total, p[name], allow_unused=True)
        return grad is not None and float(grad.abs()) > 0

    def with_data(self, x: np.ndarray, y: np.ndarray, name: str = "data", component: int = 0) -> "Problem":
        """The problem with observations ``u(x_i) = y_i`` (of output ``component``) as a
        condition named ``name``."""
        from .conditions import Data

        if name in self.conditions:
            raise ValueError(f"{self.name} already has a condition named {name!r}")
        x = np.asarray(x, float)
        if x.ndim != 2 or x.shape[1] != self.domain.dim:
            raise ValueError(f"observation points must have shape (n, {self.domain.dim}); got {x.shape}")
        lo, hi = np.asarray(self.domain.low), np.asarray(self.domain.high)
        outside = np.flatnonzero(np.any((x < lo - 1e-12) | (x > hi + 1e-12), axis=1))
        if len(outside):
            raise ValueError(f"observation {int(outside[0])} at {x[outside[0]].tolist()} lies outside the domain "
                             f"{list(zip(self.domain.low, self.domain.high))} of {self.name}")
        if not 0 <= component < self.output_dim:
            raise ValueError(f"{self.name} has {self.output_dim} output(s); component {component} does not exist")
        return replace(self, conditions={**self.conditions, name: Data(x, y, component)}, factory=None)

    # -- evaluation -------------------------------------------------------------------
    def pde_residual(self, u: Callable, x: torch.Tensor, params: Mapping) -> torch.Tensor:
        """Residual of the PDE at interior points ``x: (N, d)`` -> ``(N, k)``."""
        if x.ndim != 2 or x.shape[1] != self.domain.dim:
            raise ValueError(f"{self.name}: points must have shape (N, {self.domain.dim}); got {tuple(x.shape)}")
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        out = u(x)
        if out.ndim != 2 or out.shape != (x.shape[0], self.output_dim):
            raise ValueError(f"{self.name}: model output must be (N, {self.output_dim}); got {tuple(out.shape)}")
        D = Derivatives(x, self.domain.names)
        uu = out if self.output_dim > 1 else out
        r = self.residual(x, uu, D, Parameters(params, f"the residual of {self.name}"))
        return check_residual(r, x.shape[0], f"the residual of {self.name}")

    def test_grid(self, shape: Sequence[int] | None = None) -> np.ndarray:
        """Points of the evaluation grid ``(prod(shape), d)`` (see :meth:`Box.grid`)."""
        return self.domain.grid(tuple(shape) if shape is not None else self.test_shape)

    def reference_on(self, x: np.ndarray) -> np.ndarray:
        if self.reference is None:
            raise ValueError(f"{self.name} has no reference solution")
        return np.asarray(self.reference(np.asarray(x, float)), float).reshape(len(x), -1)

    def replace(self, **changes) -> "Problem":
        return replace(self, **changes)
