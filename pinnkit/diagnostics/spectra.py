"""Neural tangent kernel spectra per loss term (Wang, Yu & Perdikaris, "When and why PINNs
fail to train: a neural tangent kernel perspective", JCP 449, 2022; arXiv 2007.14527).

For term j with per-point residuals ``r_j: (N_j,)`` (boundary values minus data, or PDE
residuals) and ``J_j = ∂r_j/∂θ: (N_j, P)``, the term's kernel is ``K_j = J_j J_jᵀ``
(``N_j × N_j``). Gradient flow on ``Σ_j mean r_j²`` moves ``r_j`` along ``K_j``: terms
whose kernel eigenvalues are small converge slowly. The paper's remedy (NTK weighting,
:class:`pinnkit.balancing.NTKWeights`) sets ``λ_j = tr(K) / tr(K_j)``.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from .conditioning import residual_jacobians

__all__ = ["ntk_spectra", "ntk_trace_weights", "plot_ntk_spectra"]


def ntk_spectra(problem, model, points: Mapping[str, np.ndarray | torch.Tensor], params: Mapping | None = None,
                dtype: torch.dtype = torch.float64) -> dict[str, np.ndarray]:
    """Eigenvalues of ``K_j = J_j J_jᵀ`` for each term, sorted in decreasing order.

    ``points``: ``{"residual": (N, d), <condition>: (N_c, d), ...}``. Returns
    ``{name: (N_j·k,) eigenvalues}`` (non-negative up to round-off, computed in float64
    on a copy of the model).
    """
    out = {}
    for name, (_, J) in residual_jacobians(problem, model, points, params, dtype).items():
        K = (J @ J.T).double()
        ev = torch.linalg.eigvalsh(K).numpy()[::-1]
        out[name] = np.clip(ev, 0.0, None).copy()
    return out


def ntk_trace_weights(spectra: Mapping[str, np.ndarray]) -> dict[str, float]:
    """``λ_j = tr(K) / tr(K_j)`` with ``tr(K) = Σ_j tr(K_j)`` from per-term eigenvalues."""
    traces = {n: float(np.sum(ev)) for n, ev in spectra.items()}
    total = sum(traces.values())
    if any(t <= 0 for t in traces.values()):
        raise ValueError(f"every term needs a positive kernel trace; got {traces}")
    return {n: total / t for n, t in traces.items()}


def plot_ntk_spectra(spectra_by_label: Mapping[str, Mapping[str, np.ndarray]], title: str = ""):
    """One panel per label (e.g. training step), eigenvalues of each term's kernel in
    decreasing order on log axes."""
    import matplotlib.pyplot as plt

    labels = list(spectra_by_label)
    fig, axes = plt.subplots(1, len(labels), figsize=(3.6 * len(labels), 3.0), constrained_layout=True,
                             squeeze=False, sharey=True)
    for ax, label in zip(axes[0], labels):
        for term, ev in spectra_by_label[label].items():
            ev = np.asarray(ev)
            ax.loglog(np.arange(1, len(ev) + 1), np.maximum(ev, 1e-300), lw=1.2, label=term)
        ax.set_title(str(label))
        ax.set_xlabel("index")
    axes[0][0].set_ylabel("eigenvalue of K_j")
    axes[0][0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig
