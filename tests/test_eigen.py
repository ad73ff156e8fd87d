"""Eigenvalue problems: the finite-difference reference against closed forms, integral
conditions (normalisation, orthogonality) and their one-row contract, the sign-free error,
the scale-invariant residual, excited states, and a short training that finds E."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import brentq

from pinnkit import RunConfig
from pinnkit.losses import loss_terms, term_residual
from pinnkit.problems import zoo
from pinnkit.problems.conditions import Integral, Normalisation, Orthogonality, quadrature
from pinnkit.problems.domains import Box
from pinnkit.problems.eigen import excited_state, schrodinger_fd
from pinnkit.recipes import run
from pinnkit.training.evaluate import Evaluator

torch.set_num_threads(1)
F64 = torch.float64
LINE = Box((0.0,), (1.0,), ("x",))


# --- the finite-difference reference -------------------------------------------------------
def test_infinite_well_energies_and_states_converge_at_second_order():
    exact = (np.arange(1, 4) * math.pi) ** 2
    errs = []
    for n in (200, 400):
        pairs = schrodinger_fd(None, 0.0, 1.0, n, 3)
        errs.append(np.abs(pairs.energies - exact) / exact)
        for k in range(3):  # normalised, first lobe positive: ψ_k = √2 sin((k+1)πx)
            psi = math.sqrt(2) * np.sin((k + 1) * math.pi * pairs.x)
            assert np.abs(pairs.states[k] - psi).max() < 1e-3
    ratio = errs[0] / errs[1]
    assert np.all((3.8 < ratio) & (ratio < 4.2)), ratio  # h halved: error / 4
    assert errs[1].max() < 1e-4


def _finite_well_energies(depth: float, width: float, count: int) -> list[float]:
    """Bound states of the finite well −ψ'' + Vψ = Eψ on the whole line (V = 0 inside |x| < w/2,
    V0 outside): even states k tan(k w/2) = κ, odd −k cot(k w/2) = κ, with k² = E, κ² = V0 − E."""
    a = width / 2
    even = lambda e: math.sqrt(e) * math.tan(math.sqrt(e) * a) - math.sqrt(depth - e)  # noqa: E731
    odd = lambda e: -math.sqrt(e) / math.tan(math.sqrt(e) * a) - math.sqrt(depth - e)  # noqa: E731
    roots, grid = [], np.linspace(1e-9, depth - 1e-9, 20001)
    for f in (even, odd):
        vals = [f(e) for e in grid]
        for i in range(len(grid) - 1):
            if np.sign(vals[i]) != np.sign(vals[i + 1]) and abs(vals[i] - vals[i + 1]) < 50:  # not a pole
                roots.append(brentq(f, grid[i], grid[i + 1], xtol=1e-14))
    return sorted(roots)[:count]


def test_finite_well_matches_the_transcendental_equation():
    """The zoo's walls at ±2 are 1.5 away from the well: its ground state has decayed to ~1e-4
    there and its energy equals the whole-line one to 1e-5 (measured 8e-6). With walls at ±6
    both bound states match the transcendental equation."""
    exact = _finite_well_energies(20.0, 1.0, 2)
    fd = zoo.get("finite_well")
    assert abs(fd.truth["E"] - exact[0]) / exact[0] < 2e-5, (fd.truth, exact)
    pairs = schrodinger_fd(lambda x: np.where(np.abs(x) < 0.5, 0.0, 20.0), -6, 6, 24000, 2)
    assert np.allclose(pairs.energies, exact, rtol=2e-5), (pairs.energies, exact)


def test_jumps_converge_at_second_order_with_cell_averaging():
    """Cell-averaging the potential keeps O(h²) across the jumps (point sampling gives O(h))."""
    V = lambda x: np.where(np.abs(x - 0.5) < 0.1, 50.0, 0.0)  # noqa: E731
    e = [schrodinger_fd(V, 0, 1, n, 1).energies[0] for n in (499, 999, 1999)]
    ratio = (e[0] - e[1]) / (e[1] - e[2])
    assert 3.0 < ratio < 5.0, (e, ratio)
    assert abs(zoo.get("barrier").truth["E"] - e[2]) < 5e-3


def test_fd_reference_rejects_bad_input():
    with pytest.raises(ValueError, match="interior nodes"):
        schrodinger_fd(None, 0, 1, 2)
    with pytest.raises(ValueError, match="a < b"):
        schrodinger_fd(None, 1, 0, 100)
    with pytest.raises(ValueError, match="states"):
        schrodinger_fd(None, 0, 1, 10, 11)
    with pytest.raises(ValueError, match="not finite"):
        schrodinger_fd(lambda x: np.full_like(x, np.inf), 0, 1, 10)
    with pytest.raises(ValueError, match="level 3 was not computed"):
        schrodinger_fd(None, 0, 1, 10, 2).state(3)


def test_reference_states_are_orthonormal_and_solve_their_equation():
    p = zoo.get("barrier")
    states = [p.with_parameters(level=float(k)) for k in range(3)]
    x, w = quadrature(p.domain, 400)
    psi = np.column_stack([s.reference_on(x)[:, 0] for s in states])
    gram = psi.T @ (w[:, None] * psi)
    assert np.abs(gram - np.eye(3)).max() < 2e-3, gram  # (interpolated across the barrier's jumps)
    energies = [s.truth["E"] for s in states]
    assert energies[0] < energies[1] < energies[2]


# --- integral conditions --------------------------------------------------------------------
def test_gauss_legendre_nodes_integrate_exactly():
    x, w = quadrature(Box((-2.0,), (2.0,), ("x",)), 5)
    assert abs(np.sum(w * x[:, 0] ** 8) - 2 * 2**9 / 9) < 1e-10  # degree 8 <= 2·5 − 1
    with pytest.raises(ValueError, match="1D"):
        quadrature(Box((0.0, 0.0), (1.0, 1.0), ("x", "t")), 5)


def test_normalisation_is_one_row_and_measures_the_integral():
    cond = Normalisation(LINE)
    x = torch.as_tensor(cond.sample(64), dtype=F64)
    u = lambda x: math.sqrt(2) * torch.sin(math.pi * x)  # noqa: E731  ∫ u² = 1
    r = cond.residual(u, x, {})
    assert r.shape == (1, 1) and abs(float(r)) < 1e-12
    r2 = cond.residual(lambda x: 2 * u(x), x, {})
    assert abs(float(r2) - 3.0) < 1e-12  # ∫(2u)² − 1
    with pytest.raises(ValueError, match="not the nodes"):
        cond.residual(u, torch.rand(64, 1, dtype=F64), {})


def test_orthogonality_against_models_and_callables():
    s1 = lambda X: math.sqrt(2) * np.sin(math.pi * X[:, :1])  # noqa: E731
    net = torch.nn.Linear(1, 1).double()
    cond = Orthogonality(LINE, [s1, net], scale_invariant=False)
    assert not any(p.requires_grad for p in net.parameters())  # frozen
    x = torch.as_tensor(cond.sample(80), dtype=F64)
    u2 = lambda x: math.sqrt(2) * torch.sin(2 * math.pi * x)  # noqa: E731
    r = cond.residual(u2, x, {})
    assert r.shape == (1, 2)
    assert abs(float(r[0, 0])) < 1e-12  # ψ_2 ⟂ ψ_1
    expected = float(torch.trapezoid(u2(torch.linspace(0, 1, 20001, dtype=F64)[:, None])[:, 0]
                                     * net(torch.linspace(0, 1, 20001, dtype=F64)[:, None])[:, 0].detach(),
                                     torch.linspace(0, 1, 20001, dtype=F64)))
    assert abs(float(r[0, 1]) - expected) < 1e-6
    with pytest.raises(ValueError, match="at least one"):
        Orthogonality(LINE, [])
    with pytest.raises(TypeError, match="state 0"):
        Orthogonality(LINE, [3.0])


class _PerNode(Integral):
    """A broken integral condition: returns one row per node instead of the integral."""

    def residual(self, u, x, params):
        return u(x) - 1


def test_an_integral_condition_must_return_one_row():
    p = zoo.get("infinite_well")
    broken = p.replace(conditions={**p.conditions, "normalisation": _PerNode(p.domain)})
    x = torch.as_tensor(broken.conditions["normalisation"].sample(50), dtype=F64)
    with pytest.raises(ValueError, match=r"integral condition and returned shape \(50, 1\) for its 50 nodes"):
        term_residual(broken, lambda x: x, "normalisation", x, broken.initial_values)
    ok = term_residual(p, lambda x: x, "normalisation", x, p.initial_values)
    assert ok.shape == (1, 1) and abs(float(ok) - (1 / 3 - 1)) < 1e-12  # ∫x² − 1


# --- the loss: collapse and scale invariance --------------------------------------------------
def _terms(p, u, scale):
    g = np.random.default_rng(0)
    lo, hi = p.domain.low[0], p.domain.high[0]
    pts = {"residual": torch.as_tensor(lo + (hi - lo) * g.random((200, 1)), dtype=F64),
           "normalisation": torch.as_tensor(p.conditions["normalisation"].sample(100), dtype=F64)}
    return loss_terms(p, lambda x: scale * u(x), pts, {**p.values, "E": 3.0})


@pytest.mark.parametrize("s, power", [(0.0, 2.0), (1.0, 0.0), (0.5, 1.0)])
def test_residual_term_scales_like_norm_to_the_power_2_minus_2s(s, power):
    """With ψ → cψ the residual term scales like c^(2 − 2s): s = 0 (the obvious loss) rewards
    shrinking ψ (c²), s = 1 is scale-invariant, so shrinking ψ gains nothing."""
    p = zoo.get("finite_well", scale_invariance=s)
    u = lambda x: torch.cos(math.pi * x / 4) * (1 + 0.3 * x)  # noqa: E731
    base = float(_terms(p, u, 1.0)["residual"].detach())
    small = float(_terms(p, u, 0.1)["residual"].detach())
    assert abs(small / base - 0.1**power) < 1e-9 * max(1.0, 0.1**power), (small / base, power)


def test_energy_gradient_vanishes_at_psi_zero_only_for_the_obvious_loss():
    """∂L_r/∂E = −2 mean(rψ)/‖ψ‖^(2s): → 0 like ‖ψ‖² as ψ → 0 for s = 0, of order one for s = 1."""
    grads = {}
    for s in (0.0, 1.0):
        p = zoo.get("finite_well", scale_invariance=s)
        x = torch.linspace(-1.9, 1.9, 300, dtype=F64)[:, None]
        out = []
        for c in (1.0, 1e-3):
            e = torch.tensor(3.0, dtype=F64, requires_grad=True)
            r = p.pde_residual(lambda x: c * torch.cos(math.pi * x / 4), x, {**p.values, "E": e})
            (g,) = torch.autograd.grad((r**2).mean(), e)
            out.append(abs(float(g)))
        grads[s] = out
    assert grads[0.0][1] / grads[0.0][0] < 1e-5  # shrinks like c² = 1e-6
    assert abs(grads[1.0][1] / grads[1.0][0] - 1) < 1e-9  # unchanged


# --- sign-free errors and excited states -------------------------------------------------------
def test_errors_are_measured_against_the_nearer_sign():
    p = zoo.get("infinite_well")
    ev = Evaluator(p)

    class Minus(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1, dtype=F64))

        def forward(self, x):
            return -self.w * math.sqrt(2) * torch.sin(math.pi * x)

    assert ev(Minus())["rel_l2"] < 1e-12  # −ψ is the same state
    burgers = zoo.get("poisson1d")
    assert not burgers.sign_free


def test_excited_state_moves_the_reference_and_adds_orthogonality():
    p = zoo.get("infinite_well")
    ground = lambda X: math.sqrt(2) * np.sin(math.pi * X[:, :1])  # noqa: E731
    q = excited_state(p, [ground])
    assert q.truth["E"] == pytest.approx(4 * math.pi**2)
    assert "orthogonal" in q.conditions and q.conditions["orthogonal"].rows == "one"
    x = np.linspace(0, 1, 11)[:, None]
    assert np.allclose(q.reference_on(x), math.sqrt(2) * np.sin(2 * math.pi * x))
    with pytest.raises(ValueError, match="level"):
        excited_state(zoo.get("poisson1d"), [ground])
    with pytest.raises(ValueError, match="at least one"):
        excited_state(p, [])


# --- training ---------------------------------------------------------------------------------
def _train(s, steps, seed=0):
    cfg = RunConfig(problem="infinite_well", parameters={"scale_invariance": s, "guess": 5.0}, hard=True,
                    steps=steps, optimizer="adam+lbfgs", lbfgs_steps=steps, num_points=128, width=16, depth=2,
                    dtype="float64", lr=3e-3, condition_points={"normalisation": 64}, eval_every=steps, seed=seed)
    return run(cfg, progress=False)


def test_training_finds_the_ground_energy_with_the_scale_invariant_residual_and_collapses_without():
    fixed, naive = _train(1.0, 500), _train(0.0, 500)  # measured: E 9.8696 (exact π² = 9.8696) and 5.06
    e_true = math.pi**2
    e_fixed, e_naive = fixed.metrics["unknown/E"], naive.metrics["unknown/E"]
    print("E scale-invariant", e_fixed, "naive", e_naive, "norms",
          fixed.metrics["loss/normalisation"], naive.metrics["loss/normalisation"])
    assert abs(e_fixed - e_true) / e_true < 1e-3, e_fixed
    assert fixed.metrics["metric/rel_l2"] < 1e-2
    # the obvious loss: ψ shrinks towards 0 (its normalisation term near its value at ψ = 0, 1)
    # and E stays near its start
    assert naive.metrics["loss/normalisation"] > 0.5
    assert abs(e_naive - e_true) / e_true > 0.3


# --- excited states: projection ------------------------------------------------------------------
def test_scale_invariant_orthogonality_is_the_cosine():
    s1 = lambda X: math.sqrt(2) * np.sin(math.pi * X[:, :1])  # noqa: E731
    cond = Orthogonality(LINE, [s1])
    plain = Orthogonality(LINE, [s1], scale_invariant=False)
    x = torch.as_tensor(cond.sample(80), dtype=F64)
    u = lambda x: 0.01 * (torch.sin(math.pi * x) + torch.sin(2 * math.pi * x))  # noqa: E731
    assert abs(float(cond.residual(u, x, {})) - 1 / math.sqrt(2)) < 1e-12  # cos 45°, whatever the scale
    assert abs(float(plain.residual(u, x, {})) - 0.01 / math.sqrt(2)) < 1e-12  # shrinks with u


def test_deflated_model_is_orthogonal_and_normalised_exactly():
    from pinnkit.problems.eigen import Deflated

    torch.manual_seed(0)
    ground = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    net = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    d = Deflated(net, [ground], LINE, nodes=64)
    assert d.satisfies == ("orthogonal", "normalisation")
    x, w = quadrature(LINE, 64)
    xt = torch.as_tensor(x, dtype=F64)
    v, g = d(xt)[:, 0], ground(xt)[:, 0]
    wt = torch.as_tensor(w)
    assert abs(float((wt * v * g).sum())) < 1e-13 and abs(float((wt * v * v).sum()) - 1) < 1e-13
    assert not any(p.requires_grad for p in ground.parameters())
    # its x-derivative is ψ'/‖ψ̃‖ − c φ'/‖ψ̃‖ (the coefficients do not depend on x): autograd vs FD
    xs = torch.tensor([[0.3]], dtype=F64, requires_grad=True)
    (dv,) = torch.autograd.grad(d(xs).sum(), xs)
    h = 1e-6
    fd = (d(torch.tensor([[0.3 + h]], dtype=F64)) - d(torch.tensor([[0.3 - h]], dtype=F64))) / (2 * h)
    assert abs(float(dv) - float(fd)) < 1e-7
    with pytest.raises(ValueError, match="at least one"):
        Deflated(net, [], LINE)


def test_excited_state_by_projection_finds_the_second_energy():
    """Ground state first, then the next with the ground state projected out (measured: E₁ =
    39.4784 = 4π² to 1e-5). A penalty on the overlap instead ends at ψ ∝ ψ₀ (see Deflated)."""
    from pinnkit.problems.eigen import Deflated
    from pinnkit.recipes import build

    ground = _train(1.0, 500)
    cfg = RunConfig(problem="infinite_well", parameters={"guess": 15.0}, hard=True, steps=500, optimizer="adam+lbfgs",
                    lbfgs_steps=500, num_points=128, width=16, depth=2, dtype="float64", lr=3e-3,
                    condition_points={"normalisation": 64, "orthogonal": 64}, eval_every=500)
    rec = build(cfg)
    rec.problem = excited_state(rec.problem, [ground.model])
    rec.model = Deflated(rec.model, [ground.model], rec.problem.domain)
    assert rec.terms == ["residual"]  # orthogonality and normalisation hold by construction
    h = rec.train(progress=False)
    assert abs(h.final["unknown/E"] - 4 * math.pi**2) / (4 * math.pi**2) < 1e-3, h.final
    assert h.final["metric/rel_l2"] < 1e-2
    assert "autograd" in h.meta["engine"]
