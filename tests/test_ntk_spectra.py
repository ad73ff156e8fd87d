"""Per-term NTK spectra: eigenvalues of K_j = J_j J_jᵀ agree with the trace used by NTK
weighting, and the trace weights follow λ_j = tr(K)/tr(K_j)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnkit.balancing import ntk_trace
from pinnkit.diagnostics import ntk_spectra, ntk_trace_weights
from pinnkit.losses import term_residual
from pinnkit.models import MLP


def test_spectra_match_trace_and_weights(small_oscillator):
    model = MLP(1, 1, 8, 2, seed=0).double()
    rng = np.random.default_rng(0)
    pts = {"residual": rng.random((20, 1)), "initial": np.zeros((1, 1)), "initial_velocity": np.zeros((1, 1))}
    spec = ntk_spectra(small_oscillator, model, pts)
    assert set(spec) == set(pts)
    assert len(spec["residual"]) == 20 and np.all(np.diff(spec["residual"]) <= 1e-9)  # sorted, decreasing
    tpts = {k: torch.as_tensor(v) for k, v in pts.items()}
    params = list(model.parameters())
    for name, ev in spec.items():
        r = term_residual(small_oscillator, model, name, tpts[name], small_oscillator.values)
        assert ev.sum() == pytest.approx(ntk_trace(r, params), rel=1e-9)
    w = ntk_trace_weights(spec)
    total = sum(ev.sum() for ev in spec.values())
    assert w["residual"] == pytest.approx(total / spec["residual"].sum(), rel=1e-12)
    with pytest.raises(ValueError, match="positive kernel trace"):
        ntk_trace_weights({"a": np.zeros(3), "b": np.ones(3)})
