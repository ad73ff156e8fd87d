"""Mechanical initial-value problems in Hamiltonian form, with their energy.

Each problem is a separable Hamiltonian ``H(q, p) = |p|²/(2m) + V(q)`` on ``t ∈ [0, T]``;
the network outputs the whole phase-space trajectory, coordinates first, then momenta
(one output per coordinate from one shared network: the outputs are coupled only through
the residual), and the residual is Hamilton's equations

    q' − ∂H/∂p = 0,   p' + ∂H/∂q = 0,

one column per equation. This is the unsupervised setting of Mattheakis, Sondak, Dogra &
Protopapas, "Hamiltonian neural networks for solving equations of motion", Phys. Rev. E 105,
065305 (2022), arXiv 2001.11107: no data, the loss is the equations' residual, and with
``hard=True`` the initial state holds exactly through their transform

    û(t) = u(0) + (1 − e^{−t}) N(t)

(:class:`InitialValueTransform`; under time marching each window restarts it at its own
start, ``1 − e^{−(t − t0)}``, from the previous window's end state).

=================  =========================  ==============================================
problem            outputs                    H
=================  =========================  ==============================================
``free_particle``  x, p                       p²/(2m)
``gravity``        x, y, vx, vy (unit mass)   (vx² + vy²)/2 + g y
``pendulum``       θ, ω = θ'                  ω²/2 + (g/L)(1 − cos θ)   (per unit m L²)
``henon_heiles``   x, y, px, py               (px² + py²)/2 + (x² + y²)/2 + x²y − y³/3
=================  =========================  ==============================================

References: closed forms for the free particle and the projectile; for the pendulum and
Hénon–Heiles ``scipy.integrate.solve_ivp`` (DOP853, rtol = atol = 1e-12, dense output),
solved on first use. :func:`pendulum_exact` is the Jacobi-elliptic closed form of a pendulum
released from rest (``scipy.special.ellipj``), used by the tests to check the numerical one.

Every problem carries the metric ``energy_drift`` (``metric/energy_drift`` in a run's
history, see :func:`energy_drift`): ``max_t |E(t) − E₀| / |E₀|`` of the prediction on the
test grid, ``E₀`` the exact (conserved) energy of the initial state.
:func:`symplectic_euler` is the fixed-step integrator the paper compares with.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from ..conditions import Initial
from ..domains import Box
from ..problem import Parameter, Problem
from ._common import LazyReference, check_number

__all__ = ["free_particle", "gravity", "pendulum", "henon_heiles", "FIELDS", "energy", "energy_drift",
           "hamiltonian", "pendulum_exact", "free_particle_exact", "gravity_exact", "symplectic_euler",
           "InitialValueTransform", "ivp_reference", "HENON_HEILES_ESCAPE"]

#: output columns of each problem, in order (coordinates, then momenta / velocities)
FIELDS: dict[str, tuple[str, ...]] = {
    "free_particle": ("x", "p"),
    "gravity": ("x", "y", "vx", "vy"),
    "pendulum": ("theta", "omega"),
    "henon_heiles": ("x", "y", "px", "py"),
}

#: the Hénon–Heiles escape energy: below it, inside the triangle of the saddles, orbits are bounded
HENON_HEILES_ESCAPE = 1.0 / 6.0

#: solve_ivp tolerances of the numerical references
RTOL = ATOL = 1e-12


# ----------------------------------------------------------------------------- energies

def _h_free_particle(q, p, v):
    return p[0] ** 2 / (2 * v["m"])


def _h_gravity(q, p, v):
    return (p[0] ** 2 + p[1] ** 2) / 2 + v["g"] * q[1]


def _h_pendulum(q, p, v, cos=np.cos):
    return p[0] ** 2 / 2 + v["g"] / v["length"] * (1 - cos(q[0]))


def _h_henon_heiles(q, p, v):
    x, y = q
    return (p[0] ** 2 + p[1] ** 2) / 2 + (x**2 + y**2) / 2 + x**2 * y - y**3 / 3


_HAMILTONIANS = {"free_particle": _h_free_particle, "gravity": _h_gravity, "pendulum": _h_pendulum,
                 "henon_heiles": _h_henon_heiles}


def _base(problem: Problem | str) -> str:
    name = problem if isinstance(problem, str) else problem.name
    base = name.split("[", 1)[0]  # a time window's problem: "henon_heiles[t=0..5]"
    if base not in _HAMILTONIANS:
        raise ValueError(f"{name!r} is not a mechanical problem; those are {sorted(_HAMILTONIANS)}")
    return base


def hamiltonian(name: str, U: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
    """``H`` of the states ``U: (N, 2n)`` (columns as in :data:`FIELDS`) of problem ``name``
    with parameter values ``values`` -> ``(N,)``."""
    base = _base(name)
    U = np.asarray(U, float)
    k = len(FIELDS[base])
    if U.ndim != 2 or U.shape[1] != k:
        raise ValueError(f"{base}: states must have shape (N, {k}) with columns {FIELDS[base]}; got {U.shape}")
    n = k // 2
    return _HAMILTONIANS[base]([U[:, i] for i in range(n)], [U[:, n + i] for i in range(n)], values)


def energy(problem: Problem, U: np.ndarray) -> np.ndarray:
    """The energy (Hamiltonian) of the states ``U: (N, 2n)`` of a mechanical ``problem``."""
    return hamiltonian(problem.name, U, problem.values)


def energy_drift(E: np.ndarray, E0: float | None = None) -> float:
    """``max_t |E(t) − E₀| / |E₀|`` over an energy history ``E`` (``E₀``: ``E[0]`` unless
    given; pass the exact initial energy to count an initial-state error as drift too).
    ``E₀ = 0`` has no relative drift: a ``ValueError``."""
    E = np.asarray(E, float).ravel()
    if E.size == 0:
        raise ValueError("energy_drift needs at least one energy value")
    if not np.all(np.isfinite(E)):
        return math.inf
    E0 = float(E[0]) if E0 is None else float(E0)
    if not math.isfinite(E0) or E0 == 0:
        raise ValueError(f"energy_drift is relative to |E0|, which must be a finite nonzero number; got {E0!r}")
    return float(np.max(np.abs(E - E0)) / abs(E0))


# ----------------------------------------------------------------------- hard transform

class InitialValueTransform:
    """``u(t) = u(t0) + (1 − e^{−(t − t0)}) n(t)`` for every output (Mattheakis et al. 2022,
    §II): the initial state holds exactly and ``u' (t0) = n(t0)`` stays free.

    ``conditions``: the value (derivative 0) :class:`Initial` condition of each output, in
    output order; ``u(t0)`` is their value at ``t0``. ``constant``: the values do not change
    between calls (a window's initial state read from a frozen network), so they are computed
    once. :meth:`at_window` makes the transform of a time window (used by seq2seq)."""

    def __init__(self, conditions: Sequence[Initial], t0: float = 0.0, constant: bool = False):
        if any(not isinstance(c, Initial) or c.derivative != 0 for c in conditions):
            raise ValueError("InitialValueTransform needs value (derivative 0) Initial conditions")
        if [c.component for c in conditions] != list(range(len(conditions))):
            raise ValueError("InitialValueTransform needs one Initial condition per output, in output order")
        self.conditions, self.t0, self.constant = list(conditions), float(t0), constant
        self._u0: torch.Tensor | None = None

    def initial(self, x: torch.Tensor, p: Mapping) -> torch.Tensor:
        """``u(t0)``: ``(1, k)`` for a constant state, else ``(N, k)``."""
        if self.constant and self._u0 is not None:
            return self._u0.to(x.dtype)
        xs = (x[:1] if self.constant else x).detach().clone()
        xs[:, -1] = self.t0
        u0 = torch.cat([c._g(xs, p) for c in self.conditions], 1)
        if self.constant:
            self._u0 = u0.detach()
        return u0

    def __call__(self, x: torch.Tensor, n: torch.Tensor, p: Mapping) -> torch.Tensor:
        t = x[:, -1:]
        return self.initial(x, p) + (1 - torch.exp(-(t - self.t0))) * n

    def at_window(self, t0: float, conditions: Mapping[str, Initial], names: Sequence[str]) -> "InitialValueTransform":
        """The transform of a window starting at ``t0`` whose initial conditions (by name)
        are ``conditions``; ``names`` those this transform satisfies, in output order."""
        return InitialValueTransform([conditions[n] for n in names], t0, constant=True)


# ---------------------------------------------------------------------------- references

def ivp_reference(rhs: Callable[[float, np.ndarray], np.ndarray], u0: Sequence[float], T: float
                  ) -> Callable[[np.ndarray], np.ndarray]:
    """The dense DOP853 solution (rtol = atol = 1e-12) of ``u' = rhs(t, u)``, ``u(0) = u0`` on
    ``[0, T]`` as a reference ``X: (N, 1) -> (N, k)``."""
    from scipy.integrate import solve_ivp

    sol = solve_ivp(rhs, (0.0, T), np.asarray(u0, float), method="DOP853", rtol=RTOL, atol=ATOL,
                    dense_output=True)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")

    def reference(X: np.ndarray) -> np.ndarray:
        t = np.asarray(X, float)[:, 0]
        tol = 1e-9 * T
        if np.any(t < -tol) or np.any(t > T + tol):
            raise ValueError(f"times outside [0, {T}]")
        return sol.sol(np.clip(t, 0.0, T)).T

    return reference


def _torch_reference(exact: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy reference ``X: (N, 1) -> (N, k)`` from a torch closed form in float64."""

    def reference(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return exact(torch.as_tensor(np.asarray(X, float), dtype=torch.float64)).numpy()

    return reference


def free_particle_exact(x: torch.Tensor, m: float, x0: float, v0: float) -> torch.Tensor:
    """``(x0 + v0 t, m v0)`` at ``x: (N, 1)`` (torch) -> ``(N, 2)``."""
    t = x[:, :1]
    return torch.cat([x0 + v0 * t, m * v0 + 0 * t], 1)


def gravity_exact(x: torch.Tensor, g: float, x0: float, y0: float, vx0: float, vy0: float) -> torch.Tensor:
    """The projectile ``(x0 + vx0 t, y0 + vy0 t − g t²/2, vx0, vy0 − g t)`` -> ``(N, 4)``."""
    t = x[:, :1]
    return torch.cat([x0 + vx0 * t, y0 + vy0 * t - g * t**2 / 2, vx0 + 0 * t, vy0 - g * t], 1)


def pendulum_exact(t: np.ndarray, g: float, length: float, theta0: float) -> np.ndarray:
    """The pendulum released from rest at ``|θ0| < π``: with ``k = sin(θ0/2)``, ``w = √(g/L)``
    and the Jacobi functions of parameter ``m = k²`` at ``wt``,

        θ = 2 arcsin(k cd),   ω = −2 k k' w sd   (k' = √(1 − m)),

    -> ``(N, 2)`` columns θ, ω."""
    from scipy.special import ellipj

    if not abs(theta0) < math.pi:
        raise ValueError(f"pendulum_exact: the release angle theta0 must satisfy |theta0| < pi; got {theta0!r}")
    t = np.asarray(t, float)
    k = math.sin(theta0 / 2)
    m, w = k * k, math.sqrt(g / length)
    sn, cn, dn, _ = ellipj(w * t, m)
    theta = 2 * np.arcsin(k * cn / dn)
    omega = -2 * k * math.sqrt(1 - m) * w * sn / dn
    return np.stack([theta, omega], 1)


# ------------------------------------------------------------------------------ problems

def _horizon(problem: str, T) -> float:
    return check_number(problem, "T", T, positive=True)


def _build(name: str, T: float, state0: dict[str, Callable[[Mapping], float]], residual, parameters, reference,
           equation: str, factory) -> Problem:
    """A mechanical problem: outputs :data:`FIELDS`\\ [name], one value Initial condition per
    output (``initial_<field>``, value ``state0[field](p)``), the hard transform, the
    ``energy_drift`` metric."""
    domain = Box((0.0,), (T,), ("t",))
    fields = FIELDS[name]
    conditions = {}
    for i, f in enumerate(fields):
        value = (lambda s: (lambda x, p: torch.ones(x.shape[0], 1, dtype=x.dtype) * s(p)))(state0[f])
        conditions[f"initial_{f}"] = Initial(domain, value, component=i)
    values = {k: float(v.value) for k, v in parameters.items()}
    E0 = float(hamiltonian(name, np.array([[state0[f](values) for f in fields]]), values)[0])

    def drift(x: np.ndarray, pred: np.ndarray) -> float:
        if E0 == 0:
            return math.nan  # no relative drift of a zero energy
        return energy_drift(hamiltonian(name, pred, values), E0)

    n_test = max(2001, int(math.ceil(T * 100)) + 1)
    return Problem(
        name=name, domain=domain, residual=residual, conditions=conditions, parameters=parameters,
        reference=reference, output_dim=len(fields), output_names=tuple(fields),
        hard=InitialValueTransform(list(conditions.values())), hard_satisfies=tuple(conditions),
        test_shape=(min(n_test, 20001),), equation=equation, factory=factory, metrics={"energy_drift": drift})


def _cols(u, D, k):
    """Columns of ``u`` and their time derivatives."""
    cs = [u[:, i : i + 1] for i in range(k)]
    return cs, [D(c, "t") for c in cs]


def free_particle(m: float = 1.0, x0: float = 0.0, v0: float = 1.0, T: float = 10.0) -> Problem:
    """A free particle of mass ``m`` on a line: ``x' = p/m``, ``p' = 0``, ``x(0) = x0``,
    ``p(0) = m v0``; exactly ``x = x0 + v0 t``."""
    m = check_number("free_particle", "m", m, positive=True)
    x0 = check_number("free_particle", "x0", x0)
    v0 = check_number("free_particle", "v0", v0)
    T = _horizon("free_particle", T)

    def residual(x, u, D, p):
        (q, mom), (dq, dmom) = _cols(u, D, 2)
        return torch.cat([dq - mom / p["m"], dmom], 1)

    return _build(
        "free_particle", T, {"x": lambda p: p["x0"], "p": lambda p: p["m"] * p["v0"]}, residual,
        {"m": Parameter(m, 0.1, 10.0, log=True, doc="mass m"), "x0": Parameter(x0, -5.0, 5.0, doc="initial position"),
         "v0": Parameter(v0, -5.0, 5.0, doc="initial velocity"), "T": Parameter(T, 1.0, 50.0, doc="horizon T")},
        _torch_reference(lambda x: free_particle_exact(x, m, x0, v0)),
        "x' = p/m, p' = 0  (H = p²/2m)", free_particle)


def gravity(g: float = 9.81, x0: float = 0.0, y0: float = 0.0, vx0: float = 3.0, vy0: float = 5.0,
            T: float = 1.0) -> Problem:
    """A projectile of unit mass in uniform gravity ``g`` (no drag): ``x' = vx``, ``y' = vy``,
    ``vx' = 0``, ``vy' = −g``; exactly a parabola (:func:`gravity_exact`)."""
    g = check_number("gravity", "g", g, nonnegative=True)
    x0, y0 = check_number("gravity", "x0", x0), check_number("gravity", "y0", y0)
    vx0, vy0 = check_number("gravity", "vx0", vx0), check_number("gravity", "vy0", vy0)
    T = _horizon("gravity", T)

    def residual(x, u, D, p):
        (_, _, vx, vy), (dx, dy, dvx, dvy) = _cols(u, D, 4)
        return torch.cat([dx - vx, dy - vy, dvx, dvy + p["g"]], 1)

    return _build(
        "gravity", T, {"x": lambda p: p["x0"], "y": lambda p: p["y0"], "vx": lambda p: p["vx0"],
                       "vy": lambda p: p["vy0"]}, residual,
        {"g": Parameter(g, 0.0, 20.0, doc="gravity g"), "x0": Parameter(x0, -5.0, 5.0, doc="initial x"),
         "y0": Parameter(y0, -5.0, 5.0, doc="initial height y"), "vx0": Parameter(vx0, -10.0, 10.0, doc="initial vx"),
         "vy0": Parameter(vy0, -10.0, 10.0, doc="initial vy"), "T": Parameter(T, 0.2, 5.0, doc="horizon T")},
        _torch_reference(lambda x: gravity_exact(x, g, x0, y0, vx0, vy0)),
        "x' = vx, y' = vy, vx' = 0, vy' = −g  (H = |v|²/2 + g y)", gravity)


def pendulum(g: float = 9.81, length: float = 1.0, theta0: float = 2.0, omega0: float = 0.0,
             T: float = 10.0) -> Problem:
    """The nonlinear pendulum ``θ'' = −(g/L) sin θ`` in first-order form ``θ' = ω``,
    ``ω' = −(g/L) sin θ``, ``θ(0) = theta0`` (radians), ``ω(0) = omega0``. Reference:
    :func:`ivp_reference` (DOP853 at 1e-12)."""
    g = check_number("pendulum", "g", g, positive=True)
    length = check_number("pendulum", "length", length, positive=True)
    theta0 = check_number("pendulum", "theta0", theta0)
    omega0 = check_number("pendulum", "omega0", omega0)
    T = _horizon("pendulum", T)
    w2 = g / length

    def residual(x, u, D, p):
        (th, om), (dth, dom) = _cols(u, D, 2)
        return torch.cat([dth - om, dom + p["g"] / p["length"] * torch.sin(th)], 1)

    def rhs(t, s):
        return np.array([s[1], -w2 * math.sin(s[0])])

    return _build(
        "pendulum", T, {"theta": lambda p: p["theta0"], "omega": lambda p: p["omega0"]}, residual,
        {"g": Parameter(g, 1.0, 20.0, doc="gravity g"), "length": Parameter(length, 0.2, 5.0, doc="length L"),
         "theta0": Parameter(theta0, -3.0, 3.0, doc="initial angle θ0 (rad)"),
         "omega0": Parameter(omega0, -5.0, 5.0, doc="initial angular velocity ω0"),
         "T": Parameter(T, 1.0, 50.0, doc="horizon T")},
        LazyReference(lambda: ivp_reference(rhs, (theta0, omega0), T)),
        "θ' = ω, ω' = −(g/L) sin θ  (H = ω²/2 + (g/L)(1 − cos θ))", pendulum)


def henon_heiles(x0: float = 0.3, y0: float = -0.3, px0: float = 0.3, py0: float = 0.15, T: float = 6 * math.pi
                 ) -> Problem:
    """The Hénon–Heiles system (Hénon & Heiles, Astron. J. 69, 73, 1964), ``H = ½(px² + py²)
    + ½(x² + y²) + x²y − y³/3``: ``x' = px``, ``y' = py``, ``px' = −x − 2xy``,
    ``py' = −y − x² + y²``. The initial state must have energy below the escape energy 1/6 and
    lie inside the triangle ``y > −1/2``, ``√3|x| < 1 − y`` whose corners are the saddles
    (otherwise the orbit may leave to infinity). Reference: DOP853 at 1e-12."""
    x0, y0 = check_number("henon_heiles", "x0", x0), check_number("henon_heiles", "y0", y0)
    px0, py0 = check_number("henon_heiles", "px0", px0), check_number("henon_heiles", "py0", py0)
    T = _horizon("henon_heiles", T)
    E0 = _h_henon_heiles((x0, y0), (px0, py0), {})
    if not (y0 > -0.5 and math.sqrt(3) * abs(x0) < 1 - y0):
        raise ValueError(f"henon_heiles: the initial position (x0, y0) = ({x0}, {y0}) lies outside the triangle "
                         f"y > -1/2, sqrt(3)|x| < 1 - y of bounded motion")
    if not E0 < HENON_HEILES_ESCAPE:
        raise ValueError(f"henon_heiles: the initial state (x0, y0, px0, py0) = ({x0}, {y0}, {px0}, {py0}) has "
                         f"energy {E0:.4g} >= 1/6, the escape energy: the orbit may be unbounded")

    def residual(x, u, D, p):
        (qx, qy, px, py), (dx, dy, dpx, dpy) = _cols(u, D, 4)
        return torch.cat([dx - px, dy - py, dpx + qx + 2 * qx * qy, dpy + qy + qx**2 - qy**2], 1)

    def rhs(t, s):
        x, y, px, py = s
        return np.array([px, py, -x - 2 * x * y, -y - x * x + y * y])

    return _build(
        "henon_heiles", T, {"x": lambda p: p["x0"], "y": lambda p: p["y0"], "px": lambda p: p["px0"],
                            "py": lambda p: p["py0"]}, residual,
        {"x0": Parameter(x0, -0.4, 0.4, doc="initial x"), "y0": Parameter(y0, -0.4, 0.4, doc="initial y"),
         "px0": Parameter(px0, -0.3, 0.3, doc="initial px"), "py0": Parameter(py0, -0.3, 0.3, doc="initial py"),
         "T": Parameter(T, 1.0, 60.0, doc="horizon T")},
        LazyReference(lambda: ivp_reference(rhs, (x0, y0, px0, py0), T)),
        "x' = px, y' = py, px' = −x − 2xy, py' = −y − x² + y²", henon_heiles)


# ------------------------------------------------------------------ symplectic integrator

_FORCES = {
    "free_particle": lambda q, v: [0.0 * q[0]],
    "gravity": lambda q, v: [0.0 * q[0], -v["g"] + 0.0 * q[1]],
    "pendulum": lambda q, v: [-v["g"] / v["length"] * np.sin(q[0])],
    "henon_heiles": lambda q, v: [-q[0] - 2 * q[0] * q[1], -q[1] - q[0] ** 2 + q[1] ** 2],
}
_MASS = {"free_particle": lambda v: v["m"]}


def symplectic_euler(problem: Problem, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Symplectic Euler with ``steps`` equal steps over the problem's ``[0, T]``:
    ``p_{n+1} = p_n − h ∇V(q_n)``, ``q_{n+1} = q_n + h p_{n+1}/m`` (the comparison of
    Mattheakis et al. 2022). Returns ``(t (steps + 1,), U (steps + 1, 2n))``."""
    base = _base(problem)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"symplectic_euler: steps must be an integer >= 1; got {steps!r}")
    v = problem.values
    T0, T1 = problem.domain.low[0], problem.domain.high[0]
    t = np.linspace(T0, T1, steps + 1)
    h = (T1 - T0) / steps
    k = len(FIELDS[base]) // 2
    m = _MASS.get(base, lambda v: 1.0)(v)
    U = np.empty((steps + 1, 2 * k))
    start = torch.full((1, 1), T0, dtype=torch.float64)
    U[0] = [float(c._g(start, v)) for c in problem.conditions.values() if isinstance(c, Initial)]
    q, p = U[0, :k].copy(), U[0, k:].copy()
    force = _FORCES[base]
    for n in range(steps):
        p = p + h * np.asarray(force(q, v), float)
        q = q + h * p / m
        U[n + 1, :k], U[n + 1, k:] = q, p
    return t, U
