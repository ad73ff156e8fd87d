"""The mathematics of the conditioning and transport diagnostics, on cases with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit.diagnostics import (SineSeries, condition_number, error_spectrum, gradient_cosines,
                                 gradient_histograms, linearised_operator, modes_for_error, parameter_slices, pod_error,
                                 snapshot_singular_values, term_gradients, travelling_snapshots)
from pinnkit.losses import loss_terms
from pinnkit.models import MLP
from pinnkit.problems import Dirichlet, Interval, Problem


def poisson_unit(coefficients=()):
    """−u'' = f on (0, 1), u(0) = u(1) = 0, with u* = Σ_k c_k sin(kπx)."""
    c = list(coefficients)

    def f(x):
        return sum(ck * (k * math.pi) ** 2 * torch.sin(k * math.pi * x) for k, ck in enumerate(c, 1)) \
            if c else torch.zeros_like(x)

    domain = Interval(0.0, 1.0)
    return Problem(name="poisson_unit", domain=domain, residual=lambda x, u, D, p: -D(u, "xx") - f(x),
                   conditions={"left": Dirichlet(domain, "x", "low", 0.0),
                               "right": Dirichlet(domain, "x", "high", 0.0)},
                   test_shape=(101,))


def midpoints(n):
    return ((np.arange(n) + 0.5) / n)[:, None]


# ------------------------------------------------------------- De Ryck et al.'s example
@pytest.mark.parametrize("modes", [2, 4, 8, 16])
def test_sine_series_operator_is_diag_k_pi_4(modes):
    op = linearised_operator(poisson_unit(), SineSeries(modes), {"residual": midpoints(64)})
    k = np.arange(1, modes + 1)
    expected = np.diag((k * np.pi) ** 4 / 2)  # mean of sin² over the midpoints is exactly ½
    assert np.abs(op.matrix - expected).max() < 1e-10 * expected.max()
    assert op.condition_number() == pytest.approx(modes**4, rel=1e-9)
    assert op.rank() == modes


@pytest.mark.parametrize("modes", [2, 8, 16])
def test_rescaling_theta_by_inverse_k_pi_squared_gives_kappa_one(modes):
    op = linearised_operator(poisson_unit(), SineSeries(modes, precondition=True), {"residual": midpoints(64)})
    assert op.condition_number() == pytest.approx(1.0, abs=1e-9)
    assert np.allclose(op.eigenvalues, 0.5, rtol=1e-9)


@pytest.mark.parametrize("modes", [4, 16])
@pytest.mark.parametrize("power", [0, 0.5, 1, 1.5, 2, 2.5, 3, 4])
def test_sine_series_power_gives_kappa_k_to_abs_4_minus_2p(modes, power):
    """θ_k/(kπ)^p: A_p = diag((kπ)^(4−2p))/2, κ = K^|4−2p| (grows again past p = 2)."""
    op = linearised_operator(poisson_unit(), SineSeries(modes, power=power), {"residual": midpoints(64)})
    k = np.arange(1, modes + 1)
    expected = np.diag((k * np.pi) ** (4 - 2 * power) / 2)
    assert np.abs(op.matrix - expected).max() < 1e-10 * expected.max()
    assert op.condition_number() == pytest.approx(float(modes) ** abs(4 - 2 * power), rel=1e-8)
    assert condition_number(op.eigenvalues) == pytest.approx(float(modes) ** abs(4 - 2 * power), rel=1e-8)


def test_sine_series_power_is_symmetric_about_full_preconditioning():
    x = {"residual": midpoints(64)}
    kappa = {p: linearised_operator(poisson_unit(), SineSeries(8, power=p), x).condition_number()
             for p in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)}
    for p in (0.5, 1.0, 1.5):
        assert kappa[p] == pytest.approx(kappa[4 - p], rel=1e-10)
    assert min(kappa, key=kappa.get) == 2.0
    assert kappa[1.0] == pytest.approx(8.0**2, rel=1e-8) and kappa[3.0] == pytest.approx(8.0**2, rel=1e-8)


@pytest.mark.parametrize("precondition, power", [(False, 0), (False, 0.0), (True, 2), (True, 2.0), (False, 2.0)])
def test_sine_series_power_0_and_2_reproduce_plain_and_preconditioned_exactly(precondition, power):
    x = {"residual": midpoints(64)}
    problem = poisson_unit([1.0, -0.5, 0.25, 2.0, 0.1, 0.3])
    old = SineSeries(6, precondition=power == 2)
    new = SineSeries(6, precondition=precondition, power=power)
    assert torch.equal(old.scale, new.scale) and new.power == float(power)
    a, b = linearised_operator(problem, old, x), linearised_operator(problem, new, x)
    assert np.array_equal(a.jacobian, b.jacobian) and np.array_equal(a.eigenvalues, b.eigenvalues)
    assert np.array_equal(a.energy, b.energy) and a.condition_number() == b.condition_number()
    assert SineSeries(6).power == 0.0 and SineSeries(6, precondition=True).power == 2.0


@pytest.mark.parametrize("power", [math.nan, math.inf, -math.inf, "2", True, 1j, [2.0]])
def test_sine_series_rejects_a_bad_power(power):
    with pytest.raises(ValueError, match="power must be a finite real number"):
        SineSeries(4, power=power)


def test_sine_series_rejects_precondition_with_another_power():
    with pytest.raises(ValueError, match="precondition=True means power=2"):
        SineSeries(4, precondition=True, power=1.0)


def test_boundary_term_adds_lambda_weighted_gram_matrix():
    # sin(kπx) vanishes at 0 and 1: the boundary term adds nothing for the sine series ...
    pts = {"residual": midpoints(32), "left": np.zeros((1, 1)), "right": np.ones((1, 1))}
    op = linearised_operator(poisson_unit(), SineSeries(3), pts, weights=100.0)
    assert np.abs(op.matrix - np.diag((np.arange(1, 4) * np.pi) ** 4 / 2)).max() < 1e-8
    # ... but for an MLP it adds λ·J_bᵀJ_b: check A against the two parts computed apart
    model = MLP(1, 1, 8, 2, seed=3).double()
    full = linearised_operator(poisson_unit(), model, pts, weights={"left": 2.0, "right": 5.0}).matrix
    inner = linearised_operator(poisson_unit(), model, {"residual": pts["residual"]}).matrix
    left = linearised_operator(poisson_unit(), model, {"left": pts["left"]}, weights=2.0).matrix
    right = linearised_operator(poisson_unit(), model, {"right": pts["right"]}, weights=5.0).matrix
    assert np.abs(full - (inner + left + right)).max() < 1e-12 * np.abs(full).max()
    assert np.abs(left).max() > 0


def test_operator_gradient_is_the_pinn_loss_gradient():
    """∇L = 2 Mᵀ m for L = Σ_t w_t mean r_t²: the weighting of A is the loss's own."""
    problem = poisson_unit([1.0, 0.5])
    model = MLP(1, 1, 10, 2, seed=1).double()
    pts = {"residual": midpoints(20), "left": np.zeros((1, 1)), "right": np.ones((1, 1))}
    w = {"left": 3.0, "right": 0.5}
    op = linearised_operator(problem, model, pts, weights=w)
    terms = loss_terms(problem, model, {k: torch.as_tensor(v) for k, v in pts.items()}, {})
    grads = term_gradients(terms, list(model.parameters()))
    g = sum(w.get(n, 1.0) * grads[n] for n in grads).numpy()
    m = np.concatenate([math.sqrt(w.get(n, 1.0) / len(pts[n])) * r for n, r in
                        ((n, loss_terms_residual(problem, model, n, pts[n])) for n in pts)])
    assert np.allclose(g, 2 * op.jacobian.T @ m, rtol=1e-10, atol=1e-12)
    total = float(sum(w.get(n, 1.0) * t.detach() for n, t in terms.items()))
    assert op.energy.sum() + op.unreachable == pytest.approx(total, rel=1e-10)


def loss_terms_residual(problem, model, name, x):
    xt = torch.as_tensor(x).requires_grad_(name == "residual")
    if name == "residual":
        return problem.pde_residual(model, xt, {}).detach().numpy().ravel()
    return problem.conditions[name].residual(model, xt, {}).detach().numpy().ravel()


def test_predicted_loss_equals_gradient_descent_on_a_linear_model():
    problem = poisson_unit([1.0, 1 / 2, 1 / 3, 1 / 4])
    model = SineSeries(4)
    x = torch.as_tensor(midpoints(32))
    op = linearised_operator(problem, model, {"residual": x})
    lr = 1 / (2 * op.eigenvalues[0])
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = loss_terms(problem, model, {"residual": x}, {})["residual"]
        losses.append(float(loss.detach()))
        loss.backward()
        opt.step()
    predicted = op.predicted_loss(lr, range(40))
    assert np.allclose(losses, predicted, rtol=1e-9)
    assert losses[-1] < 0.5 * losses[0]


def test_preconditioned_gradient_descent_converges_in_one_step():
    problem = poisson_unit([1.0, -0.5, 0.25, 2.0])
    x = torch.as_tensor(midpoints(32))
    for precondition, expect_fast in ((False, False), (True, True)):
        model = SineSeries(4, precondition=precondition)
        op = linearised_operator(problem, model, {"residual": x})
        ratio = op.predicted_loss(1 / (2 * op.eigenvalues[0]), 1)[0] / op.predicted_loss(0.0, 0)[0]
        assert (ratio < 1e-20) == expect_fast, (precondition, ratio)


def test_residual_condition_number_tracks_where_the_residual_sits():
    x = midpoints(64)
    low = linearised_operator(poisson_unit([1.0]), SineSeries(8), {"residual": x})  # residual in mode 1
    high = linearised_operator(poisson_unit([0, 0, 0, 0, 0, 0, 0, 1.0]), SineSeries(8), {"residual": x})
    assert low.residual_condition_number() == pytest.approx(8**4, rel=1e-8)
    assert high.residual_condition_number() == pytest.approx(1.0, rel=1e-8)
    assert low.condition_number() == pytest.approx(high.condition_number(), rel=1e-12)  # A ignores f
    reused = linearised_operator(poisson_unit([0, 0, 0, 0, 0, 0, 0, 1.0]), SineSeries(8), {"residual": x}, reuse=low)
    assert np.allclose(reused.energy, high.energy, rtol=1e-10, atol=1e-20)
    assert reused.residual_condition_number() == pytest.approx(1.0, rel=1e-8)
    with pytest.raises(ValueError, match="points differ"):
        linearised_operator(poisson_unit([1.0]), SineSeries(8), {"residual": x[:10]}, reuse=low)
    with pytest.raises(ValueError, match="share"):
        low.residual_condition_number(share=0.0)


def test_condition_number_leaves_out_the_null_space():
    assert condition_number(np.array([4.0, 1.0, 1e-40, 0.0])) == pytest.approx(4.0)
    assert condition_number(np.array([4.0, 1.0, 1e-3]), rtol=1e-2) == pytest.approx(4.0)
    assert condition_number(np.array([4.0, 1.0, 1e-3]), rtol=0.0) == pytest.approx(4000.0)
    assert condition_number(np.zeros(3)) == math.inf
    with pytest.raises(ValueError):
        condition_number(np.array([]))
    with pytest.raises(ValueError):
        condition_number(np.array([1.0]), rtol=2.0)


def test_operator_rejects_unknown_terms_and_bad_weights():
    with pytest.raises(ValueError, match="no condition"):
        linearised_operator(poisson_unit(), SineSeries(2), {"residual": midpoints(4), "top": midpoints(2)})
    with pytest.raises(ValueError, match="weights"):
        linearised_operator(poisson_unit(), SineSeries(2), {"residual": midpoints(4)}, weights={"left": 1.0})
    with pytest.raises(ValueError, match="modes"):
        SineSeries(0)


def test_operator_leaves_the_callers_model_untouched():
    model = MLP(1, 1, 6, 2, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    linearised_operator(poisson_unit([1.0]), model, {"residual": midpoints(8)})
    assert all(p.dtype == torch.float32 and torch.equal(p, b) for p, b in zip(model.parameters(), before))


# ------------------------------------------------------------------- gradients per term
def test_cosines_of_identical_opposite_and_orthogonal_gradients():
    g = torch.tensor([1.0, -2.0, 0.5])
    cos = gradient_cosines({"a": g, "b": 3 * g, "c": -g, "d": torch.tensor([2.0, 1.0, 0.0])})
    assert cos[("a", "b")] == pytest.approx(1.0, abs=1e-12)
    assert cos[("a", "c")] == pytest.approx(-1.0, abs=1e-12)
    assert cos[("a", "d")] == pytest.approx(0.0, abs=1e-12)
    assert list(cos) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]
    assert math.isnan(gradient_cosines({"a": g, "z": torch.zeros(3)})[("a", "z")])
    with pytest.raises(ValueError):
        gradient_cosines({"a": g, "b": torch.ones(4)})
    with pytest.raises(ValueError):
        gradient_cosines({"a": torch.ones(2, 2)})


def test_gradient_histograms_share_edges_and_integrate_to_one():
    rng = np.random.default_rng(0)
    grads = {"residual": torch.as_tensor(rng.normal(0, 1.0, 5000)), "initial": torch.as_tensor(rng.normal(0, 0.01, 5000))}
    h = gradient_histograms(grads, bins=40)
    (cr, er), (ci, ei) = h["residual"], h["initial"]
    assert np.array_equal(er, ei) and er.size == 41
    width = np.diff(er)
    assert (cr * width).sum() == pytest.approx(1.0) and (ci * width).sum() == pytest.approx(1.0)
    # the narrow term piles up in the central bins, the wide one spreads
    assert ci[19:21].sum() * width[0] > 0.99 > cr[19:21].sum() * width[0]
    with pytest.raises(ValueError):
        gradient_histograms(grads, bins=0)


def test_histograms_of_one_layer_use_its_slice_of_the_flat_gradient():
    model = MLP(1, 1, 4, 2, seed=0)
    slices = parameter_slices(model)
    sizes = {n: p.numel() for n, p in model.named_parameters()}
    assert [s.stop - s.start for s in slices.values()] == list(sizes.values())
    assert max(s.stop for s in slices.values()) == sum(sizes.values())
    flat = torch.cat([torch.full((p.numel(),), float(i)) for i, p in enumerate(model.parameters())])
    first = next(iter(slices))
    counts, edges = gradient_histograms({"residual": flat}, bins=4, select=slices[first], density=False)["residual"]
    assert counts.sum() == sizes[first] and edges[0] == -1.0  # all zeros: the limit falls back to 1
    with pytest.raises(ValueError, match="no entries"):
        gradient_histograms({"residual": flat}, select=slice(0, 0))


# ---------------------------------------------------------------- snapshots and n-width
@pytest.mark.parametrize("beta", [0.5, 1.0, 10.0, 30.0, 50.0])
def test_travelling_sine_is_rank_two_for_every_beta(beta):
    sv = snapshot_singular_values(travelling_snapshots(np.sin, beta, nx=128, nt=101))
    assert sv[1] > 1e-2 and sv[2] < 1e-12


def test_travelling_pulse_needs_more_modes_as_beta_grows_until_it_wraps():
    pulse = lambda s: np.exp(-0.5 * ((s - np.pi) / 0.3) ** 2)  # noqa: E731
    modes = [modes_for_error(snapshot_singular_values(travelling_snapshots(pulse, b, 256, 201)), 1e-2)
             for b in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert modes[0] == 1 and all(a < b for a, b in zip(modes, modes[1:])), modes
    # once βT passes the period every translate is in the set: the width stops growing
    wrapped = [modes_for_error(snapshot_singular_values(travelling_snapshots(pulse, b, 256, 201)), 1e-2)
               for b in (2 * np.pi, 10.0, 30.0, 50.0)]
    assert max(wrapped) - min(wrapped) <= 1 and min(wrapped) > modes[-1], wrapped


def test_pod_error_and_modes_for_error():
    sv = np.array([1.0, 0.1, 0.01, 0.0])
    e = pod_error(sv)
    assert e[0] == 1.0 and e[-1] == 0.0 and e[3] == 0.0
    assert e[1] == pytest.approx(math.sqrt(0.0101 / 1.0101))
    assert modes_for_error(sv, 0.05) == 2
    with pytest.raises(ValueError):
        modes_for_error(sv, 0.0)


# ----------------------------------------------------------------------- error spectrum
def test_error_spectrum_recovers_frequency_and_amplitude():
    x = np.linspace(0, 2 * np.pi, 257)
    e = 0.3 * np.sin(5 * x + 0.4) + 0.1 * np.cos(12 * x)
    s = error_spectrum(e, x, periodic_endpoint=True)
    assert s.peak == pytest.approx(5.0)
    amp = dict(zip(np.round(s.wavenumber).astype(int), s.amplitude))
    assert amp[5] == pytest.approx(0.3, abs=1e-12) and amp[12] == pytest.approx(0.1, abs=1e-12)
    assert max(a for k, a in amp.items() if k not in (5, 12)) < 1e-12


def test_error_spectrum_per_time_and_on_another_interval():
    x = np.linspace(-1, 1, 65)[:-1]  # periodic grid without the endpoint, length 2
    t = np.linspace(0, 1, 7)
    e = np.sin(3 * np.pi * x)[:, None] * t[None, :]  # amplitude grows linearly in time
    per_time = error_spectrum(e, x, average=False)
    assert per_time.amplitude.shape == (33, 7)
    i = int(np.argmin(np.abs(per_time.wavenumber - 3 * np.pi)))
    assert per_time.index[i] == 3.0
    assert np.allclose(per_time.amplitude[i], t, atol=1e-12)
    avg = error_spectrum(e, x)
    assert avg.amplitude[i] == pytest.approx(math.sqrt((t**2).mean()))
    with pytest.raises(ValueError, match="uniform"):
        error_spectrum(e, x**3)


# --------------------------------------------------------- convection, characteristic frame
def test_lagrangian_convection_reference_solves_it_and_maps_back_to_the_eulerian_solution():
    from pinnkit import zoo
    from pinnkit.problems.zoo.convection_lagrangian import ToEulerian

    problem = zoo.get("convection_lagrangian", beta=30.0)
    assert problem.values == {"beta": 30.0}

    class Exact(torch.nn.Module):  # the reference as a model: v(s, t) = sin s
        def forward(self, x):
            return torch.as_tensor(problem.reference_on(x.detach().numpy()), dtype=x.dtype) + 0 * x[:, :1]

    rng = np.random.default_rng(0)
    x = torch.as_tensor(problem.domain.scale(rng.random((200, 2))))
    assert float(problem.pde_residual(Exact(), x, problem.values).abs().max()) == 0.0
    for name, cond in problem.conditions.items():
        r = cond.residual(Exact(), torch.as_tensor(cond.sample(50, rng)), problem.values)
        assert float(r.abs().max()) < 1e-14, name
    # the same v for every β; β only enters the map back to x
    assert np.array_equal(zoo.get("convection_lagrangian", beta=1.0).reference_on(x.numpy()), problem.reference_on(x.numpy()))
    xt = torch.as_tensor(np.column_stack([rng.uniform(0, 2 * np.pi, 300), rng.random(300)]))
    u = ToEulerian(Exact(), 30.0)(xt)[:, 0]
    assert float((u - torch.sin(xt[:, 0] - 30.0 * xt[:, 1])).abs().max()) < 1e-12
    with pytest.raises(ValueError):
        ToEulerian(Exact(), 30.0)(xt[:, :1])


# ----------------------------------------------------------------------------- figures
def test_figures_draw_one_curve_per_label():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pinnkit.diagnostics import (plot_error_spectrum, plot_gradient_histograms, plot_operator_spectrum,
                                     plot_singular_values)

    ops = {f"K={K}": linearised_operator(poisson_unit([1.0] * K), SineSeries(K), {"residual": midpoints(16)})
           for K in (2, 3)}
    fig = plot_operator_spectrum(ops)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    x = np.linspace(0, 2 * np.pi, 33)
    figs = [plot_singular_values({"a": np.array([1.0, 0.1]), "b": np.array([2.0, 1.0, 0.5])}),
            plot_error_spectrum({"a": error_spectrum(np.sin(3 * x), x, periodic_endpoint=True)}),
            plot_gradient_histograms(gradient_histograms({"r": torch.randn(50), "b": torch.randn(50)}, bins=5))]
    assert [len(f.axes[0].lines) for f in figs] == [2, 1, 2]
    plt.close("all")
