"""Diagnostics over time for time-dependent problems.

- :func:`temporal_residual_profile` — ``L_r(t) = mean_x |R(x, t)|²`` on a grid: where in
  time the network fails to satisfy the PDE (causal training's diagnostic, Wang,
  Sankaran & Perdikaris, arXiv 2203.07404, Fig. 2).
- Figures from the snapshots of a :class:`~pinnkit.diagnostics.Recorder` (which keeps the
  residual field, its profile L_r(t), the residual point cloud and the causal weights: the
  material of the "propagation failure" pictures of Daw et al., ICML 2023, and of the
  causal-training heat maps): :func:`plot_temporal_heatmap` (L_r(t) over training),
  :func:`plot_causal_weights`, :func:`plot_point_clouds` (points over training, on the
  residual field when recorded).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib
import numpy as np

from ..problems.problem import Problem
from .fields import residual_field
from .recorder import profile_of_field

__all__ = ["profile_of_field", "temporal_residual_profile", "plot_temporal_heatmap", "plot_causal_weights",
           "plot_point_clouds"]


def _figure(*args, **kwargs):
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def _grid_shape(problem: Problem, shape) -> tuple[int, ...]:
    if not problem.domain.is_time_dependent:
        raise ValueError(f"{problem.name} is not time-dependent (its last coordinate is not 't')")
    shape = tuple(shape) if shape is not None else tuple(problem.test_shape)
    if len(shape) != problem.domain.dim:
        raise ValueError(f"grid shape {shape} needs {problem.domain.dim} entries")
    return shape


def temporal_residual_profile(problem: Problem, model, shape: Sequence[int] | None = None,
                              params: Mapping | None = None, return_field: bool = False):
    """``(t (n_t,), L_r(t) (n_t,))`` with ``L_r(t_j) = mean_x |R(x, t_j)|²`` over a grid of
    ``shape`` (default the problem's test grid; time is the last axis). With
    ``return_field`` also the field ``|R|`` of that shape."""
    shape = _grid_shape(problem, shape)
    x = problem.test_grid(shape)
    r = residual_field(problem, model, x, params).reshape(shape)
    t = np.unique(x[:, -1])
    prof = profile_of_field(r)
    return (t, prof, r) if return_field else (t, prof)


def plot_temporal_heatmap(steps: np.ndarray, t: np.ndarray, profiles: np.ndarray, title: str = "", ax=None):
    """Heat map of ``L_r(t)`` (log colour) over training: x = time, y = step."""
    if ax is None:
        fig, ax = _figure(figsize=(5, 3.2), constrained_layout=True)
    else:
        fig = ax.figure
    z = np.asarray(profiles, float)
    pos = z[z > 0]
    lo = max(pos.min(), pos.max() * 1e-8) if pos.size else 1e-12
    norm = matplotlib.colors.LogNorm(vmin=lo, vmax=max(z.max(), lo * 10))
    m = ax.pcolormesh(t, steps, np.maximum(z, lo), shading="auto", cmap="magma", norm=norm)
    fig.colorbar(m, ax=ax, label=r"$L_r(t)$")
    ax.set_xlabel("t")
    ax.set_ylabel("training step")
    ax.set_title(title or r"temporal residual $L_r(t)$ over training")
    return fig


def plot_causal_weights(t: np.ndarray, weights: Sequence[np.ndarray], labels: Sequence[str] | None = None,
                        delta: float | None = 0.99, ax=None):
    """Causal weights ``w_i`` against slice time for several moments of training."""
    if ax is None:
        fig, ax = _figure(figsize=(5, 3.2), constrained_layout=True)
    else:
        fig = ax.figure
    labels = list(labels) if labels is not None else [None] * len(weights)
    for w, lab in zip(weights, labels):
        ax.plot(t, w, lw=1.5, label=lab)
    if delta is not None:
        ax.axhline(delta, color="k", ls=":", lw=1, label=f"δ = {delta}")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("t")
    ax.set_ylabel("causal weight $w_i$")
    ax.legend(fontsize=7)
    return fig


def plot_point_clouds(snapshots: Sequence, problem: Problem, panels: int = 4, title: str = "",
                      max_points: int = 2000):
    """Residual points at ``panels`` moments of training, over the recorded |R| field
    (``snapshots``: :class:`~pinnkit.diagnostics.recorder.Snapshot` s of a
    :class:`~pinnkit.diagnostics.Recorder` with ``show_points=None``). Time on the x axis."""
    if not snapshots:
        raise ValueError("no snapshots to plot")
    idx = np.unique(np.linspace(0, len(snapshots) - 1, min(panels, len(snapshots))).round().astype(int))
    fig, axes = _figure(1, len(idx), figsize=(3.3 * len(idx), 3.0), constrained_layout=True, squeeze=False)
    names = problem.domain.names
    for ax, i in zip(axes[0], idx):
        s = snapshots[i]
        if len(s.shape) == 2:
            f = s.field("residual")
            x0 = np.linspace(problem.domain.low[0], problem.domain.high[0], s.shape[0])
            t = np.linspace(problem.domain.low[-1], problem.domain.high[-1], s.shape[-1])
            pos = f[f > 0]
            lo = max(pos.min(), f.max() * 1e-6) if pos.size else 1e-12
            ax.pcolormesh(t, x0, np.maximum(f, lo), shading="auto", cmap="Greys",
                          norm=matplotlib.colors.LogNorm(vmin=lo, vmax=max(f.max(), lo * 10)))
        if s.points is not None:
            p = s.points[:max_points]
            ax.scatter(p[:, -1], p[:, 0], s=2, c="tab:red", alpha=0.6, linewidths=0)
        ax.set_xlim(problem.domain.low[-1], problem.domain.high[-1])
        ax.set_ylim(problem.domain.low[0], problem.domain.high[0])
        ax.set_xlabel(names[-1])
        ax.set_ylabel(names[0])
        ax.set_title(f"step {s.step}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
