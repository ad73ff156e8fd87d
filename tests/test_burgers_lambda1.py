"""The convective coefficient λ1 of the zoo's Burgers problem, u_t + λ1 u u_x − ν u_xx = 0
(Raissi, Perdikaris & Karniadakis, JCP 378, 2019, identify λ1 and ν from observations):
λ1 = 1 is the old problem bit for bit, the λ1 term is λ1 u u_x, the reference for other λ1
solves the equation, and λ1 can be an unknown started at 0 (trained directly, not as exp(s))."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit import zoo
from pinnkit.problems.derivatives import Derivatives
from pinnkit.problems.zoo.burgers import burgers_cole_hopf, burgers_reference
from pinnkit.recipes import RunConfig, build

F64 = torch.float64
NU = 0.01 / math.pi


def _points(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = np.stack([rng.uniform(-0.95, 0.95, n), rng.uniform(0.05, 0.95, n)], 1)
    return torch.as_tensor(x, dtype=F64)


def _field(x):
    """A smooth test field with closed-form derivatives: u = sin(πx) e^{−t} + 0.3 x t."""
    xs, t = x[:, :1], x[:, 1:]
    return torch.sin(math.pi * xs) * torch.exp(-t) + 0.3 * xs * t


def test_lambda1_is_a_documented_parameter_with_default_one():
    p = zoo.get("burgers")
    par = p.parameters["lambda1"]
    assert par.value == 1.0 and (par.low, par.high) == (0.0, 2.0) and not par.log
    assert "λ1" in par.doc and "λ1" in p.equation
    assert p.uses("lambda1") and p.uses("nu")
    assert "lambda1" in p.factory.__doc__


def test_residual_at_lambda1_one_is_the_old_residual_bit_for_bit():
    p = zoo.get("burgers")
    x = _points().requires_grad_(True)
    new = p.pde_residual(_field, x, p.values)
    D = Derivatives(x, p.domain.names)
    u = _field(x)
    old = D(u, "t") + u * D(u, "x") - NU * D(u, "xx")  # the residual before λ1 existed
    assert torch.equal(new, old)


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 1.4])
def test_lambda1_term_against_the_closed_form(lam):
    """u = sin(πx) e^{−t} + 0.3 x t: u_t = −sin(πx) e^{−t} + 0.3 x, u_x = π cos(πx) e^{−t} + 0.3 t,
    u_xx = −π² sin(πx) e^{−t}."""
    p = zoo.get("burgers", lambda1=lam, nu=0.02)
    x = _points(seed=1)
    r = p.pde_residual(_field, x, p.values)[:, 0]
    xs, t = x[:, 0], x[:, 1]
    s, e = torch.sin(math.pi * xs), torch.exp(-t)
    u = s * e + 0.3 * xs * t
    ut = -s * e + 0.3 * xs
    ux = math.pi * torch.cos(math.pi * xs) * e + 0.3 * t
    uxx = -math.pi**2 * s * e
    torch.testing.assert_close(r, ut + lam * u * ux - 0.02 * uxx, rtol=0, atol=1e-12)
    # the residual is affine in λ1 with slope u u_x
    q = zoo.get("burgers", lambda1=lam + 0.5, nu=0.02)
    torch.testing.assert_close(q.pde_residual(_field, x, q.values)[:, 0] - r, 0.5 * u * ux, rtol=0, atol=1e-12)


def test_reference_at_lambda1_one_is_unchanged():
    p = zoo.get("burgers")
    g = p.test_grid([33, 17])
    assert np.array_equal(p.reference_on(g)[:, 0], burgers_cole_hopf(g[:, 0], g[:, 1], NU))


@pytest.mark.parametrize("lam, nu", [(0.5, 0.05), (1.6, 0.05), (0.0, 0.05), (1.0, 0.05)])
def test_reference_solves_the_equation_with_lambda1(lam, nu):
    """Central differences of the reference: the residual falls like h² (4× per halving)."""
    p = zoo.get("burgers", lambda1=lam, nu=nu)
    x = _points(40, seed=2).numpy()
    ref = lambda X: p.reference_on(X)[:, 0]  # noqa: E731

    def fd_residual(h):
        ex, et = np.array([h, 0.0]), np.array([0.0, h])
        u = ref(x)
        ut = (ref(x + et) - ref(x - et)) / (2 * h)
        ux = (ref(x + ex) - ref(x - ex)) / (2 * h)
        uxx = (ref(x + ex) - 2 * u + ref(x - ex)) / h**2
        return np.abs(ut + lam * u * ux - nu * uxx).max()

    e1, e2 = fd_residual(4e-3), fd_residual(2e-3)
    assert e2 < 1e-3 and 3.5 < e1 / e2 < 4.5, (e1, e2)
    # the initial and wall conditions hold for every λ1
    xs = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(ref(np.stack([xs, np.zeros(9)], 1)), -np.sin(np.pi * xs), atol=1e-12)
    ts = np.linspace(0, 1, 5)
    assert np.abs(ref(np.stack([np.ones(5), ts], 1))).max() < 1e-12
    assert np.abs(ref(np.stack([-np.ones(5), ts], 1))).max() < 1e-12


def test_reference_at_lambda1_zero_is_the_heat_solution():
    x, t = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(burgers_reference(x, t, 0.05, 0.0), -np.sin(np.pi * x) * np.exp(-0.05 * np.pi**2 * t))


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, True, "1"])
def test_bad_lambda1_is_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"\blambda1\b"):
        zoo.get("burgers", lambda1=bad)


def test_raissi_unknowns_lambda1_from_zero_nu_as_exp_s():
    """Raissi et al. start λ1 = 0 and λ2 = exp(−6): λ1 is trained as itself (its range
    reaches 0), ν through its log."""
    cfg = RunConfig(problem="burgers", data={"points": 50, "noise": 0.01},
                    unknowns={"lambda1": 0.0, "nu": {"init": math.exp(-6), "log": True}})
    p = build(cfg).problem
    assert p.unknowns == {"lambda1": 0.0, "nu": pytest.approx(math.exp(-6))}
    assert p.log_unknowns == ("nu",)
    assert p.truth == {"lambda1": 1.0, "nu": pytest.approx(NU)}
    assert set(p.conditions) == {"initial", "left", "right", "data"}
    # the clean data are the true (λ1 = 1) solution; the noisy ones the same points, perturbed
    clean = build(cfg.replace(data={"points": 50})).problem.conditions["data"]
    noisy = p.conditions["data"]
    np.testing.assert_array_equal(noisy.x, clean.x)
    np.testing.assert_array_equal(clean.y[:, 0], burgers_cole_hopf(clean.x[:, 0], clean.x[:, 1], NU))
    assert 0 < np.abs(noisy.y - clean.y).max() < 0.1
