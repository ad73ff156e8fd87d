"""Contract for every sampler in SAMPLERS, and the behaviour of the residual-driven ones."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnkit.problems import Interval, Rectangle, TimeDomain
from pinnkit.sampling import RAD, RAR, R3, RARD, SAMPLERS, CausalR3, Uniform, make_sampler, residual_density

N = 400
DOMAINS = {
    "xt": TimeDomain(Interval(0.0, 2 * np.pi), 0.0, 1.0),
    "xy": Rectangle((-1.0, -2.0), (1.0, 0.5)),
}
PEAK = {"xt": np.array([4.0, 0.7]), "xy": np.array([0.5, -1.5])}
# small candidate sets keep the tests fast; they do not change the contract
KW = {"rad": dict(candidates=4000), "rar-d": dict(candidates=4000), "rar": dict(candidates=4000),
      "rar-g": dict(candidates=4000)}


def peaked_score(center, width=0.15):
    """A residual magnitude peaked at ``center`` (Gaussian bump on a small floor)."""
    return lambda x: 1e-3 + np.exp(-np.sum((x - center) ** 2, axis=1) / (2 * width**2))


def fixed_points(dom, n=N, seed=3):
    """A fixed interior design for the ``fixed`` sampler (in place of a random draw)."""
    rng = np.random.default_rng(seed)
    lo, hi = np.asarray(dom.low), np.asarray(dom.high)
    return lo + (hi - lo) * rng.uniform(0.01, 0.99, size=(n, dom.dim))


def make(name, dom=None, **extra):
    if name == "fixed":
        extra.setdefault("points", fixed_points(dom if dom is not None else DOMAINS["xt"]))
    return make_sampler(name, N, **{**KW.get(name, {}), **extra})


def strictly_inside(x, dom):
    return np.all((x > np.asarray(dom.low)) & (x < np.asarray(dom.high)))


def near(x, center, radius=0.3):
    return np.mean(np.linalg.norm(x - center, axis=1) < radius)


@pytest.mark.parametrize("dname", sorted(DOMAINS))
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_contract_inside_shape_reproducible(name, dname):
    dom = DOMAINS[dname]
    if name == "causal-r3" and not dom.is_time_dependent:
        with pytest.raises(ValueError, match="time-dependent"):
            make(name).sample(dom, np.random.default_rng(0))
        return
    s = make(name, dom)
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(7)
        s = make(name, dom)
        x = s.sample(dom, rng)
        y = s.refine(x, dom, 2, peaked_score(PEAK[dname]), rng)
        runs.append((x, y))
    (x, y), (x2, y2) = runs
    assert x.dtype == np.float64 and x.ndim == 2 and x.shape[1] == dom.dim
    assert y.ndim == 2 and y.shape[1] == dom.dim
    assert strictly_inside(x, dom) and strictly_inside(y, dom)
    if name == "grid":  # "about num_points": a per-axis count rounded from N^(1/d)
        assert abs(len(x) - N) <= 0.25 * N
    else:
        assert len(x) == N
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    # a different seed gives different random points; a fixed design is the design
    if name == "fixed":
        np.testing.assert_array_equal(x, fixed_points(dom))
    elif name != "grid":
        z = make(name, dom).sample(dom, np.random.default_rng(8))
        assert not np.array_equal(z, x)


@pytest.mark.parametrize("name", ["rad", "rar-d", "rar", "r3", "causal-r3"])
def test_residual_driven_need_a_score(name):
    dom = DOMAINS["xt"]
    s = make(name)
    x = s.sample(dom, np.random.default_rng(0))
    with pytest.raises(ValueError, match="score"):
        s.refine(x, dom, 2, None, np.random.default_rng(0))


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        RAD(100, candidates=50)
    with pytest.raises(ValueError):
        RAD(100, k=-1)
    with pytest.raises(ValueError):
        RARD(100, add=0)
    with pytest.raises(ValueError):
        CausalR3(100, alpha=0)
    with pytest.raises(ValueError):
        make_sampler("nope", 10)
    s = R3(100)
    dom = DOMAINS["xt"]
    with pytest.raises(ValueError, match="score returned"):
        s.refine(s.sample(dom, np.random.default_rng(0)), dom, 2, lambda x: np.ones(3), np.random.default_rng(0))


def test_density_formula():
    eps = np.array([0.0, 1.0, 3.0])
    p = residual_density(eps, k=1, c=1)
    # ε^k / mean(ε^k) + c = [0, 0.75, 2.25] + 1, normalised
    np.testing.assert_allclose(p, np.array([1.0, 1.75, 3.25]) / 6.0)
    np.testing.assert_allclose(residual_density(eps, k=2, c=0), np.array([0, 1, 9]) / 10)
    np.testing.assert_allclose(residual_density(np.zeros(4), k=1, c=0), np.full(4, 0.25))


@pytest.mark.parametrize("dname", sorted(DOMAINS))
@pytest.mark.parametrize("name", ["rad", "r3", "rar-d", "rar"])
def test_residual_driven_concentrate_where_score_is_large(name, dname):
    """With a score peaked at a known place, the share of points near it rises above the
    share a uniform sampler puts there."""
    dom, c = DOMAINS[dname], PEAK[dname]
    rng = np.random.default_rng(3)
    uni = Uniform(20000).sample(dom, rng)
    base = near(uni, c)
    s = make(name, **({"k": 2.0, "c": 0.0} if name in ("rad", "rar-d") else {}))
    x = s.sample(dom, rng)
    score = peaked_score(c)
    for step in range(2, 12):
        x = s.refine(x, dom, step, score, rng)
    if name in ("rar-d", "rar"):
        added = x[N:]
        assert near(added, c) > 5 * base
    else:
        assert near(x, c) > 3 * base, (near(x, c), base)


def test_rad_with_k0_is_uniform_in_distribution():
    dom, c = DOMAINS["xt"], PEAK["xt"]
    rng = np.random.default_rng(5)
    s = RAD(4000, candidates=40000, k=0.0, c=1.0)
    x = s.refine(s.sample(dom, rng), dom, 2, peaked_score(c), rng)
    base = near(Uniform(40000).sample(dom, rng), c)
    assert abs(near(x, c) - base) < 0.5 * base


def test_r3_retains_high_fitness_points_and_keeps_count():
    dom = DOMAINS["xt"]
    rng = np.random.default_rng(0)
    s = R3(N)
    x = s.sample(dom, rng)
    f = peaked_score(PEAK["xt"], width=0.6)(x)
    y = s.refine(x, dom, 2, peaked_score(PEAK["xt"], width=0.6), rng)
    assert len(y) == N
    kept = x[f > f.mean()]
    assert 0 < len(kept) < N
    np.testing.assert_array_equal(y[: len(kept)], kept)  # retained, in order
    released = x[f <= f.mean()]
    assert not np.any((y[:, None, :] == released[None, :, :]).all(-1))  # released ones are gone
    # repeated refinement accumulates points at the peak
    for step in range(3, 40):
        y = s.refine(y, dom, step, peaked_score(PEAK["xt"]), rng)
        assert len(y) == N
    assert near(y, PEAK["xt"]) > 3 * near(x, PEAK["xt"])


def test_r3_refuses_a_population_of_the_wrong_size():
    dom = DOMAINS["xt"]
    s = R3(N)
    with pytest.raises(ValueError, match="population"):
        s.refine(s.sample(dom, np.random.default_rng(0))[:10], dom, 2, lambda x: np.ones(len(x)),
                 np.random.default_rng(0))


def test_rard_adds_the_documented_number():
    dom = DOMAINS["xt"]
    rng = np.random.default_rng(1)
    s = RARD(1000, candidates=5000)
    assert s.add == 5  # N_r / 200
    x = s.sample(dom, rng)
    for i in range(3):
        x = s.refine(x, dom, 2 + i, peaked_score(PEAK["xt"]), rng)
        assert len(x) == 1000 + 5 * (i + 1)
    assert RARD(1000, candidates=5000, add=17).refine(x, dom, 9, peaked_score(PEAK["xt"]), rng).shape == (1032, 2)


def test_rar_greedy_adds_the_top_candidates_and_stops_below_tol():
    dom = DOMAINS["xt"]
    rng = np.random.default_rng(2)
    s = RAR(100, candidates=3000, add=3)
    x = s.sample(dom, rng)
    y = s.refine(x, dom, 2, peaked_score(PEAK["xt"]), rng)
    assert len(y) == 103
    assert np.all(np.linalg.norm(y[100:] - PEAK["xt"], axis=1) < 0.2)
    quiet = RAR(100, candidates=3000, add=3, tol=0.5)
    assert len(quiet.refine(x, dom, 2, lambda p: np.full(len(p), 0.1), rng)) == 100


def test_causal_r3_gate_and_beta_update():
    dom = DOMAINS["xt"]
    rng = np.random.default_rng(4)
    s = CausalR3(N, alpha=5.0, beta=-0.5, beta_lr=1e-3)
    x = s.sample(dom, rng)
    t = np.array([0.0, 0.5, 1.0])
    g = s.gate(t)
    np.testing.assert_allclose(g, (1 - np.tanh(5 * (t - (-0.5)))) / 2)
    assert np.all(np.diff(g) < 0)  # the gate closes forward in time
    gt = s.gate(torch.tensor(t))
    np.testing.assert_allclose(gt.numpy(), g)
    # small residuals: exp(−20·mean) ≈ 1 is clipped at 0.1, so β grows by beta_lr·0.1
    y = s.refine(x, dom, 2, lambda p: np.full(len(p), 1e-4), rng)
    assert s.beta == pytest.approx(-0.5 + 1e-4)
    assert len(y) == N
    # large residuals where the gate is open: β barely moves
    s2 = CausalR3(N, beta=0.5)
    x2 = s2.sample(dom, rng)
    s2.refine(x2, dom, 2, lambda p: np.full(len(p), 100.0), rng)
    assert s2.beta - 0.5 < 1e-10
    # sample() restarts the gate
    s.sample(dom, rng)
    assert s.beta == -0.5
    # the gated loss weights late times down
    xt = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    r = torch.ones(2, 1, dtype=torch.float64)
    assert float(s.loss(xt, r)) == pytest.approx(float(((s.gate(xt[:, 1]) ** 2)).mean()))


def test_causal_r3_prefers_early_points():
    """Equal residual everywhere: fitness = |R| g(t) keeps the early (gate-open) points."""
    dom = DOMAINS["xt"]
    rng = np.random.default_rng(6)
    s = CausalR3(N)
    x = s.sample(dom, rng)
    for step in range(2, 10):
        x = s.refine(x, dom, step, lambda p: np.ones(len(p)), rng)
    assert np.mean(x[:, 1] < 0.25) > 0.5  # uniform would give 0.25
