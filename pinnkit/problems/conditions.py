"""Named conditions: boundary, initial and data constraints of a problem.

A condition knows *where* it holds (so it can sample its own points) and *what* must be
zero there (its residual). ``sample(n, rng) -> (n, d)`` numpy points;
``residual(u, x, params) -> (n, k)`` tensor, where ``u`` is the model (a callable
``(N, d) -> (N, out)``) and ``params`` a dict of scalar tensors/floats.

Value functions ``g(x, params)`` take a tensor ``x: (n, d)`` and return ``(n, 1)``.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Callable

import numpy as np
import torch

from .derivatives import gradient
from .domains import Box

__all__ = ["Condition", "Dirichlet", "Neumann", "Periodic", "Initial", "Data", "ValueFn", "Integral",
           "Normalisation", "Orthogonality", "quadrature"]

ValueFn = Callable[[torch.Tensor, dict], torch.Tensor]


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of points must be an integer >= 1; got {n!r}")
    return int(n)


def _unit(n: int, d: int, rng: np.random.Generator, method: str) -> np.ndarray:
    n = _check_count(n)
    if method == "random":
        return rng.random((n, d))
    if method == "grid":
        if d == 1:
            return np.linspace(0.0, 1.0, n)[:, None]
        raise ValueError("grid sampling of a condition is defined on 1D edges only; use 'random'")
    raise ValueError(f"unknown condition sampling method {method!r}; use 'random' or 'grid'")


def _component(out: torch.Tensor, component: int) -> torch.Tensor:
    return out[:, component : component + 1]


class Condition(ABC):
    """Where a constraint holds and what must vanish there."""

    #: free coordinates of the sampled set (used to make grids on edges)
    component: int = 0
    #: rows of the residual: ``"points"`` (one per sampled point) or ``"one"`` (an integral
    #: condition reduces its quadrature nodes to a single row, see :class:`Integral`)
    rows: str = "points"

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator, method: str = "random") -> np.ndarray: ...

    @abstractmethod
    def residual(self, u: Callable, x: torch.Tensor, params: dict) -> torch.Tensor: ...


class _OnFace(Condition):
    def __init__(self, domain: Box, name: str, side: str, value: ValueFn | float = 0.0, component: int = 0):
        self.domain, self.name, self.side = domain, name, side
        self.axis = domain.axis(name)
        self.face = domain.face(name, side)
        self.value = value
        self.component = component

    def sample(self, n, rng, method="random"):
        n = _check_count(n)
        free = self.domain.dim - 1
        if free == 0:
            return np.array([[self.face.value]], dtype=float).repeat(n, 0)
        unit = np.zeros((n, self.domain.dim))
        cols = [i for i in range(self.domain.dim) if i != self.axis]
        unit[:, cols] = _unit(n, free, rng, method)
        return self.face.scale(unit)

    def _g(self, x, params):
        if callable(self.value):
            g = self.value(x, params)
            if g.shape != (x.shape[0], 1):
                raise ValueError(f"condition value must return shape ({x.shape[0]}, 1); got {tuple(g.shape)}")
            return g
        return torch.full((x.shape[0], 1), float(self.value), dtype=x.dtype)


class Dirichlet(_OnFace):
    """``u = g`` on the face where coordinate ``name`` is at its ``side`` ('low'/'high')."""

    def residual(self, u, x, params):
        return _component(u(x), self.component) - self._g(x, params)


class Neumann(_OnFace):
    """``∂u/∂name = g`` on a face (derivative along the face's normal coordinate)."""

    def residual(self, u, x, params):
        x = x.detach().requires_grad_(True)
        du = gradient(_component(u(x), self.component), x)[:, self.axis : self.axis + 1]
        return du - self._g(x, params)


class Initial(_OnFace):
    """``∂^k u/∂t^k (x, t0) = g(x)`` with ``derivative`` k (0 for the value, 1 for u_t)."""

    def __init__(self, domain: Box, value: ValueFn | float, derivative: int = 0, component: int = 0):
        if not domain.is_time_dependent:
            raise ValueError("an initial condition needs a domain whose last coordinate is 't'")
        if derivative not in (0, 1, 2):
            raise ValueError(f"derivative order must be 0, 1 or 2; got {derivative}")
        super().__init__(domain, "t", "low", value, component)
        self.derivative = derivative

    def residual(self, u, x, params):
        if self.derivative == 0:
            return _component(u(x), self.component) - self._g(x, params)
        x = x.detach().requires_grad_(True)
        v = _component(u(x), self.component)
        for _ in range(self.derivative):
            v = gradient(v, x)[:, -1:]
        return v - self._g(x, params)


class Periodic(Condition):
    """``u(low) = u(high)`` along coordinate ``name`` (and the first ``derivatives``
    derivatives in that coordinate too). Sampled points lie on the low face; the residual
    compares them with their images on the high face and returns ``(n, 1 + derivatives)``."""

    def __init__(self, domain: Box, name: str, derivatives: int = 0, component: int = 0):
        if derivatives not in (0, 1, 2):
            raise ValueError(f"derivatives must be 0, 1 or 2; got {derivatives}")
        self.domain, self.name, self.axis = domain, name, domain.axis(name)
        self.low = Dirichlet(domain, name, "low")  # samples the low face
        self.derivatives, self.component = derivatives, component

    def sample(self, n, rng, method="random"):
        return self.low.sample(n, rng, method)

    def residual(self, u, x, params):
        shift = torch.zeros(1, x.shape[1], dtype=x.dtype)
        shift[0, self.axis] = self.domain.lengths[self.axis]
        xl = x.detach().requires_grad_(self.derivatives > 0)
        xh = (x.detach() + shift).requires_grad_(self.derivatives > 0)
        vl, vh = _component(u(xl), self.component), _component(u(xh), self.component)
        out = [vl - vh]
        for _ in range(self.derivatives):
            vl = gradient(vl, xl)[:, self.axis : self.axis + 1]
            vh = gradient(vh, xh)[:, self.axis : self.axis + 1]
            out.append(vl - vh)
        return torch.cat(out, dim=1)


class Data(Condition):
    """Observations ``u(x_i) = y_i`` at fixed points (``x: (n, d)``, ``y: (n, 1)``).

    ``sample`` always returns all observations (the requested count is ignored), so the
    residual can pair each point with its value."""

    def __init__(self, x: np.ndarray, y: np.ndarray, component: int = 0):
        x, y = np.asarray(x, float), np.asarray(y, float).reshape(-1, 1)
        if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
            raise ValueError(f"data needs x: (n, d) and y: (n, 1) with n >= 1; got {x.shape}, {y.shape}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("data contains NaN or Inf")
        self.x, self.y, self.component = x, y, component

    def sample(self, n, rng, method="random"):
        return self.x.copy()

    def residual(self, u, x, params):
        if x.shape[0] != len(self.y):
            raise ValueError(f"data residual expects the {len(self.y)} observation points; got {x.shape[0]}")
        return _component(u(x), self.component) - torch.as_tensor(self.y, dtype=x.dtype)


def quadrature(domain: Box, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``(n, 1)`` and weights ``(n,)`` of the ``n``-point Gauss–Legendre rule on a 1D
    domain (exact for polynomials of degree ``2n − 1``)."""
    n = _check_count(n)
    if domain.dim != 1:
        raise ValueError(f"integral conditions are defined on 1D domains; this domain has coordinates {domain.names}")
    t, w = np.polynomial.legendre.leggauss(n)
    lo, hi = domain.low[0], domain.high[0]
    half = (hi - lo) / 2
    return (lo + half * (t + 1))[:, None], half * w


class Integral(Condition):
    """A constraint on an integral of the solution, ``F[u] = ∫_Ω f(u(x), x) dx − c = 0``:
    its residual is **one row** ``(1, k)`` however many points it is given (``rows = "one"``),
    which the loss checks. Normalisation, orthogonality and conservation constraints are of
    this kind.

    The integral is computed by the ``n``-point Gauss–Legendre rule on the (1D) domain:
    ``sample(n)`` returns its nodes (deterministic: ``rng`` and ``method`` are not used),
    and :meth:`residual` refuses points that are not the nodes of some rule, naming the
    condition. Subclasses implement :meth:`integrand` ``(u_values (n, out), x) -> (n, k)``.
    """

    rows = "one"

    def __init__(self, domain: Box, nodes: int = 200, component: int = 0):
        quadrature(domain, nodes)  # checks the domain and the count
        self.domain, self.nodes, self.component = domain, int(nodes), component

    def sample(self, n, rng=None, method="random"):
        return quadrature(self.domain, n)[0]

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """The quadrature weights ``(n,)`` of the nodes ``x`` (which must be the nodes of the
        ``n``-point rule, as :meth:`sample` returns them)."""
        nodes, w = quadrature(self.domain, x.shape[0])
        if x.ndim != 2 or x.shape[1] != 1 or not np.allclose(x.detach().cpu().double().numpy(), nodes,
                                                               rtol=1e-5, atol=1e-6 * (1 + abs(nodes).max())):
            raise ValueError(f"{type(self).__name__} condition: the points are not the nodes of the "
                             f"{x.shape[0]}-point Gauss–Legendre rule on {self.domain.names}; it integrates on the "
                             f"points its sample() returns (do not resample or perturb them)")
        return torch.as_tensor(w, dtype=x.dtype)

    def integrand(self, values: torch.Tensor, x: torch.Tensor, params: dict) -> torch.Tensor:
        raise NotImplementedError

    def target(self, params: dict) -> torch.Tensor | float:
        return 0.0

    def residual(self, u, x, params):
        w = self.weights(x)
        f = self.integrand(u(x), x, params)
        if f.ndim != 2 or f.shape[0] != x.shape[0]:
            raise ValueError(f"{type(self).__name__}: integrand returned shape {tuple(f.shape)} for "
                             f"{x.shape[0]} nodes; expected ({x.shape[0]}, k)")
        return (w[:, None] * f).sum(dim=0, keepdim=True) - self.target(params)


class Normalisation(Integral):
    """``∫ u² dx = value`` (of output ``component``): removes the scale freedom of an
    eigenfunction and excludes ``u ≡ 0``."""

    def __init__(self, domain: Box, value: float = 1.0, nodes: int = 200, component: int = 0):
        super().__init__(domain, nodes, component)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"normalisation value must be a finite number > 0; got {value!r}")
        self.value = float(value)

    def integrand(self, values, x, params):
        return _component(values, self.component) ** 2

    def target(self, params):
        return self.value


class Orthogonality(Integral):
    """``∫ u φ_j dx = 0`` for each of the given states ``φ_j`` (trained models, frozen, or
    callables ``numpy (N, 1) -> (N, 1)``): the constraint that turns a ground-state solver
    into one for the next excited state. Residual: one row, one column per state.

    ``scale_invariant`` (default): each column is the cosine ``∫uφ_j / (‖u‖ ‖φ_j‖)``, which a
    rescaling of ``u`` does not change. The plain inner product ``∫uφ_j`` can be lowered by
    shrinking ``u``, and with it as a penalty the excited-state loss collapses to ``u ≈ 0`` (the
    tests show it); the cosine keeps the penalty's minimum at orthogonality only."""

    def __init__(self, domain: Box, states, nodes: int = 200, component: int = 0, scale_invariant: bool = True):
        super().__init__(domain, nodes, component)
        self.scale_invariant = bool(scale_invariant)
        states = list(states)
        if not states:
            raise ValueError("orthogonality needs at least one state")
        for i, s in enumerate(states):
            if not callable(s):
                raise TypeError(f"orthogonality: state {i} is a {type(s).__name__}, not a model or a callable")
            if isinstance(s, torch.nn.Module):
                s.requires_grad_(False)
        self.states = states
        self._cache: dict = {}

    def _values(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.shape[0], x.dtype)
        if key not in self._cache:
            cols = []
            with torch.no_grad():
                for s in self.states:
                    if isinstance(s, torch.nn.Module):
                        p = next(iter(s.parameters()), None)
                        v = s(x.detach().to(p.dtype if p is not None else x.dtype))[:, :1].to(x.dtype)
                    else:
                        v = torch.as_tensor(np.asarray(s(x.detach().double().numpy()), float).reshape(-1, 1),
                                            dtype=x.dtype)
                    cols.append(v)
            self._cache[key] = torch.cat(cols, dim=1)
        return self._cache[key]

    def integrand(self, values, x, params):
        return _component(values, self.component) * self._values(x)

    def residual(self, u, x, params):
        w = self.weights(x)
        v = _component(u(x), self.component)
        phi = self._values(x)
        inner = (w[:, None] * v * phi).sum(dim=0, keepdim=True)
        if not self.scale_invariant:
            return inner
        norms = torch.sqrt((w * v[:, 0] ** 2).sum()) * torch.sqrt((w[:, None] * phi**2).sum(dim=0, keepdim=True))
        return inner / norms.clamp(min=torch.finfo(v.dtype).tiny ** 0.5)
