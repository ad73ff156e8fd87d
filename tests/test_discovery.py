"""Equation discovery (pinnkit.discovery): the candidate library, STLSQ sparse regression,
the hidden-term network in the residual, a small discovery run, and bad input."""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

from pinnkit import RunConfig, run, zoo
from pinnkit.discovery import (TERMS, Discovery, HiddenTerm, WithHiddenTerm, discover, hide, library,
                               sparse_regression)
from pinnkit.losses import loss_terms
from pinnkit.models import build_model
from pinnkit.problems.derivatives import Derivatives
from pinnkit.recipes import build, observations

torch.set_num_threads(1)


def _features(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-1, 1, n), rng.uniform(-3, 3, n)])


# ---------------------------------------------------------------------------------------
# the library and the regression
# ---------------------------------------------------------------------------------------

def test_library_lists_every_monomial_by_degree():
    f = _features(50)
    theta, names = library(f, ["u", "u_x"], 2)
    assert names == ["1", "u", "u_x", "u^2", "u*u_x", "u_x^2"]
    u, ux = f[:, 0], f[:, 1]
    assert np.allclose(theta, np.column_stack([np.ones(50), u, ux, u**2, u * ux, ux**2]))
    _, names3 = library(f, ["u", "u_x"], 3, constant=False)
    assert len(names3) == math.comb(2 + 3, 3) - 1 and names3[-4:] == ["u^3", "u^2*u_x", "u*u_x^2", "u_x^3"]


def test_sparse_regression_recovers_exact_coefficients():
    """Exact samples of h = 1.5 u u_x − 0.7 u² + 0.2 over a degree-3 library (10 terms):
    exactly these three terms, each to 1e-9 relative."""
    f = _features()
    u, ux = f[:, 0], f[:, 1]
    y = 1.5 * u * ux - 0.7 * u**2 + 0.2
    theta, names = library(f, ["u", "u_x"], 3)
    coef = sparse_regression(theta, y, names, threshold=0.02)
    truth = {"u*u_x": 1.5, "u^2": -0.7, "1": 0.2}
    assert {k for k, v in coef.items() if v != 0} == set(truth)
    for k, c in truth.items():
        assert coef[k] == pytest.approx(c, rel=1e-9)


def test_threshold_is_the_share_of_h_a_term_carries():
    """y = u_x + a u³ with the u³ term's share s = a·rms(u³)/rms(y): dropped at a threshold
    above s, kept (with its coefficient) at one below."""
    f = _features(seed=1)
    u, ux = f[:, 0], f[:, 1]
    a = 0.15
    y = ux + a * u**3
    share = a * np.sqrt(np.mean(u**6)) / np.sqrt(np.mean(y**2))
    assert 0.01 < share < 0.05  # the test's premise: a small term
    theta, names = library(f, ["u", "u_x"], 3)
    high = sparse_regression(theta, y, names, threshold=1.5 * share)
    low = sparse_regression(theta, y, names, threshold=0.5 * share)
    assert {k for k, v in high.items() if v != 0} == {"u_x"}
    assert {k for k, v in low.items() if v != 0} == {"u_x", "u^3"}
    assert low["u^3"] == pytest.approx(a, rel=1e-9) and low["u_x"] == pytest.approx(1.0, rel=1e-9)
    # dropping the small term moves the least-squares refit of the kept one (u_x and u³ are nearly uncorrelated)
    assert high["u_x"] == pytest.approx(1.0, abs=0.02)


def test_discovery_reports_support_and_errors():
    d = Discovery(("u",), 3, 0.05, {"1": 0.0, "u": 0.0, "u^2": 0.0, "u^3": 98.0}, {"u^3": 100.0}, r2=1.0)
    assert d.support_correct and d.errors() == {"u^3": pytest.approx(0.02)}
    assert d.equation() == "h = 98 u^3" and d.true_equation() == "h = 100 u^3"
    back = Discovery.from_metrics(d.metrics())
    assert back.coefficients == d.coefficients and back.truth == d.truth and back.support_correct
    wrong = Discovery(("u",), 3, 0.05, {"u": -2.0, "u^3": 100.0}, {"u^3": 100.0})
    assert wrong.support_correct is False and wrong.equation() == "h = −2 u + 100 u^3"


# ---------------------------------------------------------------------------------------
# the hidden term in the residual
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("problem, term", [(p, t) for p, ts in TERMS.items() for t in ts])
def test_known_part_plus_true_term_is_the_equation(problem, term):
    """Each declared split: known(u) + Σ truth_k · monomial_k(inputs) equals the zoo
    problem's own residual, for a smooth field with nonzero derivatives (float64)."""
    p = zoo.get(problem)
    spec = TERMS[problem][term]
    g = torch.Generator().manual_seed(0)
    w = torch.randn(p.domain.dim, 2, generator=g, dtype=torch.float64)
    x = torch.rand(64, p.domain.dim, generator=g, dtype=torch.float64).requires_grad_(True)
    u = (torch.sin(x @ w + 0.3) + 0.5 * torch.cos(x @ w)).sum(1, keepdim=True)
    D = Derivatives(x, p.domain.names)
    h = HiddenTerm(spec.inputs, p.domain.names).double()
    theta, names = library(h.features(x, u, D).detach().numpy(), spec.inputs, spec.degree)
    truth = spec.truth(p.values)
    assert set(truth) <= set(names)
    term = theta @ np.array([truth.get(n, 0.0) for n in names])
    full = p.residual(x, u, D, p.values).detach().numpy()[:, 0]
    known = spec.known(x, u, D, p.values).detach().numpy()[:, 0]
    assert np.allclose(known + term, full, rtol=1e-10, atol=1e-9)
    assert np.abs(term).max() > 1e-3  # the term is not zero for this field


def test_hidden_network_is_in_the_residual_and_gets_gradients():
    base = zoo.get("duffing")
    x, y = observations(base, 20, 0.0, 0)
    problem, hidden = hide(base.with_data(x, y), "damping_and_cubic", seed=3)
    model = WithHiddenTerm(build_model(problem, 8, 2, hard=True), hidden).double()
    assert {n for n, _ in model.named_parameters() if n.startswith("hidden.")}  # one module holds both nets
    t = torch.linspace(0.05, 0.95, 30, dtype=torch.float64)[:, None].requires_grad_(True)
    r = problem.pde_residual(model, t, base.values)
    u = model(t)
    D = Derivatives(t, ("t",))
    expected = D(u, "tt") + base.values["w0"] ** 2 * u + hidden(t, u, D)
    assert torch.allclose(r, expected, rtol=1e-12, atol=1e-12)
    terms = loss_terms(problem, model, {"residual": t, "data": torch.as_tensor(x)}, base.values)
    (terms["residual"] + terms["data"]).backward()
    grads = [p.grad for p in hidden.parameters()]
    assert all(g is not None for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0
    assert hidden.truth == {"u_t": 2.0, "u^3": 100.0}


def test_parameters_of_the_hidden_term_no_longer_enter_the_residual():
    base = zoo.get("burgers", nu=0.05)
    x, y = observations(base, 50, 0.0, 0)
    problem, _ = hide(base.with_data(x, y), "convection")
    assert problem.uses("nu") and not problem.uses("lambda1")


# ---------------------------------------------------------------------------------------
# a small discovery run, through RunConfig
# ---------------------------------------------------------------------------------------

def test_small_ode_discovery_recovers_the_cubic_term():
    """Duffing with ε u³ hidden (h(u), library 1, u, u², u³), 100 observations at 1 % noise:
    exactly the true support, ε within 5 % (measured: 1.7 %). Seed 0: at this budget seeds 1
    and 2 keep a spurious u term (ε 7.4 % off; gallery/21_equation_discovery), so the test
    pins the seed rather than claiming every seed."""
    config = RunConfig(problem="duffing", hard=True, width=32, depth=3, data={"points": 100, "noise": 0.01},
                       hidden="cubic", num_points=512, balancer="static",
                       balancer_options={"scales": {"residual": 2.4e-4}}, optimizer="adam+lbfgs", steps=2000,
                       lbfgs_steps=2000, dtype="float64", seed=0, eval_every=1000)
    result = run(config, progress=False)
    found = Discovery.from_metrics(result.history.final)
    assert found.support_correct, str(found)
    assert found.max_error < 0.05, str(found)
    assert result.history.final["discovery/r2"] > 0.99


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------

def _with_data(name, n=30, **values):
    base = zoo.get(name, **values)
    x, y = observations(base, n, 0.0, 0)
    return base.with_data(x, y)


def test_bad_hidden_inputs_are_named():
    p = _with_data("burgers")
    with pytest.raises(ValueError, match="unknown hidden-term input 'v'"):
        hide(p, "convection", inputs=["u", "v"])
    with pytest.raises(ValueError, match="unknown hidden-term input 'u_y'"):
        hide(p, "convection", inputs=["u_y"])
    with pytest.raises(ValueError, match="input 'u' is given twice"):
        hide(p, "convection", inputs=["u", "u"])
    with pytest.raises(ValueError, match="at least one input"):
        hide(p, "convection", inputs=[])
    with pytest.raises(ValueError, match="not inputs of the hidden term"):
        hide(p, "convection", scales={"u_xx": 3.0})
    with pytest.raises(ValueError, match="no hideable term 'diffusion'; choose one of \\['convection'\\]"):
        hide(p, "diffusion")
    with pytest.raises(ValueError, match="heat declares no term to hide"):
        hide(_with_data("heat"), "anything")
    with pytest.raises(ValueError, match="needs observations"):
        hide(zoo.get("burgers"), "convection")


def test_empty_library_and_too_few_samples():
    f = _features(20)
    with pytest.raises(ValueError, match="library is empty"):
        library(f, ["u", "u_x"], 0, constant=False)
    with pytest.raises(ValueError, match="degree must be an integer"):
        library(f, ["u", "u_x"], 1.5)
    theta, names = library(f, ["u", "u_x"], 3)
    with pytest.raises(ValueError, match="too few samples: 10 for 10 candidate terms"):
        sparse_regression(theta[:10], f[:10, 0], names)
    with pytest.raises(ValueError, match="threshold must be a number in \\[0, 1\\)"):
        sparse_regression(theta, f[:, 0], names, threshold=1.5)


def test_run_config_refuses_bad_hidden_settings_before_training():
    ok = dict(problem="duffing", data={"points": 40}, steps=1)
    with pytest.raises(ValueError, match="too few observations: 4 for a library of 10 candidate terms"):
        build(RunConfig(**{**ok, "data": {"points": 4}}, hidden="damping_and_cubic"))
    with pytest.raises(ValueError, match="hidden term needs observations"):
        build(RunConfig(problem="duffing", steps=1, hidden="cubic"))
    with pytest.raises(ValueError, match="unknown hidden-term option\\(s\\) \\['widht'\\]"):
        build(RunConfig(**ok, hidden={"term": "cubic", "widht": 3}))
    with pytest.raises(ValueError, match="no hideable term 'quartic'"):
        build(RunConfig(**ok, hidden="quartic"))
    with pytest.raises(ValueError, match="library is empty"):
        build(RunConfig(**ok, hidden={"term": "cubic", "degree": 0, "constant": False}))
    with pytest.raises(ValueError, match="strategy 'curriculum' is not supported"):
        build(RunConfig(**ok, hidden="cubic", strategy="curriculum",
                        strategy_options={"parameter": "w0", "values": [4.0, 8.0]}))
    with pytest.raises(ValueError, match="hidden points must be an integer >= 8"):
        build(RunConfig(**ok, hidden={"term": "cubic", "points": 3}))


def test_discover_needs_a_hidden_term_model():
    p = _with_data("duffing")
    with pytest.raises(ValueError, match="has no hidden-term network"):
        discover(build_model(p, 8, 2), p)


def test_missing_pysindy_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pysindy.optimizers", None)
    monkeypatch.setitem(sys.modules, "pysindy", None)
    f = _features(40)
    theta, names = library(f, ["u", "u_x"], 1)
    with pytest.raises(ImportError, match="pip install 'pinnkit\\[discovery\\]'"):
        sparse_regression(theta, f[:, 1], names)


def test_command_line_trains_a_hidden_term_and_prints_it(capsys):
    from pinnkit.__main__ import main

    code = main(["train", "duffing", "--hidden", "cubic", "--data", '{"points": 30}', "--steps", "3", "--width", "8",
                 "--depth", "1", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"discovery/coef/u^3"' in out and "pinnkit: hidden term recovered: h =" in err
    code = main(["train", "duffing", "--hidden", "quartic", "--data", '{"points": 30}', "--steps", "3", "--no-progress"])
    assert code == 2 and "no hideable term 'quartic'" in capsys.readouterr().err
