"""``pinnkit.diagnostics.residual_at_points``: mean |R| at points / mean |R| on the grid,
checked against residuals computed by hand."""
import math

import numpy as np
import pytest
import torch

from pinnkit.diagnostics import residual_at_points, residual_field
from pinnkit.problems import zoo


class SinX(torch.nn.Module):
    """u(x, t) = sin x: not a convection solution; its residual is u_t + β u_x = β cos x."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, z):
        return torch.sin(z[:, :1]) + 0 * self.unused


def test_convection_residual_of_sin_x_against_closed_form():
    torch.set_num_threads(1)
    beta, shape = 30.0, (201, 11)
    problem = zoo.get("convection", beta=beta)
    x = problem.test_grid(shape)
    field = residual_field(problem, SinX(), x).reshape(shape)
    axes = [np.unique(x[:, 0]), np.unique(x[:, 1])]
    hand = beta * np.abs(np.cos(axes[0]))[:, None] * np.ones(shape[1])
    np.testing.assert_allclose(field, hand, atol=1e-9)
    # points where |cos x| = 1 (x = 0, π, 2π) at any time: |R| = β there; the grid mean of β|cos x|
    # tends to 2β/π, so the ratio tends to π/2
    pts = np.array([[0.0, 0.3], [math.pi, 0.5], [2 * math.pi, 0.9]])
    ratio = residual_at_points(field, axes, pts)
    assert ratio == pytest.approx(beta / hand.mean(), rel=1e-12)
    assert ratio == pytest.approx(math.pi / 2, rel=1e-2)
    # points where cos x = 0: the residual vanishes there
    assert residual_at_points(field, axes, np.array([[math.pi / 2, 0.1], [1.5 * math.pi, 0.7]])) < 1e-2
    # every grid node once: exactly the grid mean
    assert residual_at_points(field, axes, x) == pytest.approx(1.0, rel=1e-12)


def test_nearest_node_lookup_on_a_linear_field():
    axes = [np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0])]
    f = 1 + axes[0][:, None] + 2 * axes[1][None, :]  # f(x, t) = 1 + x + 2t; grid mean 1 + 1 + 1 = 3
    # (0.4, 0.2) -> node (0, 0): f = 1; (1.6, 0.3) -> (2, 0.5): f = 4; (5, -1) outside -> (2, 0): f = 3
    pts = np.array([[0.4, 0.2], [1.6, 0.3], [5.0, -1.0]])
    assert residual_at_points(f, axes, pts) == pytest.approx((1 + 4 + 3) / 3 / 3, rel=1e-12)


def test_uniform_points_give_about_one():
    rng = np.random.default_rng(0)
    xs, ts = np.linspace(0, 1, 65), np.linspace(0, 1, 33)
    f = np.exp(3 * xs)[:, None] * (1 + ts)[None, :]
    pts = rng.uniform(0, 1, size=(20000, 2))
    assert residual_at_points(f, [xs, ts], pts) == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("field, axes, points, match", [
    (np.ones((3, 2)), [np.arange(3.0)], np.zeros((1, 2)), "axes"),
    (np.ones((3, 2)), [np.arange(3.0), np.arange(2.0)], np.zeros((1, 3)), "points"),
    (np.ones((3, 2)), [np.arange(3.0), np.arange(2.0)], np.zeros((0, 2)), "points"),
    (np.ones((3, 2)), [np.arange(3.0)[::-1], np.arange(2.0)], np.zeros((1, 2)), "increasing"),
    (np.ones((3, 2)), [np.arange(4.0), np.arange(2.0)], np.zeros((1, 2)), "length 3"),
    (np.zeros((3, 2)), [np.arange(3.0), np.arange(2.0)], np.zeros((1, 2)), "positive"),
    (np.full((3, 2), np.nan), [np.arange(3.0), np.arange(2.0)], np.zeros((1, 2)), "finite"),
])
def test_bad_input_is_a_clear_error(field, axes, points, match):
    with pytest.raises(ValueError, match=match):
        residual_at_points(field, axes, points)
