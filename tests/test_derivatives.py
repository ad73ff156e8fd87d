"""Derivatives against closed forms (float64, to ~1e-10), shapes, errors and the cache."""
from __future__ import annotations

import torch
import pytest

from pinnkit.problems import Derivatives, gradient, laplacian, partial
from pinnkit.problems import derivatives as derivatives_module

TOL = 1e-10


def close(a, b, tol=TOL):
    assert a.shape == b.shape, (a.shape, b.shape)
    err = float((a - b).detach().abs().max())
    assert err <= tol, f"max abs error {err:.3e} > {tol:.0e}"


def sin_exp(x):
    """u = sin(2x) e^{-t} and its closed-form derivatives (columns x, t)."""
    X, T = x[:, :1], x[:, 1:]
    s, c, e = torch.sin(2 * X), torch.cos(2 * X), torch.exp(-T)
    u = s * e
    exact = {
        "x": 2 * c * e, "t": -s * e, "xx": -4 * s * e, "xt": -2 * c * e, "tx": -2 * c * e,
        "tt": s * e, "xxx": -8 * c * e, "xxt": 4 * s * e, "xtt": 2 * c * e, "ttt": -s * e,
    }
    return u, exact


def test_gradient_of_sin_exp(points64):
    u, ex = sin_exp(points64)
    g = gradient(u, points64)
    assert g.shape == (64, 2)
    close(g, torch.cat([ex["x"], ex["t"]], dim=1))


@pytest.mark.parametrize("spec", ["x", "t", "xx", "xt", "tx", "tt", "xxx", "xxt", "xtt", "ttt"])
def test_named_derivatives_of_sin_exp(points64, spec):
    u, ex = sin_exp(points64)
    D = Derivatives(points64, ("x", "t"))
    d = D(u, spec)
    assert d.shape == (64, 1)
    close(d, ex[spec])
    # the functional form agrees with the named one
    close(partial(u, points64, *["xt".index(c) for c in spec]), ex[spec])


def test_mixed_partials_commute(points64):
    u, _ = sin_exp(points64)
    D = Derivatives(points64, ("x", "t"))
    close(D(u, "xt"), D(u, "tx"), 1e-14)
    close(D(u, "xxt"), D(u, "txx"), 1e-13)


def test_partial_with_no_axes_is_u(points64):
    u, _ = sin_exp(points64)
    assert partial(u, points64) is u
    assert Derivatives(points64, ("x", "t"))(u, "") is u


def test_laplacian_of_sin_exp(points64):
    u, ex = sin_exp(points64)
    close(laplacian(u, points64, axes=[0]), ex["xx"])
    close(laplacian(u, points64), ex["xx"] + ex["tt"])
    # the named Laplacian skips time by default
    close(Derivatives(points64, ("x", "t")).laplacian(u), ex["xx"])


def test_polynomial_in_three_dimensions():
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(50, 3, generator=g, dtype=torch.float64) * 4 - 2).requires_grad_(True)
    X, Y, Z = x[:, :1], x[:, 1:2], x[:, 2:]
    u = X**2 + 3 * Y**2 - 2 * Z**2 + X * Y * Z + X**3 * Y
    D = Derivatives(x, ("x", "y", "z"))
    close(D(u, "x"), 2 * X + Y * Z + 3 * X**2 * Y)
    close(D(u, "xy"), Z + 3 * X**2)
    close(D(u, "xyz"), torch.ones_like(X))
    close(D(u, "xxx"), 6 * Y)
    close(D(u, "xxxx"), torch.zeros_like(X))
    close(laplacian(u, x), 2 + 6 - 4 + 6 * X * Y)
    close(D.laplacian(u), 2 + 6 - 4 + 6 * X * Y)


def test_derivatives_of_a_linear_function_are_zero_beyond_first_order():
    """u_xx of a linear u is a constant autograd no longer connects to x: zero, not an error."""
    x = torch.rand(10, 2, dtype=torch.float64).requires_grad_(True)
    lin = torch.nn.Linear(2, 1).double()
    u = lin(x)
    D = Derivatives(x, ("x", "t"))
    close(D(u, "x"), lin.weight[0, 0].expand(10, 1))
    close(D(u, "xx"), torch.zeros(10, 1, dtype=torch.float64), 0)
    close(partial(3 * x[:, :1], x, 0, 0), torch.zeros(10, 1, dtype=torch.float64), 0)
    close(laplacian(u, x), torch.zeros(10, 1, dtype=torch.float64), 0)


def test_second_derivative_keeps_graph_for_training():
    """Residuals are differentiated again with respect to the network's weights."""
    x = torch.linspace(-1, 1, 9, dtype=torch.float64)[:, None].requires_grad_(True)
    w = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    u = torch.sin(w * x)
    uxx = Derivatives(x, ("x",))(u, "xx")  # = -w² sin(w x)
    (dw,) = torch.autograd.grad(uxx.sum(), w)
    exact = (-2 * w * torch.sin(w * x) - w**2 * x * torch.cos(w * x)).sum()
    assert abs(float((dw - exact).detach())) < TOL


# -- errors -------------------------------------------------------------------------------
def test_x_without_requires_grad_raises():
    x = torch.rand(5, 2, dtype=torch.float64)
    u = x[:, :1] ** 2
    with pytest.raises(ValueError, match="requires_grad"):
        gradient(u, x)
    with pytest.raises(ValueError, match="requires_grad"):
        Derivatives(x, ("x", "t"))(u, "x")


def test_u_detached_from_x_raises():
    x = torch.rand(5, 2, dtype=torch.float64).requires_grad_(True)
    with torch.no_grad():
        u = x[:, :1] ** 2
    with pytest.raises(ValueError, match="does not depend on x"):
        gradient(u, x)
    net = torch.nn.Linear(2, 1).double()
    with pytest.raises(ValueError, match="does not depend on x"):
        Derivatives(x, ("x", "t"))(net(x.detach().clone().requires_grad_(True)), "x")


@pytest.mark.parametrize("ushape", [(5,), (5, 2), (4, 1), (5, 1, 1)])
def test_wrong_u_shape_raises(ushape):
    x = torch.rand(5, 2, dtype=torch.float64).requires_grad_(True)
    u = (x.sum() * torch.ones(ushape, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"u must have shape \(N, 1\)"):
        gradient(u, x)


def test_wrong_x_shape_raises():
    x = torch.rand(5, dtype=torch.float64).requires_grad_(True)
    with pytest.raises(ValueError, match=r"x must have shape \(N, d\)"):
        gradient(x[:, None] ** 2, x)
    with pytest.raises(ValueError, match="coordinate names"):
        Derivatives(torch.rand(5, 3, requires_grad=True), ("x", "t"))


def test_bad_axes_and_names_raise(points64):
    u, _ = sin_exp(points64)
    with pytest.raises(ValueError, match="out of range"):
        partial(u, points64, 2)
    with pytest.raises(ValueError, match="out of range"):
        partial(u, points64, -1)
    with pytest.raises(ValueError, match="out of range"):
        laplacian(u, points64, axes=[0, 5])
    with pytest.raises(ValueError, match="at least one"):
        laplacian(u, points64, axes=[])
    D = Derivatives(points64, ("x", "t"))
    with pytest.raises(ValueError, match="unknown coordinate 'y'"):
        D(u, "xy")
    with pytest.raises(ValueError, match="spec"):
        D(u, 0)


# -- cache --------------------------------------------------------------------------------
def test_cache_reuses_first_derivatives(points64, monkeypatch):
    calls = []
    real = torch.autograd.grad

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(torch.autograd, "grad", counting)
    u, ex = sin_exp(points64)
    D = Derivatives(points64, ("x", "t"))
    D(u, "x"), D(u, "t")
    assert len(calls) == 1  # one call gives every first derivative
    D(u, "xx"), D(u, "xt")
    assert len(calls) == 2  # both reuse u_x and share one call for ∇u_x
    D(u, "tt"), D(u, "tx")
    assert len(calls) == 3
    close(D(u, "xx"), ex["xx"])
    close(D(u, "t"), ex["t"])
    assert len(calls) == 3  # cached
    D.laplacian(u)
    assert len(calls) == 3
    assert derivatives_module.torch.autograd.grad is counting


def test_cache_distinguishes_temporaries():
    """Temporaries passed to D one after another must not share cache entries (ids of
    freed tensors are reused by Python)."""
    x = torch.rand(7, 2, dtype=torch.float64).requires_grad_(True)
    D = Derivatives(x, ("x", "t"))
    for k in range(1, 8):
        close(D(x[:, :1] ** k, "x"), k * x[:, :1] ** (k - 1))
