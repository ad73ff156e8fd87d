"""Exercise checks for the course in ``notebooks/``.

A lesson asks the student to type an answer into a cell and call a check, e.g.::

    from pinnkit.course import lesson01 as L
    answer = 0.54            # your answer
    L.check_derivative(answer)

Each lesson has its own module ``pinnkit.course.lessonNN`` whose ``check_...`` functions
compute the expected value themselves (from a closed form or by running pinnkit) and return
a :class:`Result`: it prints *right* or *not yet* with a hint of what to look at, and tests
assert on ``Result.ok``. The building blocks are :func:`check_number`, :func:`check_choice`
and :func:`check_true`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Result", "check_number", "check_choice", "check_true"]


@dataclass(frozen=True)
class Result:
    """The outcome of one exercise check: ``ok``, which exercise, and the message shown."""

    ok: bool
    name: str
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        mark = "✓ right" if self.ok else "✗ not yet"
        return f"{mark} — {self.name}: {self.message}"

    def _repr_markdown_(self) -> str:  # shown as the cell's output in JupyterLab
        colour = "green" if self.ok else "#b00"
        mark = "✓ right" if self.ok else "✗ not yet"
        return f"<b style='color:{colour}'>{mark}</b> — <b>{self.name}</b>: {self.message}"


def _as_float(answer: Any, name: str) -> float:
    if answer is None or answer is Ellipsis:
        raise ValueError(f"{name}: no answer yet — replace the ... with your answer")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: the answer should be a number, got {answer!r}") from None
    return value


def check_number(answer: Any, expected: float, *, name: str, rtol: float = 0.05,
                 atol: float = 0.0, hint: str = "") -> Result:
    """Right when ``|answer - expected| <= atol + rtol * |expected|``. The message says how
    far off a wrong answer is and gives ``hint`` (what to look at)."""
    value = _as_float(answer, name)
    if not math.isfinite(value):
        return Result(False, name, f"your answer {value} is not a finite number. {hint}".strip())
    tol = atol + rtol * abs(expected)
    if abs(value - expected) <= tol:
        return Result(True, name, f"{value:.4g} (expected {expected:.4g}, tolerance ±{tol:.2g})")
    direction = "too large" if value > expected else "too small"
    return Result(False, name, f"{value:.4g} is {direction} (tolerance ±{tol:.2g}). {hint}".strip())


def check_choice(answer: Any, expected: Any, *, name: str, choices: Iterable[Any],
                 hint: str = "") -> Result:
    """Right when ``answer`` equals ``expected``; an answer outside ``choices`` is refused
    with the list of valid choices. Strings compare case- and space-insensitively."""
    choices = list(choices)
    norm = (lambda v: v.strip().lower()) if isinstance(expected, str) else (lambda v: v)
    if answer is None or answer is Ellipsis:
        raise ValueError(f"{name}: no answer yet — choose one of {choices}")
    if isinstance(expected, str) and not isinstance(answer, str):
        return Result(False, name, f"choose one of {choices} (as a string), got {answer!r}")
    if norm(answer) not in [norm(c) for c in choices]:
        return Result(False, name, f"{answer!r} is not one of the choices {choices}")
    if norm(answer) == norm(expected):
        return Result(True, name, f"{answer!r}")
    return Result(False, name, f"{answer!r} is not it. {hint}".strip())


def check_true(condition: bool, *, name: str, right: str, wrong: str) -> Result:
    """A check whose condition the lesson computes (e.g. "your error is below 1e-2")."""
    return Result(bool(condition), name, right if condition else wrong)
