"""The exercise-check building blocks of ``pinnkit.course``: right answers pass, wrong ones
are refused with a message that says which way they are off, missing answers are named."""
import math

import pytest

from pinnkit.course import Result, check_choice, check_number, check_true


def test_check_number_accepts_within_tolerance_and_says_direction():
    right = check_number(math.cos(1.0) * 1.01, math.cos(1.0), name="u'(1)", rtol=0.02)
    assert right.ok and bool(right) and "expected 0.5403" in right.message
    low = check_number(0.3, math.cos(1.0), name="u'(1)", rtol=0.02, hint="differentiate sin")
    assert not low.ok and "too small" in low.message and "differentiate sin" in low.message
    high = check_number(0.9, math.cos(1.0), name="u'(1)", rtol=0.02)
    assert not high.ok and "too large" in high.message
    assert check_number(1e-9, 0.0, name="zero", atol=1e-6).ok
    assert not check_number(float("nan"), 1.0, name="nan").ok


def test_missing_or_malformed_answers_are_named():
    with pytest.raises(ValueError, match="no answer yet"):
        check_number(..., 1.0, name="E0")
    with pytest.raises(TypeError, match="E0: the answer should be a number"):
        check_number("big", 1.0, name="E0")
    with pytest.raises(ValueError, match="choose one of"):
        check_choice(None, "adam", name="optimiser", choices=["adam", "lbfgs"])


def test_check_choice_normalises_strings_and_rejects_unknown_choices():
    assert check_choice(" L-BFGS ", "l-bfgs", name="opt", choices=["adam", "L-BFGS"]).ok
    wrong = check_choice("adam", "l-bfgs", name="opt", choices=["adam", "L-BFGS"], hint="which one uses curvature?")
    assert not wrong.ok and "curvature" in wrong.message
    outside = check_choice("sgd", "l-bfgs", name="opt", choices=["adam", "L-BFGS"])
    assert not outside.ok and "not one of the choices" in outside.message


def test_result_renders_in_text_and_markdown():
    r = check_true(False, name="error below 1e-2", right="yes", wrong="train longer")
    assert isinstance(r, Result) and repr(r).startswith("✗ not yet") and "train longer" in r._repr_markdown_()
    assert repr(check_true(True, name="x", right="yes", wrong="no")).startswith("✓ right")
