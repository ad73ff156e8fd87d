"""Assertions shared by the tests of the course's exercise checks (``pinnkit.course``): a check
accepts the right answer, refuses a wrong one with a hint that points at what to look at, and
says "no answer yet" for the notebook's ``...`` placeholder."""
from __future__ import annotations

import pytest

from pinnkit.course import Result


def right(r: Result):
    assert isinstance(r, Result) and r.ok, r


def wrong(r: Result, hint: str):
    assert isinstance(r, Result) and not r.ok, r
    assert hint.lower() in r.message.lower(), f"the message should point at {hint!r}: {r.message}"


def no_answer(check, *args, **kwargs):
    with pytest.raises(ValueError, match="no answer yet"):
        check(..., *args, **kwargs)
