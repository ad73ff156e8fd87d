"""Temporal residual profile, the recorder callback and the figures built on them."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from pinnkit import zoo  # noqa: E402
from pinnkit.diagnostics import Recorder  # noqa: E402
from pinnkit.diagnostics.temporal import (plot_causal_weights, plot_point_clouds,  # noqa: E402
                                          plot_temporal_heatmap, temporal_residual_profile)
from pinnkit.losses import CausalResidual  # noqa: E402
from pinnkit.models import MLP  # noqa: E402
from pinnkit.sampling import R3  # noqa: E402
from pinnkit.training import train  # noqa: E402


class Frozen(nn.Module):
    """u(x, t) = sin(x) · (1 + a t): its convection residual is a sin x + β (1 + a t) cos x."""

    def __init__(self, a=0.0):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(float(a), dtype=torch.float64))

    def forward(self, x):
        return torch.sin(x[:, :1]) * (1 + self.a * x[:, 1:2])


def test_profile_matches_the_closed_form():
    beta, a = 3.0, 2.0
    p = zoo.get("convection", beta=beta)
    t, L = temporal_residual_profile(p, Frozen(a), shape=(65, 11))
    xs = np.linspace(0, 2 * math.pi, 65)
    expected = [np.mean((a * np.sin(xs) + beta * (1 + a * tj) * np.cos(xs)) ** 2) for tj in t]
    np.testing.assert_allclose(t, np.linspace(0, 1, 11))
    np.testing.assert_allclose(L, expected, rtol=1e-10)
    # the exact solution has no residual
    class Exact(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros((), dtype=torch.float64))

        def forward(self, x):
            return torch.sin(x[:, :1] - beta * x[:, 1:2]) + 0 * self.w

    _, L0, field = temporal_residual_profile(p, Exact(), shape=(33, 9), return_field=True)
    assert field.shape == (33, 9) and np.max(L0) < 1e-24


def test_profile_needs_time():
    with pytest.raises(ValueError, match="time-dependent"):
        temporal_residual_profile(zoo.get("oscillator").replace(domain=__import__("pinnkit").problems.Interval(0, 1),
                                                                test_shape=(5,)), MLP(1, 1, 4, 1))


def test_recorder_snapshots_points_weights_and_figures():
    p = zoo.get("convection", beta=5.0)
    causal = CausalResidual.for_problem(p, num_slices=6, epsilons=(1.0,))
    rec = Recorder(every=4, shape=(16, 8), gradients=False, show_points=None)
    train(p, MLP(2, 1, 8, 2, seed=0), steps=10, sampler=R3(64), residual_loss=causal, callbacks=[rec],
          progress=False, condition_points=16, metrics=None)
    assert [s.step for s in rec.snapshots] == [0, 1, 4, 8, 10]
    for s in rec.snapshots:
        assert s.points.shape == (64, 2) and s.field("residual").shape == (16, 8) and s.causal_weights.shape == (6,)
        assert s.causal_weights[0] == 1.0 and np.all(np.diff(s.causal_weights) <= 0)
    assert rec.snapshots[-1].epsilon == 1.0 and rec.snapshots[-1].causal_losses.shape == (6,)
    steps, t, L = rec.heatmap()
    assert L.shape == (5, 8) and np.all(L > 0) and len(t) == 8
    # the profile is L_r(t) of the recorded field: mean over x of |R|²
    np.testing.assert_allclose(L[-1], (rec.snapshots[-1].field("residual") ** 2).mean(axis=0))
    steps_w, W = rec.causal_weight_map()
    assert W.shape == (5, 6)
    for fig in (plot_temporal_heatmap(steps, t, L), plot_point_clouds(rec.snapshots, p, panels=3),
                plot_causal_weights(causal.slice_centers, [s.causal_weights for s in rec.snapshots])):
        assert len(fig.axes) >= 1
        matplotlib.pyplot.close(fig)
