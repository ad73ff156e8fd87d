"""Recording a notebook's headline numbers where tests and the gallery can read them.

``record("01_burgers", rel_l2=..., paper_rel_l2=6.7e-4)`` writes
``$PINNKIT_RESULTS/01_burgers.json`` (default ``build/results``) atomically and returns
the numbers; :func:`paper_table` renders a "paper reports | pinnkit gets" table as
Markdown. Quick mode is read from ``PINNKIT_QUICK`` (``1`` by default in tests).
"""
from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path
from typing import Sequence

from .training.history import atomic_write_text

__all__ = ["quick_mode", "results_dir", "record", "paper_table"]


def quick_mode() -> bool:
    """True unless ``PINNKIT_QUICK`` is ``0``/``false``/``no``."""
    return os.environ.get("PINNKIT_QUICK", "1").strip().lower() not in ("0", "false", "no", "")


def results_dir() -> Path:
    return Path(os.environ.get("PINNKIT_RESULTS", "build/results"))


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "tolist"):  # numpy / torch scalars and arrays
        return _clean(v.tolist())
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def record(notebook: str, **numbers) -> dict:
    """Write ``numbers`` (plus the mode) as JSON for tests and the gallery; return them."""
    data = {"notebook": notebook, "quick": quick_mode(), **{k: _clean(v) for k, v in numbers.items()}}
    atomic_write_text(results_dir() / f"{notebook}.json", json.dumps(data, indent=2))
    return data


def paper_table(rows: Sequence[dict], columns: Sequence[str] = ("method", "paper reports", "setting",
                                                                "pinnkit gets", "our budget")) -> str:
    """A Markdown table from dicts keyed by ``columns`` (floats shown as ``1.23e-03``)."""
    def fmt(v):
        if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral):  # numpy floats too
            return f"{v:.2e}"
        return "—" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
