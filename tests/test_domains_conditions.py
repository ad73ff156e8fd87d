"""Domains (grids, validation) and conditions (where they sample, what they measure)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit.problems import (Box, Data, Derivatives, Dirichlet, Initial, Interval, Neumann, Periodic,
                              Rectangle, TimeDomain)


# -- domains ------------------------------------------------------------------------------
def test_grid_includes_edges_and_is_c_ordered(xt_domain):
    g = xt_domain.grid((3, 2))
    expected = [[-1, 0], [-1, 1], [0, 0], [0, 1], [1, 0], [1, 1]]
    np.testing.assert_array_equal(g, np.array(expected, float))
    g = xt_domain.grid((5, 4))
    assert g.shape == (20, 2) and g.dtype == np.float64
    # u.reshape(shape) indexes [i_x, i_t]: x varies slowest
    X, T = g[:, 0].reshape(5, 4), g[:, 1].reshape(5, 4)
    np.testing.assert_array_equal(X[:, 0], np.linspace(-1, 1, 5))
    np.testing.assert_array_equal(T[0], np.linspace(0, 1, 4))
    assert np.all(X == X[:, :1]) and np.all(T == T[:1])
    assert g[:, 0].min() == -1 and g[:, 0].max() == 1 and g[:, 1].min() == 0 and g[:, 1].max() == 1


def test_grid_int_shape_and_bad_shapes():
    box = Box((0, 0, 0), (1, 2, 3), ("x", "y", "z"))
    assert box.grid(3).shape == (27, 3)
    for bad in [(3, 3), (3, 1, 3), 1]:
        with pytest.raises(ValueError, match="grid shape"):
            box.grid(bad)


def test_box_properties():
    d = TimeDomain(Rectangle((0, -1), (2, 1)), 0.0, 0.5)
    assert d.names == ("x", "y", "t") and d.dim == 3 and d.is_time_dependent
    np.testing.assert_array_equal(d.lengths, [2, 2, 0.5])
    assert d.axis("y") == 1
    assert not Interval(0, 1).is_time_dependent
    assert d.contains(np.array([[0, -1, 0], [2, 1, 0.5], [2.1, 0, 0]])).tolist() == [True, True, False]
    u = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.5, 0.5]])
    np.testing.assert_allclose(d.scale(u), [[0, -1, 0], [2, 1, 0.5], [1, 0, 0.25]])


@pytest.mark.parametrize("low,high,names,match", [
    ((0.0,), (0.0,), ("x",), "empty domain"),
    ((1.0,), (0.0,), ("x",), "empty domain"),
    ((0.0, 1.0), (1.0, 1.0), ("x", "t"), "empty domain: coordinate 't'"),
    ((math.nan,), (1.0,), ("x",), "finite"),
    ((0.0,), (math.inf,), ("x",), "finite"),
    ((-math.inf,), (0.0,), ("x",), "finite"),
    ((0.0, 0.0), (1.0, 1.0), ("x", "x"), "distinct"),
    ((0.0,), (1.0,), ("xy",), "single letters"),
    ((0.0,), (1.0,), (1,), "single letters"),
    ((0.0,), (1.0,), ("",), "single letters"),
    ((0.0, 0.0), (1.0,), ("x", "y"), "equal"),
    ((), (), (), "non-zero length"),
])
def test_box_rejects_bad_domains(low, high, names, match):
    with pytest.raises(ValueError, match=match):
        Box(low, high, names)


def test_time_domain_rejects_second_time_and_empty_time():
    with pytest.raises(ValueError, match="already has"):
        TimeDomain(Interval(0, 1, "t"), 0, 1)
    with pytest.raises(ValueError, match="empty domain"):
        TimeDomain(Interval(0, 1), 1, 1)


def test_face_grid_lies_on_the_face(xt_domain):
    f = xt_domain.face("x", "high")
    g = f.grid(7)
    assert g.shape == (7, 2)
    assert np.all(g[:, 0] == 1.0)
    np.testing.assert_allclose(g[:, 1], np.linspace(0, 1, 7))
    assert f.contains(g).all() and not f.contains(np.array([[0.0, 0.5]])).any()
    with pytest.raises(ValueError, match="side"):
        xt_domain.face("x", "middle")
    with pytest.raises(ValueError, match="unknown coordinate"):
        xt_domain.face("y", "low")


# -- conditions: where they sample ---------------------------------------------------------
@pytest.mark.parametrize("name,side,col,value", [("x", "low", 0, -1.0), ("x", "high", 0, 1.0),
                                                 ("t", "low", 1, 0.0), ("t", "high", 1, 1.0)])
def test_dirichlet_samples_its_face(xt_domain, rng, name, side, col, value):
    c = Dirichlet(xt_domain, name, side, 0.0)
    x = c.sample(300, rng)
    assert x.shape == (300, 2)
    assert np.all(x[:, col] == value)
    other = x[:, 1 - col]
    lo, hi = xt_domain.low[1 - col], xt_domain.high[1 - col]
    assert np.all((other >= lo) & (other <= hi))
    assert other.std() > 0.2 * (hi - lo)  # spread over the face, not bunched


def test_initial_and_periodic_sample_the_right_faces(xt_domain, rng):
    x = Initial(xt_domain, 0.0).sample(100, rng)
    assert np.all(x[:, 1] == 0.0) and np.all(np.abs(x[:, 0]) <= 1)
    x = Periodic(xt_domain, "x").sample(100, rng)
    assert np.all(x[:, 0] == -1.0) and np.all((x[:, 1] >= 0) & (x[:, 1] <= 1))


def test_condition_grid_sampling_and_1d_faces(xt_domain, rng):
    x = Dirichlet(xt_domain, "x", "low").sample(5, rng, method="grid")
    np.testing.assert_array_equal(x, [[-1, 0], [-1, 0.25], [-1, 0.5], [-1, 0.75], [-1, 1]])
    x = Dirichlet(Interval(0, 2), "x", "high", 1.0).sample(4, rng)
    np.testing.assert_array_equal(x, np.full((4, 1), 2.0))
    with pytest.raises(ValueError, match="unknown condition sampling method"):
        Dirichlet(xt_domain, "x", "low").sample(5, rng, method="sobolish")


@pytest.mark.parametrize("n", [0, -3])
def test_condition_rejects_bad_counts(xt_domain, rng, n):
    with pytest.raises(ValueError, match="number of points"):
        Dirichlet(xt_domain, "x", "low").sample(n, rng)
    with pytest.raises(ValueError, match="number of points"):
        Initial(Box((0.0,), (1.0,), ("t",)), 1.0).sample(n, rng)


def test_condition_constructor_errors(xt_domain):
    with pytest.raises(ValueError, match="unknown coordinate"):
        Dirichlet(xt_domain, "y", "low")
    with pytest.raises(ValueError, match="side"):
        Neumann(xt_domain, "x", "left")
    with pytest.raises(ValueError, match="'t'"):
        Initial(Interval(0, 1), 0.0)
    with pytest.raises(ValueError, match="derivative order"):
        Initial(xt_domain, 0.0, derivative=3)
    with pytest.raises(ValueError, match="derivatives must be"):
        Periodic(xt_domain, "x", derivatives=5)
    with pytest.raises(ValueError, match="data needs"):
        Data(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        Data(np.array([[0.0, math.nan]]), np.zeros(1))


# -- conditions: what they measure ---------------------------------------------------------
def f64(a):
    return torch.as_tensor(a, dtype=torch.float64)


def test_dirichlet_residual(xt_domain, rng):
    x = f64(Dirichlet(xt_domain, "x", "high").sample(50, rng))
    u = lambda x: x[:, :1] + x[:, 1:] ** 2  # noqa: E731
    c = Dirichlet(xt_domain, "x", "high", lambda x, p: 1 + x[:, 1:] ** 2)
    assert float(c.residual(u, x, {}).abs().max()) == 0.0
    r = Dirichlet(xt_domain, "x", "high", 0.5).residual(u, x, {})
    assert r.shape == (50, 1)
    np.testing.assert_allclose(r.numpy(), 0.5 + x[:, 1:].numpy() ** 2, atol=1e-15)
    # value functions receive the parameters
    c = Dirichlet(xt_domain, "x", "high", lambda x, p: p["a"] * torch.ones_like(x[:, :1]))
    np.testing.assert_allclose(c.residual(u, x, {"a": 1.0}).numpy(), x[:, 1:].numpy() ** 2, atol=1e-15)
    bad = Dirichlet(xt_domain, "x", "high", lambda x, p: x[:, 0])
    with pytest.raises(ValueError, match=r"must return shape \(50, 1\)"):
        bad.residual(u, x, {})


def test_neumann_residual(xt_domain, rng):
    x = f64(Neumann(xt_domain, "x", "low").sample(40, rng))
    u = lambda x: torch.sin(2 * x[:, :1]) * torch.exp(-x[:, 1:])  # noqa: E731
    c = Neumann(xt_domain, "x", "low", lambda x, p: 2 * torch.cos(2 * x[:, :1]) * torch.exp(-x[:, 1:]))
    assert float(c.residual(u, x, {}).detach().abs().max()) < 1e-14
    assert float(Neumann(xt_domain, "x", "low", 0.0).residual(u, x, {}).detach().abs().max()) > 0.1


def test_initial_value_and_velocity(xt_domain, rng):
    x = f64(Initial(xt_domain, 0.0).sample(40, rng))
    # u = sin(πx) + 3 t + t²: u(x, 0) = sin(πx), u_t(x, 0) = 3, u_tt = 2
    u = lambda x: torch.sin(math.pi * x[:, :1]) + 3 * x[:, 1:] + x[:, 1:] ** 2  # noqa: E731
    ic = Initial(xt_domain, lambda x, p: torch.sin(math.pi * x[:, :1]))
    assert float(ic.residual(u, x, {}).abs().max()) < 1e-15
    v = Initial(xt_domain, 3.0, derivative=1)
    assert float(v.residual(u, x, {}).detach().abs().max()) < 1e-14
    wrong = Initial(xt_domain, 0.0, derivative=1).residual(u, x, {})
    np.testing.assert_allclose(wrong.detach().numpy(), 3.0, atol=1e-14)  # it checks u_t, not u
    a = Initial(xt_domain, 2.0, derivative=2)
    assert float(a.residual(u, x, {}).detach().abs().max()) < 1e-14


def test_periodic_residual(xt_domain, rng):
    x = f64(Periodic(xt_domain, "x").sample(60, rng))
    periodic = lambda x: torch.sin(math.pi * x[:, :1] + 0.3) * (1 + x[:, 1:])  # noqa: E731  period 2 in x
    for k in (0, 1, 2):
        r = Periodic(xt_domain, "x", derivatives=k).residual(periodic, x, {})
        assert r.shape == (60, 1 + k)
        assert float(r.detach().abs().max()) < 1e-13
    # x² has equal values at ±1 but opposite slopes
    square = lambda x: x[:, :1] ** 2 * (1 + x[:, 1:])  # noqa: E731
    r = Periodic(xt_domain, "x", derivatives=1).residual(square, x, {}).detach()
    assert float(r[:, 0].abs().max()) < 1e-15
    np.testing.assert_allclose(r[:, 1].numpy(), -4 * (1 + x[:, 1].numpy()), atol=1e-13)
    linear = lambda x: x[:, :1] + x[:, 1:]  # noqa: E731
    r = Periodic(xt_domain, "x").residual(linear, x, {}).detach()
    np.testing.assert_allclose(r.numpy(), -2.0, atol=1e-15)


def test_periodic_in_a_second_coordinate(rng):
    box = Rectangle((0, 0), (2 * math.pi, 1), ("x", "y"))
    x = f64(Periodic(box, "x").sample(30, rng))
    u = lambda x: torch.cos(x[:, :1]) * x[:, 1:]  # noqa: E731
    assert float(Periodic(box, "x", derivatives=2).residual(u, x, {}).detach().abs().max()) < 1e-13


def test_data_condition(rng):
    xs = rng.random((7, 2))
    ys = np.sin(xs[:, :1]) + xs[:, 1:]
    d = Data(xs, ys)
    pts = d.sample(1000, rng)
    np.testing.assert_array_equal(pts, xs)
    u = lambda x: torch.sin(x[:, :1]) + x[:, 1:]  # noqa: E731
    assert float(d.residual(u, f64(pts), {}).abs().max()) < 1e-15
    with pytest.raises(ValueError, match="7 observation points"):
        d.residual(u, f64(pts[:3]), {})


def test_component_selects_the_output_column(xt_domain, rng):
    x = f64(Dirichlet(xt_domain, "x", "low").sample(10, rng))
    u = lambda x: torch.cat([x[:, :1], 5 + 0 * x[:, :1]], dim=1)  # noqa: E731
    assert float(Dirichlet(xt_domain, "x", "low", 5.0, component=1).residual(u, x, {}).abs().max()) == 0


def test_derivatives_names_follow_the_domain(xt_domain):
    x = f64(xt_domain.grid((4, 3))).requires_grad_(True)
    D = Derivatives(x, xt_domain.names)
    u = x[:, :1] ** 2 * x[:, 1:]
    np.testing.assert_allclose(D(u, "xx").detach().numpy(), 2 * x[:, 1:].detach().numpy())
