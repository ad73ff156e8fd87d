"""The exercise checks and helpers of lesson 04 (inverse problems and identifiability): each check
accepts the right answer, refuses wrong ones with a hint of what to look at, and says "no answer yet"
for the notebook's ``...`` placeholder; the helpers are tested against closed forms and a real run."""
from __future__ import annotations

import math

import numpy as np
import pytest

from pinnkit.course import Result
from pinnkit.course import lesson04 as L
from course_asserts import no_answer, right, wrong


def test_log_step_is_the_chain_rule():
    # ∂L/∂s = κ ∂L/∂κ, so κ1 = κ0 exp(−lr κ0 g)
    for kappa0, g, lr in ((0.05, 20.0, 0.01), (1e-3, -5.0, 0.1), (2.0, 0.3, 1.0)):
        assert L.log_step(kappa0, g, lr) == pytest.approx(kappa0 * math.exp(-lr * kappa0 * g), rel=1e-12)
    assert 0 < L.log_step(1e-3, 1e4, 1.0) < 1e-3  # a step that would take κ0 − lr·g far below 0
    with pytest.raises(ValueError, match="positive"):
        L.log_step(0.0, 1.0, 0.1)


def test_check_log_step():
    right(L.check_log_step(0.05 * math.exp(-0.01 * 0.05 * 20.0), kappa0=0.05, grad_kappa=20.0, lr=0.01))
    wrong(L.check_log_step(0.05 - 0.01 * 20.0, kappa0=0.05, grad_kappa=20.0, lr=0.01), "the step is taken on s")
    wrong(L.check_log_step(0.05 * math.exp(-0.01 * 20.0), kappa0=0.05, grad_kappa=20.0, lr=0.01), "κ·∂L/∂κ")
    no_answer(L.check_log_step)


def test_check_relative_error():
    assert L.relative_error(0.098, 0.1) == pytest.approx(0.02)
    right(L.check_relative_error(0.02, 0.098, 0.1))
    wrong(L.check_relative_error(0.002, 0.098, 0.1), "divide by the true value")  # the absolute error
    no_answer(L.check_relative_error, 0.098, 0.1)
    with pytest.raises(ValueError, match="true value is 0"):
        L.relative_error(1.0, 0.0)


def test_check_first_identified():
    errors = {5: [0.2, 0.005], 20: [0.008, 0.009], 100: [0.001, 0.002]}
    assert L.first_identified(errors, 0.01) == 20  # 5 has one bad seed: the worst seed decides
    right(L.check_first_identified(20, errors))
    right(L.check_first_identified("20", errors))
    wrong(L.check_first_identified(5, errors), "worst seed")
    wrong(L.check_first_identified(100, errors), "worst seed")
    assert not L.check_first_identified(7, errors).ok  # not a choice
    assert not L.check_first_identified(True, errors).ok
    no_answer(L.check_first_identified, errors)
    none = {5: [0.2], 20: [0.05]}
    assert L.first_identified(none, 0.01) == "none"
    right(L.check_first_identified("none", none))
    right(L.check_first_identified(" None", none))
    wrong(L.check_first_identified(20, none), "worst seed")
    with pytest.raises(ValueError, match="no measured"):
        L.first_identified({}, 0.01)


def test_check_not_identifiable():
    errors = {"clean": [0.01, 0.02, 0.005], "noisy": [0.05, 0.1, 0.03], "t = 0": [0.5, 0.4, 0.01]}
    right(L.check_not_identifiable("t = 0", errors))   # the largest median, even with one lucky seed
    right(L.check_not_identifiable(" T = 0", errors))
    wrong(L.check_not_identifiable("noisy", errors), "where do its observations sit")
    assert not L.check_not_identifiable("other", errors).ok
    no_answer(L.check_not_identifiable, errors)
    with pytest.raises(ValueError, match="no measured"):
        L.check_not_identifiable("x", {})


def test_trajectory_reads_the_unknown_from_a_real_run():
    import torch

    from pinnkit import RunConfig
    from pinnkit.recipes import run

    torch.set_num_threads(1)
    cfg = RunConfig(problem="heat", parameters={"kappa": 0.1}, data={"points": 20},
                    unknowns={"kappa": {"init": 0.05, "log": True}}, width=8, depth=2, num_points=64,
                    condition_points=16, steps=30, eval_every=30)
    r = run(cfg, progress=False)
    assert r.problem.log_unknowns == ("kappa",) and r.problem.truth == {"kappa": 0.1}
    steps, values = L.trajectory(r.history, "kappa")
    assert len(steps) == 30 and values[0] == pytest.approx(0.05, rel=0.02)
    assert np.all(values > 0) and values[-1] != values[0]
    assert values[-1] == pytest.approx(r.metrics["unknown/kappa"], rel=0.05)
    with pytest.raises(KeyError, match="unknown/nu"):
        L.trajectory(r.history, "nu")
