"""The space-filling samplers (grid, uniform, Sobol, Latin hypercube).

The shared contract over every registered sampler (inside, shape, reproducible) lives in
test_samplers_contract.py; here: counts and dimensions beyond it, the stratification that
makes Sobol'/LHS worth using, discrepancy against uniform, and the grid's layout."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from pinnkit.problems import Box, Interval, TimeDomain
from pinnkit.sampling import SAMPLERS, Grid, LatinHypercube, Sobol, Uniform, interior, make_sampler

RANDOM = {"uniform": Uniform, "sobol": Sobol, "lhs": LatinHypercube}
DOMAINS = {
    "1d": Interval(-3.0, 5.0),
    "xt": TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0),
    "3d": Box((0.0, -1.0, 10.0), (1e-3, 1.0, 11.0), ("x", "y", "z")),
}


def unit(points, domain):
    return (points - np.asarray(domain.low)) / domain.lengths


@pytest.mark.parametrize("dname", sorted(DOMAINS))
@pytest.mark.parametrize("n", [1, 2, 7, 100, 256])
@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_samplers_count_inside_reproducible(name, n, dname):
    dom = DOMAINS[dname]
    x = make_sampler(name, n).sample(dom, np.random.default_rng(3))
    assert x.shape == (n, dom.dim) and x.dtype == np.float64
    assert np.all((x > np.asarray(dom.low)) & (x < np.asarray(dom.high)))
    np.testing.assert_array_equal(x, make_sampler(name, n).sample(dom, np.random.default_rng(3)))
    y = make_sampler(name, n).sample(dom, np.random.default_rng(4))
    assert not np.array_equal(x, y)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_sampler_in_one_dimension(name):
    """Registered samplers (residual-driven ones too) also work on a 1D domain (an ODE in t)."""
    dom = Box((0.5,), (2.0,), ("t",))
    extra = {"points": np.linspace(0.6, 1.9, 64)[:, None]} if name == "fixed" else {}
    s = make_sampler(name, 64, **extra)
    x = s.sample(dom, np.random.default_rng(0))
    assert x.ndim == 2 and x.shape[1] == 1 and x.dtype == np.float64
    assert np.all((x > dom.low[0]) & (x < dom.high[0]))
    y = s.refine(x, dom, 2, lambda p: 1.0 + p[:, 0] ** 2, np.random.default_rng(1))
    assert y.ndim == 2 and y.shape[1] == 1
    assert np.all((y > dom.low[0]) & (y < dom.high[0]))


def test_sobol_is_stratified_for_powers_of_two():
    """2^m scrambled Sobol' points put exactly one point in each of 2^m equal cells per axis."""
    dom = DOMAINS["xt"]
    u = unit(Sobol(64).sample(dom, np.random.default_rng(0)), dom)
    for j in range(2):
        assert sorted(np.floor(u[:, j] * 64).astype(int)) == list(range(64))


def test_latin_hypercube_is_stratified():
    dom = DOMAINS["3d"]
    u = unit(LatinHypercube(50).sample(dom, np.random.default_rng(0)), dom)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 50).astype(int)) == list(range(50))


@pytest.mark.parametrize("n", [200, 256])
def test_quasi_random_beats_uniform_discrepancy(n):
    """Centred L2 discrepancy (scipy.stats.qmc.discrepancy), seed 0, N=256 on [-1,1]×[0,1]:
    measured uniform 3.1e-3, Sobol' 1.1e-5, LHS 8.7e-5."""
    dom = DOMAINS["xt"]
    disc = {k: qmc.discrepancy(unit(c(n).sample(dom, np.random.default_rng(0)), dom)) for k, c in RANDOM.items()}
    assert disc["sobol"] < 0.2 * disc["uniform"], disc
    assert disc["lhs"] < 0.5 * disc["uniform"], disc


def test_grid_layout():
    dom = DOMAINS["xt"]
    x = Grid(100).sample(dom, np.random.default_rng(0))
    assert x.shape == (100, 2)
    xs, ts = np.unique(x[:, 0]), np.unique(x[:, 1])
    # 10 interior nodes of the 12-node grid per axis (edges excluded), C-ordered
    np.testing.assert_allclose(xs, np.linspace(-1, 1, 12)[1:-1])
    np.testing.assert_allclose(ts, np.linspace(0, 1, 12)[1:-1])
    np.testing.assert_array_equal(x[:10, 0], xs[0])
    # "about" num_points: the per-axis count is rounded from N^(1/d)
    assert Grid(1000).sample(dom, None).shape == (32 * 32, 2)
    assert Grid(7).sample(DOMAINS["1d"], None).shape == (7, 1)
    assert Grid(10).every is None


def test_grid_ignores_the_seed():
    dom = DOMAINS["3d"]
    a = Grid(64).sample(dom, np.random.default_rng(0))
    np.testing.assert_array_equal(a, Grid(64).sample(dom, np.random.default_rng(99)))
    assert a.shape == (64, 3)


def test_interior_drops_boundary_points():
    dom = DOMAINS["xt"]
    pts = np.array([[-1.0, 0.5], [0.0, 0.5], [0.3, 1.0], [1.2, 0.5], [0.9, 0.01]])
    np.testing.assert_array_equal(interior(pts, dom), pts[[1, 4]])


def test_fill_replaces_points_that_land_on_the_boundary():
    """An rng whose first draws land exactly on the boundary: Uniform redraws them."""
    class EdgeFirst:
        def __init__(self):
            self.calls = 0
            self.inner = np.random.default_rng(0)

        def random(self, shape):
            self.calls += 1
            out = self.inner.random(shape)
            if self.calls == 1:
                out[: shape[0] // 2, 0] = 0.0
            return out

    rng = EdgeFirst()
    x = Uniform(10).sample(DOMAINS["xt"], rng)
    assert x.shape == (10, 2) and rng.calls == 2
    assert np.all(x[:, 0] > -1)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", None, True])
@pytest.mark.parametrize("name", sorted(RANDOM) + ["grid"])
def test_bad_counts(name, bad):
    with pytest.raises(ValueError, match="number of points"):
        make_sampler(name, bad)


@pytest.mark.parametrize("every", [0, -1, 1.5, "3"])
def test_bad_every(every):
    with pytest.raises(ValueError, match="every"):
        Uniform(10, every=every)


def test_unknown_sampler_name():
    with pytest.raises(ValueError, match="unknown sampler 'halton'"):
        make_sampler("halton", 10)


def test_refine_default_draws_a_fresh_set():
    dom = DOMAINS["xt"]
    s = Uniform(50, every=10)
    rng = np.random.default_rng(0)
    x = s.sample(dom, rng)
    y = s.refine(x, dom, 11, None, rng)
    assert y.shape == x.shape and not np.array_equal(x, y)
