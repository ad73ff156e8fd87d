"""Static figures for the conditioning and transport diagnostics. Each takes the numbers
computed by :mod:`.conditioning` / :mod:`.transport` (dicts keyed by a label) and returns
a matplotlib figure without showing it."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .conditioning import LinearisedOperator
from .transport import ErrorSpectrum

__all__ = ["plot_operator_spectrum", "plot_singular_values", "plot_error_spectrum", "plot_gradient_histograms"]


def _figure(*args, **kwargs):
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def plot_operator_spectrum(ops: Mapping[str, LinearisedOperator], title: str = ""):
    """Left: eigenvalues of ``A`` over ``λ_max`` (log scale). Right: the cumulative share of
    the loss carried by eigen-directions with ``λ/λ_max`` above each value (where the
    residual sits in the spectrum)."""
    fig, (a0, a1) = _figure(1, 2, figsize=(9, 3.2), constrained_layout=True)
    for label, op in ops.items():
        lam = op.eigenvalues / op.eigenvalues[0]
        a0.semilogy(np.arange(1, lam.size + 1), np.maximum(lam, 1e-300), lw=1.2, label=label)
        share = np.cumsum(op.energy) / max(op.energy.sum() + op.unreachable, 1e-300)
        a1.semilogx(np.maximum(lam, 1e-300), share, lw=1.2, label=label)
    a0.set_xlabel("index i")
    a0.set_ylabel("λ_i / λ_max")
    a1.set_xlabel("λ / λ_max")
    a1.set_ylabel("share of loss in modes ≥ λ")
    a1.invert_xaxis()
    a0.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def plot_singular_values(svs: Mapping[str, np.ndarray], title: str = "", floor: float = 1e-16):
    """Normalised singular values ``σ_i/σ_1`` of snapshot matrices (log scale)."""
    fig, ax = _figure(figsize=(5, 3.2), constrained_layout=True)
    for label, sv in svs.items():
        sv = np.asarray(sv, float)
        ax.semilogy(np.arange(1, sv.size + 1), np.maximum(sv / sv[0], floor), ".-", ms=3, lw=1, label=label)
    ax.set_xlabel("n")
    ax.set_ylabel("σ_n / σ_1")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return fig


def plot_error_spectrum(spectra: Mapping[str, ErrorSpectrum], title: str = ""):
    """Time-averaged error amplitude against wavenumber (log scale)."""
    fig, ax = _figure(figsize=(5, 3.2), constrained_layout=True)
    for label, s in spectra.items():
        a = s.amplitude if s.amplitude.ndim == 1 else np.sqrt((s.amplitude**2).mean(1))
        ax.semilogy(s.wavenumber[1:], np.maximum(a[1:], 1e-300), lw=1.2, label=label)
    ax.set_xlabel("wavenumber k")
    ax.set_ylabel("|error| amplitude")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return fig


def plot_gradient_histograms(hists: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str = ""):
    """Per-term histograms of gradient entries (from :func:`gradient_histograms`)."""
    fig, ax = _figure(figsize=(5, 3.2), constrained_layout=True)
    for label, (counts, edges) in hists.items():
        centres = (edges[:-1] + edges[1:]) / 2
        ax.plot(centres, counts, lw=1.2, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("∂L/∂θ entry")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return fig
