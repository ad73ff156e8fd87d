"""Static matplotlib figures: fields (prediction | reference | error | residual) and
loss curves. Figures are returned, not shown, so notebooks and the gallery decide."""
from __future__ import annotations

import matplotlib

import numpy as np

from ..training.history import History
from .fields import Fields

__all__ = ["plot_fields", "plot_losses"]


def _figure(*args, **kwargs):
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def plot_fields(f: Fields, title: str = ""):
    """Four panels for 2D problems (heat maps over the grid), or curves for 1D."""
    panels = [("prediction", f.pred)]
    if f.ref is not None:
        panels += [("reference", f.ref), ("|error|", f.error)]
    panels.append(("|residual|", f.residual))
    fig, axes = _figure(1, len(panels), figsize=(3.6 * len(panels), 3.0), constrained_layout=True)
    names = f.problem.domain.names
    for ax, (label, z) in zip(np.atleast_1d(axes), panels):
        if len(f.shape) == 1:
            ax.plot(f.axes[0], z, lw=1.5)
            if label == "prediction" and f.ref is not None:
                ax.plot(f.axes[0], f.ref, "k--", lw=1, label="reference")
                ax.legend(fontsize=7)
            if label.startswith("|"):
                ax.set_yscale("log")
            ax.set_xlabel(names[0])
        else:
            a0, a1 = f.axes[0], f.axes[1]
            norm = matplotlib.colors.LogNorm(vmin=max(z.max() * 1e-6, 1e-12), vmax=max(z.max(), 1e-11)) \
                if label.startswith("|") else None
            m = ax.pcolormesh(a1, a0, z, shading="auto", cmap="viridis" if norm else "RdBu_r", norm=norm)
            fig.colorbar(m, ax=ax, shrink=0.85)
            ax.set_xlabel(names[1])
            ax.set_ylabel(names[0])
        ax.set_title(label)
    if title or f.rel_l2 is not None:
        fig.suptitle(title + (f"  rel L2 = {f.rel_l2:.2e}" if f.rel_l2 is not None else ""))
    return fig


def plot_losses(history: History, title: str = ""):
    """Per-term loss curves (log scale) and, if recorded, the relative L2 error."""
    has_metric = "metric/rel_l2" in history.columns
    fig, axes = _figure(1, 2 if has_metric else 1, figsize=(9 if has_metric else 5, 3.2), constrained_layout=True)
    axes = np.atleast_1d(axes)
    for term in history.terms("loss/"):
        s, v = history.where(f"loss/{term}")
        axes[0].semilogy(s, v, label=term, lw=1)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=8)
    if has_metric:
        s, v = history.where("metric/rel_l2")
        axes[1].semilogy(s, v, "k.-", lw=1)
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("relative L2")
    if title:
        fig.suptitle(title)
    return fig
