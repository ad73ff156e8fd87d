"""Where the PDE residual is evaluated.

A sampler is a small object with a count and an optional resampling period:

- ``sample(domain, rng) -> (N, d)`` the first set of interior points;
- ``refine(points, domain, step, score, rng) -> (N', d)`` called by the trainer every
  ``every`` steps (never when ``every`` is ``None``). ``score(points) -> (N,)`` gives the
  residual magnitude at points; samplers that do not use it ignore it. This is how a
  residual-driven sampler sees residuals without importing the loss (docs/architecture.md).

Points are float64 numpy arrays strictly inside the domain (the residual is enforced on
the interior; conditions own the boundary).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import numpy as np
from scipy.stats import qmc

from .problems.domains import Box

__all__ = ["Sampler", "Grid", "Uniform", "Sobol", "LatinHypercube", "FixedPoints", "interior", "SAMPLERS",
           "make_sampler"]

Score = Callable[[np.ndarray], np.ndarray]


def interior(points: np.ndarray, domain: Box) -> np.ndarray:
    """Drop points on (or outside) the domain's boundary."""
    lo, hi = np.asarray(domain.low), np.asarray(domain.high)
    keep = np.all((points > lo) & (points < hi), axis=1)
    return points[keep]


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of points must be a positive integer; got {n!r}")
    return int(n)


class Sampler(ABC):
    """Base class: ``num_points`` interior points, resampled every ``every`` steps."""

    def __init__(self, num_points: int, every: int | None = None):
        self.num_points = _check_count(num_points)
        if every is not None and (not isinstance(every, (int, np.integer)) or every < 1):
            raise ValueError(f"every must be a positive integer or None; got {every!r}")
        self.every = every

    @abstractmethod
    def sample(self, domain: Box, rng: np.random.Generator) -> np.ndarray: ...

    def refine(self, points: np.ndarray, domain: Box, step: int, score: Score | None,
               rng: np.random.Generator) -> np.ndarray:
        """Default: draw a fresh set."""
        return self.sample(domain, rng)

    def __repr__(self):
        return f"{type(self).__name__}(num_points={self.num_points}, every={self.every})"


class Grid(Sampler):
    """A tensor-product grid of about ``num_points`` interior points (never resampled)."""

    def __init__(self, num_points: int):
        super().__init__(num_points, None)

    def sample(self, domain, rng):
        per = max(1, int(round(self.num_points ** (1 / domain.dim))))
        axes = [np.linspace(lo, hi, per + 2)[1:-1] for lo, hi in zip(domain.low, domain.high)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


class Uniform(Sampler):
    """Independent uniform random points."""

    def sample(self, domain, rng):
        return _fill(lambda n: domain.scale(rng.random((n, domain.dim))), self.num_points, domain)


class Sobol(Sampler):
    """Scrambled Sobol' points (``scipy.stats.qmc.Sobol``)."""

    def sample(self, domain, rng):
        engine = qmc.Sobol(domain.dim, scramble=True, seed=rng)
        m = int(np.ceil(np.log2(self.num_points)))
        pts = engine.random_base2(m)[: self.num_points]
        return _fill(lambda n: domain.scale(pts[:n]) if n == len(pts) else domain.scale(rng.random((n, domain.dim))),
                     self.num_points, domain)


class LatinHypercube(Sampler):
    """Latin hypercube points (``scipy.stats.qmc.LatinHypercube``)."""

    def sample(self, domain, rng):
        engine = qmc.LatinHypercube(domain.dim, seed=rng)
        return _fill(lambda n: domain.scale(engine.random(n)), self.num_points, domain)


class FixedPoints(Sampler):
    """A given set of interior points ``points: (N, d)``, used as they are (never
    resampled): a measured design, a grid from elsewhere, the points of another run."""

    def __init__(self, num_points: int, points=None):
        num_points = _check_count(num_points)
        if points is None:
            raise ValueError("FixedPoints needs the points: FixedPoints(num_points, points=[[x, t], ...])")
        pts = np.asarray(points, float)
        if pts.ndim != 2 or len(pts) == 0:
            raise ValueError(f"fixed points must have shape (N, d) with N >= 1; got {pts.shape}")
        if not np.all(np.isfinite(pts)):
            raise ValueError("fixed points contain NaN or Inf")
        if num_points != len(pts):
            raise ValueError(f"{len(pts)} fixed points given but num_points={num_points}; "
                             f"set num_points={len(pts)}")
        super().__init__(len(pts), None)
        self.points = pts

    def sample(self, domain, rng):
        if self.points.shape[1] != domain.dim:
            raise ValueError(f"fixed points have {self.points.shape[1]} coordinates; the domain has {domain.dim}")
        inside = interior(self.points, domain)
        if len(inside) != len(self.points):
            raise ValueError(f"{len(self.points) - len(inside)} fixed point(s) are not inside the domain "
                             f"{list(zip(domain.low, domain.high))} (residual points must be interior)")
        return self.points.copy()


def _fill(draw: Callable[[int], np.ndarray], n: int, domain: Box) -> np.ndarray:
    """Draw ``n`` points, replacing any that fell on the boundary."""
    pts = interior(draw(n), domain)
    while len(pts) < n:
        pts = np.concatenate([pts, interior(draw(n - len(pts)), domain)])
    return pts


#: name -> sampler class, for widgets and the command line
SAMPLERS: dict[str, type[Sampler]] = {
    "grid": Grid,
    "uniform": Uniform,
    "sobol": Sobol,
    "lhs": LatinHypercube,
    "fixed": FixedPoints,
}


def make_sampler(name: str, num_points: int, **kwargs) -> Sampler:
    """Build a sampler by name (``"uniform"``, ``"sobol"``, ...)."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {sorted(SAMPLERS)}")
    try:
        return SAMPLERS[name](num_points, **kwargs)
    except TypeError as e:
        raise ValueError(f"sampler {name!r} does not take the options {sorted(kwargs)}: {e}") from None


# --------------------------------------------------------------------------------------
# Residual-driven samplers. Each takes the trainer's ``score(points) -> |residual| (N,)``
# in ``refine`` (docs/architecture.md) and never imports the loss.
# --------------------------------------------------------------------------------------

def _uniform(domain: Box, n: int, rng: np.random.Generator) -> np.ndarray:
    if n == 0:
        return np.empty((0, domain.dim))
    return _fill(lambda m: domain.scale(rng.random((m, domain.dim))), n, domain)


def _need_score(score, who: str):
    if score is None:
        raise ValueError(f"{who} is residual-driven: refine() needs a score function (points -> |residual|)")
    return score


def _scores(score, x: np.ndarray, who: str) -> np.ndarray:
    s = np.asarray(_need_score(score, who)(x), float).reshape(-1)
    if s.shape != (len(x),):
        raise ValueError(f"{who}: score returned {s.shape} values for {len(x)} points")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{who}: score returned NaN or Inf")
    return np.abs(s)


def residual_density(eps: np.ndarray, k: float = 1.0, c: float = 1.0) -> np.ndarray:
    """Sampling probabilities ``p_i ∝ ε_i^k / mean(ε^k) + c`` (Wu et al., CMAME 403, 2023,
    Eq. 2), normalised to sum to one. ``eps: (N,)`` residual magnitudes -> ``(N,)``."""
    ek = np.abs(np.asarray(eps, float)) ** k
    m = ek.mean()
    p = (ek / m if m > 0 else np.zeros_like(ek)) + c
    if not p.sum() > 0:  # k > 0, c = 0 and every residual zero: fall back to uniform
        p = np.ones_like(p)
    return p / p.sum()


def _check_kc(k, c):
    if not (np.isfinite(k) and k >= 0 and np.isfinite(c) and c >= 0):
        raise ValueError(f"need k >= 0 and c >= 0; got k={k}, c={c}")


class RAR(Sampler):
    """Residual-based adaptive refinement, greedy (RAR-G; Lu, Meng, Mao & Karniadakis,
    SIAM Rev. 63, 2021): every ``every`` steps draw ``candidates`` uniform points and add
    the ``add`` of them with the largest residual. Adding stops once the candidates' mean
    residual is below ``tol`` (DeepXDE's Burgers example uses 0.005). The set grows."""

    def __init__(self, num_points: int, every: int | None = 1000, candidates: int = 10000, add: int = 1,
                 tol: float = 0.0):
        super().__init__(num_points, every)
        self.candidates, self.add, self.tol = _check_count(candidates), _check_count(add), float(tol)
        if self.add > self.candidates:
            raise ValueError(f"cannot add {add} points from {candidates} candidates")

    def sample(self, domain, rng):
        return _uniform(domain, self.num_points, rng)

    def refine(self, points, domain, step, score, rng):
        cand = _uniform(domain, self.candidates, rng)
        eps = _scores(score, cand, "RAR")
        if eps.mean() < self.tol:
            return points
        top = np.argsort(eps)[-self.add:]
        return np.concatenate([points, cand[top]])


class RARD(Sampler):
    """RAR-D (Wu et al., CMAME 403, 2023): every ``every`` steps draw ``candidates`` uniform
    points, and add ``add`` of them (default ``num_points // 200``) drawn without
    replacement with probability ``p ∝ ε^k / mean(ε^k) + c``. The set grows by ``add``
    per round. Defaults k = 1, c = 1 and 100 000 candidates as in the authors' code
    (lu-group/pinn-sampling, ``src/burgers/RAR_D.py``)."""

    def __init__(self, num_points: int, every: int | None = 1000, candidates: int = 100000,
                 add: int | None = None, k: float = 1.0, c: float = 1.0):
        super().__init__(num_points, every)
        _check_kc(k, c)
        self.candidates, self.k, self.c = _check_count(candidates), float(k), float(c)
        self.add = _check_count(add if add is not None else max(1, num_points // 200))
        if self.add > self.candidates:
            raise ValueError(f"cannot add {self.add} points from {candidates} candidates")

    def sample(self, domain, rng):
        return _uniform(domain, self.num_points, rng)

    def refine(self, points, domain, step, score, rng):
        cand = _uniform(domain, self.candidates, rng)
        p = residual_density(_scores(score, cand, "RAR-D"), self.k, self.c)
        pick = rng.choice(len(cand), self.add, replace=False, p=p)
        return np.concatenate([points, cand[pick]])


class RAD(Sampler):
    """Residual-based adaptive distribution (Wu et al., CMAME 403, 2023): every ``every``
    steps replace the whole set by ``num_points`` points drawn without replacement from
    ``candidates`` fresh uniform points with ``p ∝ ε^k / mean(ε^k) + c`` (ε = |residual|).
    ``k = 0`` or ``c → ∞`` is uniform resampling; the paper's default is k = 1, c = 1 and
    100 000 candidates."""

    def __init__(self, num_points: int, every: int | None = 1000, candidates: int = 100000,
                 k: float = 1.0, c: float = 1.0):
        super().__init__(num_points, every)
        _check_kc(k, c)
        self.candidates, self.k, self.c = _check_count(candidates), float(k), float(c)
        if self.candidates < self.num_points:
            raise ValueError(f"RAD needs candidates >= num_points; got {candidates} < {num_points}")

    def sample(self, domain, rng):
        return _uniform(domain, self.num_points, rng)

    def refine(self, points, domain, step, score, rng):
        cand = _uniform(domain, self.candidates, rng)
        p = residual_density(_scores(score, cand, "RAD"), self.k, self.c)
        return cand[rng.choice(len(cand), self.num_points, replace=False, p=p)]


class R3(Sampler):
    """Retain–Resample–Release (Daw et al., ICML 2023): with fitness F = |residual| of the
    current population, *retain* the points with F > mean(F), *release* the others and
    *resample* as many uniformly, so the count stays ``num_points``. The authors update
    after every optimiser step (``every=1``)."""

    def __init__(self, num_points: int, every: int | None = 1):
        super().__init__(num_points, every)

    def sample(self, domain, rng):
        return _uniform(domain, self.num_points, rng)

    def fitness(self, points: np.ndarray, eps: np.ndarray) -> np.ndarray:
        return eps

    def refine(self, points, domain, step, score, rng):
        if len(points) != self.num_points:
            raise ValueError(f"R3 population has {len(points)} points; expected {self.num_points}")
        eps = _scores(score, points, "R3")
        f = self.fitness(points, eps)
        keep = points[f > f.mean()]
        self._after(points, eps)
        return np.concatenate([keep, _uniform(domain, self.num_points - len(keep), rng)])

    def _after(self, points, eps):
        pass


class CausalR3(R3):
    """Causal R3 (Daw et al., ICML 2023): R3 with fitness ``|R|·g(t)`` and a causal gate

        g(t) = (1 − tanh(α (t_n − β))) / 2,   t_n = (t − t0)/(t1 − t0) ∈ [0, 1],

    that opens forward in time: after each update
    ``β ← β + η · min(exp(−tol · mean((|R|·g)²)), clip)`` with η = ``beta_lr`` (1e-3),
    tol = 20, clip = 0.1, α = 5, β₀ = −0.5 (authors' ``train.py``). Train with
    ``residual_loss=sampler.loss``: ``mean(Σ_k (R_k g)²)`` with the current gate.

    With β₀ = −0.5 the gate starts almost closed (g(0) ≈ 0.007) and opens as β grows, by
    at most ``beta_lr·clip`` per update: with the authors' η = 1e-3 it needs ~2e4 of
    their 3e5 updates to open over all of t_n ∈ [0, 1]. Shorter runs should scale η by
    3e5 / steps to keep that fraction.
    """

    def __init__(self, num_points: int, every: int | None = 1, alpha: float = 5.0, beta: float = -0.5,
                 beta_lr: float = 1e-3, tol: float = 20.0, clip: float = 0.1):
        super().__init__(num_points, every)
        if not (alpha > 0 and beta_lr >= 0 and tol >= 0 and clip > 0):
            raise ValueError("CausalR3 needs alpha > 0, beta_lr >= 0, tol >= 0, clip > 0")
        self.alpha, self.beta0, self.beta_lr, self.tol, self.clip = alpha, beta, beta_lr, tol, clip
        self.beta = beta
        self._t = None

    def sample(self, domain, rng):
        if not domain.is_time_dependent:
            raise ValueError("CausalR3 needs a time-dependent domain (last coordinate 't')")
        self._t = (domain.low[-1], domain.high[-1])
        self.beta = self.beta0
        return super().sample(domain, rng)

    def gate(self, t):
        """``g(t)`` for numpy arrays or tensors of times (same type back)."""
        if self._t is None:
            raise ValueError("CausalR3.gate is defined after sample(domain, rng) has set the time range")
        tn = (t - self._t[0]) / (self._t[1] - self._t[0])
        if isinstance(t, np.ndarray):
            return (1 - np.tanh(self.alpha * (tn - self.beta))) / 2
        return (1 - (self.alpha * (tn - self.beta)).tanh()) / 2

    def fitness(self, points, eps):
        return eps * self.gate(points[:, -1])

    def _after(self, points, eps):
        g = self.gate(points[:, -1])
        self.beta += self.beta_lr * min(float(np.exp(-self.tol * np.mean((eps * g) ** 2))), self.clip)

    def loss(self, x, r):
        """Gated residual loss ``mean_i Σ_k (r_ik g(t_i))²`` for ``x: (N, d)``, ``r: (N, k)``."""
        g = self.gate(x[:, -1:].detach())
        return ((r * g) ** 2).sum(dim=1).mean()


SAMPLERS.update({"rar": RAR, "rar-g": RAR, "rar-d": RARD, "rad": RAD, "r3": R3, "causal-r3": CausalR3})
__all__ += ["residual_density", "RAR", "RARD", "RAD", "R3", "CausalR3"]
