"""Shared fixtures for the unit tests (one thread, fixed seeds, small problems)."""
from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Unit tests run on one thread: results are bit-reproducible and the machine is shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def xt_domain():
    """The Burgers box [-1, 1] × [0, 1] with names ("x", "t")."""
    from pinnkit.problems import Interval, TimeDomain

    return TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)


@pytest.fixture
def points64():
    """64 random points of [-1, 1] × [0, 1] in float64 with requires_grad."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 2, generator=g, dtype=torch.float64)
    x[:, 0] = 2 * x[:, 0] - 1
    return x.requires_grad_(True)


@pytest.fixture
def small_oscillator():
    """A gentle damped oscillator (d = 1, ω0 = 4) that a 16×2 network learns in a few hundred steps."""
    from pinnkit import zoo

    return zoo.get("oscillator", d=1.0, w0=4.0)
