"""The exercise checks of lessons 00–06: each accepts the right answer, refuses wrong ones with a
hint of what to look at, and says "no answer yet" for the notebook's ``...`` placeholder."""
from __future__ import annotations

import math

import numpy as np
import pytest

from pinnkit.course import Result
from pinnkit.course import lesson00
from course_asserts import no_answer, right, wrong


# --- lesson 00 ---------------------------------------------------------------------------
def test_lesson00_checks():
    right(lesson00.check_frequency(math.sqrt(396)))
    right(lesson00.check_frequency(math.sqrt(64 - 1), d=1.0, w0=8.0))
    wrong(lesson00.check_frequency(20.0), "ω² = ω0² − d²")  # ω0 itself
    wrong(lesson00.check_frequency(20.0 / (2 * math.pi)), "ω² = ω0² − d²")  # a frequency in Hz
    no_answer(lesson00.check_frequency)
    right(lesson00.check_trivial_residual(0.0))
    wrong(lesson00.check_trivial_residual(400.0), "zero function")
    no_answer(lesson00.check_trivial_residual)
    outside = {"data alone": 1.9, "data + physics": 0.01}
    right(lesson00.check_better_outside("data + physics", outside))
    right(lesson00.check_better_outside(" Data + Physics ", outside))
    wrong(lesson00.check_better_outside("data alone", outside), "rel L2 outside")
    assert not lesson00.check_better_outside("physics", outside).ok  # not one of the labels
    no_answer(lesson00.check_better_outside, outside)


def test_lesson00_frequency_is_that_of_the_zoo_solution():
    """ω of the check is the one in pinnkit's exact oscillator solution: its zero crossings are π/ω apart."""
    from pinnkit import zoo

    d, w0 = 2.0, 20.0
    p = zoo.get("oscillator", d=d, w0=w0)
    t = np.linspace(0, 1, 200001)
    v = p.reference_on(t[:, None])[:, 0] * np.exp(d * t)  # cos ωt + (d/ω) sin ωt: crossings π/ω apart
    crossings = t[1:][np.sign(v[1:]) != np.sign(v[:-1])]
    omega = math.pi / np.mean(np.diff(crossings))
    right(lesson00.check_frequency(omega, d=d, w0=w0))


def test_lesson00_fit_splits_the_error_at_the_window_and_refuses_bad_windows():
    f = lesson00.fit_oscillator(False, steps=5, t_data=0.5)
    inside = f.t <= 0.5
    exact_in = np.linalg.norm(f.pred[inside] - f.exact[inside]) / np.linalg.norm(f.exact[inside])
    assert f.rel_l2_inside == pytest.approx(exact_in)
    assert f.history.final["step"] == 5
    with pytest.raises(ValueError, match="t_data"):
        lesson00.fit_oscillator(True, t_data=0.0)
    with pytest.raises(ValueError, match="observations"):
        lesson00.fit_oscillator(True, observations=1)
