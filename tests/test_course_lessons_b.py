"""The exercise checks of lessons 07–14: each accepts the right answer, refuses wrong ones with a
hint of what to look at, and says "no answer yet" for the notebook's ``...`` placeholder."""
from __future__ import annotations

import math

import pytest

from pinnkit.course import Result
from pinnkit.course import lesson07, lesson08, lesson09, lesson10, lesson11, lesson12, lesson13, lesson14
from course_asserts import no_answer, right, wrong


# --- lesson 07 ---------------------------------------------------------------------------
def test_lesson07_checks():
    right(lesson07.check_forcing_ratio(40.0))
    right(lesson07.check_forcing_ratio(0.2 * 40 ** 2, a=40, amplitude=0.2))
    wrong(lesson07.check_forcing_ratio(0.1), "(kπ)²")  # the ratio in u, not in f
    wrong(lesson07.check_forcing_ratio(4.0), "(kπ)²")  # a instead of a²
    no_answer(lesson07.check_forcing_ratio)
    right(lesson07.check_embedding_width(64))
    right(lesson07.check_embedding_width(64, num_features=32, in_dim=3))
    wrong(lesson07.check_embedding_width(32), "cosine and one sine")
    wrong(lesson07.check_embedding_width(96, in_dim=3), "cosine and one sine")
    right(lesson07.check_input_frequency(5.0))
    wrong(lesson07.check_input_frequency(10.0), "x = (s + 1)/2")
    errors = {0.5: 0.02, 1.0: 0.05, 3.0: 0.4}
    right(lesson07.check_best_sigma(0.5, errors))
    wrong(lesson07.check_best_sigma(1.0, errors), "smallest relative L2")
    assert not lesson07.check_best_sigma(7.0, errors).ok  # not one of the swept values
    no_answer(lesson07.check_best_sigma, errors)


# --- lesson 08 ---------------------------------------------------------------------------
def test_lesson08_checks():
    eps = [0.1, 0.1, 0.2, 1.6]
    right(lesson08.check_rad_probability(4.2 / 8, eps))  # (1.6/0.5 + 1) / Σ(ε/mean + 1)
    right(lesson08.check_rad_probability(1.2 / 8, eps, index=0))
    wrong(lesson08.check_rad_probability(1.6 / 2.0, eps), "add c")  # ε alone, normalised
    wrong(lesson08.check_rad_probability(0.25, eps), "add c")  # uniform
    no_answer(lesson08.check_rad_probability, eps)
    pop = [0.5, 0.1, 2.0, 0.3, 0.9, 0.2]  # mean 0.667: 2.0 and 0.9 stay
    right(lesson08.check_r3_retained(2, pop))
    wrong(lesson08.check_r3_retained(3, pop), "strictly above")
    right(lesson08.check_rad_limit("uniform"))
    right(lesson08.check_rad_limit(" Uniform "))
    wrong(lesson08.check_rad_limit("greedy"), "ε⁰")
    assert not lesson08.check_rad_limit("r3").ok
    frac = {"uniform": 0.1, "RAD": 0.16, "RAR-G": 0.2}
    right(lesson08.check_most_points_near_shock("RAR-G", frac))
    wrong(lesson08.check_most_points_near_shock("RAD", frac), "fraction with |x| < 0.1")


def test_rad_probability_matches_the_density_formula():
    """The check's expected value is Wu et al.'s p ∝ ε^k/mean(ε^k) + c, here with k = 2, c = 0.5."""
    eps = [0.3, 1.0, 2.0]
    w = [e ** 2 / (sum(x ** 2 for x in eps) / 3) + 0.5 for e in eps]
    right(lesson08.check_rad_probability(w[1] / sum(w), eps, index=1, k=2.0, c=0.5))


# --- lesson 11 ---------------------------------------------------------------------------
def test_lesson11_checks():
    g1, g2 = [1.0, 0.0], [-1.0, 1.0]
    right(lesson11.check_cosine(-1 / math.sqrt(2), g1, g2))
    wrong(lesson11.check_cosine(-1.0, g1, g2), "product of the two lengths")
    no_answer(lesson11.check_cosine, g1, g2)
    # ConFIG by hand: x solves U(g_i)·x = 1 -> (1, 1 + √2); g_u = x/|x|; g = (Σ g_i·g_u) g_u
    x = [1.0, 1 + math.sqrt(2)]
    n = math.hypot(*x)
    gu = [v / n for v in x]
    scale = sum(a * b for a, b in zip(g1, gu)) + sum(a * b for a, b in zip(g2, gu))
    right(lesson11.check_config_direction([scale * v for v in gu], g1, g2))
    wrong(lesson11.check_config_direction([0.0, 1.0], g1, g2), "U(g_i)·x = 1")
    assert not lesson11.check_config_direction([1.0, 2.0, 3.0], g1, g2).ok  # wrong length
    no_answer(lesson11.check_config_direction, g1, g2)
    right(lesson11.check_scale_invariant_optimizer("multiadam"))
    wrong(lesson11.check_scale_invariant_optimizer("adam"), "second moment per term")
    wrong(lesson11.check_scale_invariant_optimizer("sgd"), "second moment per term")
    errs = {"Adam": 0.3, "MultiAdam": 0.1}
    right(lesson11.check_lower_error("MultiAdam", errs))
    wrong(lesson11.check_lower_error("Adam", errs), "smallest median")


def test_config_direction_agrees_with_every_gradient():
    """The answer the ConFIG check expects has the same positive cosine with both gradients."""
    import torch

    from pinnkit.combining import config_direction

    g = torch.tensor([[1.0, 0.0], [-1.0, 1.0]], dtype=torch.float64)
    d = config_direction(g)
    cos = [float(gi @ d / (gi.norm() * d.norm())) for gi in g]
    assert cos[0] > 0 and abs(cos[0] - cos[1]) < 1e-12, cos


# --- lesson 12 ---------------------------------------------------------------------------
def test_lesson12_checks():
    w, d = 32, 3
    right(lesson12.check_mlp_parameters(2 * w + w + (d - 1) * (w * w + w) + w + 1, in_dim=2, width=w, depth=d))
    wrong(lesson12.check_mlp_parameters(2 * w + (d - 1) * w * w + w, in_dim=2, width=w, depth=d), "biases")
    right(lesson12.check_mlp_parameters(1 * 8 + 8 + 9, in_dim=1, width=8, depth=1))
    no_answer(lesson12.check_mlp_parameters)
    right(lesson12.check_modified_mlp_extra(2 * (2 * w + w), in_dim=2, width=w, depth=d))
    wrong(lesson12.check_modified_mlp_extra(2 * w + w, in_dim=2, width=w, depth=d), "two encoders")
    right(lesson12.check_exact_periodicity("periodic embedding"))
    wrong(lesson12.check_exact_periodicity("fourier features"), "whole periods")
    wrong(lesson12.check_exact_periodicity("plain"), "whole periods")
    med = {"MLP": 0.5, "modified MLP": 0.05}
    right(lesson12.check_best_architecture("modified MLP", med))
    wrong(lesson12.check_best_architecture("MLP", med), "median column")


# --- lesson 13 ---------------------------------------------------------------------------
def test_lesson13_checks():
    right(lesson13.check_ground_energy(math.pi ** 2 / 2))
    wrong(lesson13.check_ground_energy(math.pi ** 2), "ψ'' = −π² ψ")  # forgot the 1/2
    no_answer(lesson13.check_ground_energy)
    right(lesson13.check_energy_gradient_at_zero(0))
    wrong(lesson13.check_energy_gradient_at_zero(-2.0), "factor ψ")
    right(lesson13.check_energy_ratio(4))
    wrong(lesson13.check_energy_ratio(2), "n²π²/2")
    runs = {"a": lesson13.WellRun("naive", final_norm=1e-10), "b": lesson13.WellRun("scale_invariant", final_norm=1e-3)}
    right(lesson13.check_collapsing_loss("a", runs))
    wrong(lesson13.check_collapsing_loss("b", runs), "∫ψ²")


def test_eigen_pinn_collapses_naively_and_not_with_the_scale_invariant_loss():
    """The lesson's mechanism on a short budget: the naive loss (w = 1) drives ∫ψ² towards 0 and E
    hardly moves; the scale-invariant loss moves E towards E₁ = π²/2 from the same start."""
    naive = lesson13.train_well("naive", steps=400, energy0=2.0, weight=1.0)
    fixed = lesson13.train_well("scale_invariant", steps=400, energy0=2.0, weight=1.0)
    assert naive.final_norm < 1e-4 * naive.norm[0], naive.norm[::4]
    assert abs(naive.final_energy - 2.0) < 0.5, naive.final_energy
    assert abs(fixed.final_energy - lesson13.exact_energy(1)) < abs(naive.final_energy - lesson13.exact_energy(1)) - 1
    with pytest.raises(ValueError, match="unknown loss"):
        lesson13.train_well("rayleigh")


# --- lesson 09 ---------------------------------------------------------------------------
def test_lesson09_checks():
    right(lesson09.check_frozen_residual(30 ** 2 / 2))
    right(lesson09.check_frozen_residual(50.0, beta=10.0))
    wrong(lesson09.check_frozen_residual(30 ** 2), "1/2")  # forgot the mean of cos²
    wrong(lesson09.check_frozen_residual(30.0), "1/2")
    no_answer(lesson09.check_frozen_residual)
    right(lesson09.check_wraps(30 / (2 * math.pi)))
    wrong(lesson09.check_wraps(30.0), "2π long")
    right(lesson09.check_windows(6))
    right(lesson09.check_windows(7, beta=31.0))
    wrong(lesson09.check_windows(5, beta=31.0), "smallest whole K")
    errs = {"plain": 0.8, "curriculum": 0.05}
    right(lesson09.check_best_strategy("curriculum", errs))
    wrong(lesson09.check_best_strategy("plain", errs), "median column")


# --- lesson 10 ---------------------------------------------------------------------------
def test_causal_weights_follow_the_paper():
    """w_i = exp(−ε Σ_{k<i} L_k), read from pinnkit's CausalResidual."""
    w = lesson10.causal_weights([0.5, 0.2, 0.1], 1.0)
    assert w == pytest.approx([1.0, math.exp(-0.5), math.exp(-0.7)], rel=1e-12)
    assert lesson10.causal_weights([3.0], 100.0) == [1.0]


def test_lesson10_checks():
    losses = [0.5, 0.2, 0.1]
    right(lesson10.check_causal_weight(math.exp(-0.7), losses, 1.0))
    right(lesson10.check_causal_weight(math.exp(-5.0), losses, 10.0, index=1))
    wrong(lesson10.check_causal_weight(math.exp(-0.8), losses, 1.0), "before")  # its own loss included
    no_answer(lesson10.check_causal_weight, losses, 1.0)
    right(lesson10.check_first_weight(1.0))
    wrong(lesson10.check_first_weight(0.0), "empty")
    right(lesson10.check_converged_loss(-math.log(0.99) / 100))
    wrong(lesson10.check_converged_loss(0.01), "exp(−ε S) = δ")
    errs = {"plain": 0.8, "causal": 0.1}
    right(lesson10.check_best_method("causal", errs))
    wrong(lesson10.check_best_method("plain", errs), "median column")


# --- lesson 14 ---------------------------------------------------------------------------
def test_lesson14_checks():
    right(lesson14.check_machine_epsilon(2.0 ** -23))
    right(lesson14.check_machine_epsilon(2.0 ** -52, "float64"))
    wrong(lesson14.check_machine_epsilon(1e-16), "2^−bits")
    no_answer(lesson14.check_machine_epsilon)
    right(lesson14.check_best_fd_step((2.0 ** -23) ** (1 / 3)))
    right(lesson14.check_best_fd_step(1e-2))  # within a factor 3 of ε^(1/3) = 4.9e-3
    wrong(lesson14.check_best_fd_step(2.0 ** -23), "ε/h")  # the step at machine precision
    wrong(lesson14.check_best_fd_step(0.1), "ε/h")
    right(lesson14.check_backward_passes(101, d=100))
    wrong(lesson14.check_backward_passes(2, d=100), "each second derivative")
    errs = {"float32": 2e-6, "float64": 3e-7}
    right(lesson14.check_precision_winner("float64", errs))
    wrong(lesson14.check_precision_winner("float32", errs), "smaller relative L2")


def test_laplacian_cost_counts_one_call_per_coordinate_and_is_exact():
    """d + 1 autograd calls, and the Laplacian it times is the true one (checked on u = Σ x_i²
    through a linear network would be trivial; here against torch.func's Hessian trace)."""
    import torch

    from pinnkit.models import MLP
    from pinnkit.problems.derivatives import laplacian

    for d in (1, 3, 5):
        assert lesson14.laplacian_cost(d, width=8, depth=1, num_points=4, repeats=1)["backward_passes"] == d + 1
    net = MLP(3, 1, 8, 2, seed=1).double()
    x = torch.rand(5, 3, dtype=torch.float64, requires_grad=True)
    lap = laplacian(net(x), x)[:, 0]
    hess = torch.func.vmap(torch.func.hessian(lambda p: net(p.unsqueeze(0))[0, 0]))(x.detach())
    assert torch.allclose(lap, hess.diagonal(dim1=1, dim2=2).sum(-1), atol=1e-10)
