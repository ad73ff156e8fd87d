"""Recording a notebook's headline numbers and paper claims where tests and the gallery can read them.

``record("03_optimisers_precision", burgers_rel_l2=..., paper_rel_l2=6.7e-4)`` writes
``$PINNKIT_RESULTS/03_optimisers_precision.json`` (default ``build/results``) atomically and returns
what it wrote: the numbers, the mode (``"quick"``), a :func:`stamp` saying what produced
them (commit, torch, CPU, threads, date), and, with ``claims=[Claim(...), ...]``, one row
per paper claim the notebook checks, each with its verdict.

Small helpers shared by the notebooks: :func:`spread` and :func:`summary` (median and
range over seeds), :func:`fmt` (``"1.23e-02 [1.0e-02, 1.5e-02]"``), :func:`paper_table`
(a "paper reports | pinnkit gets" table as Markdown) and :func:`verdict`.

Quick mode (:func:`quick_mode`) is for tests: it is on only when ``PINNKIT_QUICK`` is
``1``, ``true`` or ``yes``. The test suite sets it; a notebook opened by a person runs its
real budget.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import platform
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from .training.history import atomic_write_text

__all__ = ["quick_mode", "results_dir", "store_dir", "record", "paper_table", "settings_table", "spread", "summary",
           "fmt", "stamp", "Claim", "verdict", "VERDICTS", "values_at"]

#: the verdicts a :class:`Claim` may carry, from best to worst
VERDICTS = ("reproduced", "partly", "not reproduced")

_TRUE = ("1", "true", "yes")


def quick_mode() -> bool:
    """True only when ``PINNKIT_QUICK`` is ``1``/``true``/``yes`` (any case); unset means full budgets."""
    return os.environ.get("PINNKIT_QUICK", "").strip().lower() in _TRUE


def results_dir() -> Path:
    """Where :func:`record` writes: ``$PINNKIT_RESULTS``, default ``build/results``."""
    return Path(os.environ.get("PINNKIT_RESULTS", "build/results"))


# --- numbers over seeds ----------------------------------------------------------------
def _floats(values, what: str = "values") -> list[float]:
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what} must be a sequence of numbers, got {type(values).__name__}")
    out = [float(v) for v in values]
    if not out:
        raise ValueError(f"{what} is empty: need at least one number (one per seed)")
    return out


def spread(values) -> tuple[float, float, float]:
    """``(median, min, max)`` of a sequence of numbers, e.g. the errors of one method over seeds.

    ``values``: a non-empty sequence of numbers (list, tuple, 1-D array). A NaN propagates
    into the median (a diverged seed must show), as with ``numpy.median``.
    """
    import numpy as np

    v = np.asarray(_floats(values), float)
    return float(np.median(v)), float(v.min()), float(v.max())


def summary(values) -> dict:
    """``{"median", "min", "max", "runs"}`` of a sequence of numbers: :func:`spread` plus the
    values themselves (as floats), ready for :func:`record`."""
    runs = _floats(values)
    m, lo, hi = spread(runs)
    return {"median": m, "min": lo, "max": hi, "runs": runs}


def fmt(values) -> str:
    """``"median [min, max]"`` as ``"1.23e-02 [1.0e-02, 1.5e-02]"`` (the notebooks' way of
    showing a number over seeds).

    ``values``: a sequence of numbers, or a mapping with ``median``, ``min`` and ``max``
    (what :func:`summary` returns).
    """
    if isinstance(values, Mapping):
        try:
            m, lo, hi = (float(values[k]) for k in ("median", "min", "max"))
        except KeyError as exc:
            raise KeyError(f"fmt needs a mapping with median, min and max; missing {exc}") from None
    else:
        m, lo, hi = spread(values)
    return f"{m:.2e} [{lo:.1e}, {hi:.1e}]"


# --- what produced the numbers ----------------------------------------------------------
def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _commit() -> str | None:
    """Short hash of the checkout pinnkit is imported from, ``+dirty`` when tracked files
    differ from it; ``None`` when pinnkit is not imported from a git checkout (a wheel,
    git missing)."""
    src = Path(__file__).resolve().parents[1]
    top = _git(["rev-parse", "--show-toplevel"], src)
    if top is None or Path(top).resolve() != src:  # an unrelated repository around site-packages
        return None
    short = _git(["rev-parse", "--short", "HEAD"], src)
    if not short:
        return None
    changes = _git(["status", "--porcelain", "--untracked-files=no"], src)
    return short + ("+dirty" if changes else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Processor", "cpu model") and value.strip():
                return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def stamp() -> dict:
    """What produced a result: ``{"pinnkit", "commit", "torch", "python", "cpu", "cores",
    "threads", "date"}``.

    ``commit`` is the short git hash (``"+dirty"`` appended when tracked files changed) or
    ``None`` outside a git checkout; ``cpu`` the model name from ``/proc/cpuinfo`` (else
    :mod:`platform`); ``cores`` the logical CPU count; ``threads`` torch's intra-op thread
    count at the time of the call; ``date`` UTC in ISO 8601. Never raises.
    """
    try:
        from . import __version__ as version
    except ImportError:  # pragma: no cover - a partially initialised package
        version = None
    try:
        import torch

        torch_version, threads = str(torch.__version__), int(torch.get_num_threads())
    except Exception:  # pragma: no cover - torch is a dependency; a stamp must not fail
        torch_version, threads = None, None
    return {"pinnkit": version, "commit": _commit(), "torch": torch_version,
            "python": platform.python_version(), "cpu": _cpu_model(), "cores": os.cpu_count(),
            "threads": threads, "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


# --- paper claims ----------------------------------------------------------------------
def verdict(direction: bool, magnitude: bool) -> str:
    """The verdict on a claim from two checks made on the recorded numbers.

    ``direction``: the effect goes the way the paper says (A beats B, the error falls, ...);
    ``magnitude``: it is as large as the paper says (by ≥ 5×, below 1e-3, ...).
    Returns ``"reproduced"`` when both hold, ``"partly"`` when only the direction holds,
    else ``"not reproduced"``.
    """
    import numpy as np

    for name, v in (("direction", direction), ("magnitude", magnitude)):
        if not isinstance(v, (bool, np.bool_)):  # numpy comparisons give numpy.bool_
            raise TypeError(f"verdict: {name} must be a bool (the result of a check), got {v!r}")
    if direction and magnitude:
        return "reproduced"
    return "partly" if direction else "not reproduced"


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            value = float(value)  # numpy / torch scalars
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a number, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    return value


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One paper claim a notebook checks, with pinnkit's numbers and the verdict.

    paper: short citation, ``"Krishnapriyan et al. 2021, Table 1"``.
    claim: one sentence, ``"curriculum regularisation at β = 30 lowers the error of a plain
        PINN by ≥ 5× (median of 3 seeds)"``.
    values: pinnkit's numbers, one per seed (finite; at least one).
    verdict: one of :data:`VERDICTS` (see :func:`verdict`).
    paper_value: the paper's number for the same quantity, or ``None`` when it gives none.
    seeds: the seeds behind ``values`` (a sequence, one per value) or their count ``n``
        (meaning seeds ``0 … n-1``); default ``range(len(values))``.
    budget: the training budget in a few words, ``"1000 Adam steps, 32×3, 200 points"``.
    wall_seconds: wall time of the runs behind the claim, or ``None``.
    dtype: floating-point type of the runs.
    note: anything a reader needs to weigh the verdict.

    ``median``, ``low`` and ``high`` summarise ``values``; :meth:`to_dict` is what
    :func:`record` stores.
    """

    paper: str
    claim: str
    values: Sequence[float]
    verdict: str
    paper_value: float | None = None
    seeds: Sequence[int] | int | None = None
    budget: str = ""
    wall_seconds: float | None = None
    dtype: str = "float32"
    note: str = ""

    def __post_init__(self):
        for name in ("paper", "claim"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"Claim.{name} must be a non-empty string, got {v!r}")
        for name in ("budget", "dtype", "note"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Claim.{name} must be a string, got {getattr(self, name)!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim.verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if isinstance(self.values, (str, bytes, Mapping)) or not hasattr(self.values, "__iter__"):
            raise TypeError(f"Claim.values must be a sequence of numbers (one per seed), got {self.values!r}")
        values = tuple(_finite(v, f"Claim.values[{i}]") for i, v in enumerate(self.values))
        if not values:
            raise ValueError(f"Claim.values is empty: need pinnkit's number for at least one seed ({self.claim!r})")
        seeds = self.seeds
        if seeds is None:
            seeds = range(len(values))
        elif isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
            if int(seeds) != len(values):
                raise ValueError(f"Claim.seeds = {seeds} but {len(values)} values: give one value per seed")
            seeds = range(int(seeds))
        seeds = tuple(int(s) for s in seeds)
        if len(seeds) != len(values):
            raise ValueError(f"Claim.seeds has {len(seeds)} entries for {len(values)} values: one value per seed")
        paper_value = None if self.paper_value is None else _finite(self.paper_value, "Claim.paper_value")
        wall = None if self.wall_seconds is None else _finite(self.wall_seconds, "Claim.wall_seconds")
        if wall is not None and wall < 0:
            raise ValueError(f"Claim.wall_seconds must be ≥ 0, got {wall}")
        for name, v in (("values", values), ("seeds", seeds), ("paper_value", paper_value), ("wall_seconds", wall)):
            object.__setattr__(self, name, v)

    @property
    def median(self) -> float:
        """Median of ``values``."""
        return spread(self.values)[0]

    @property
    def low(self) -> float:
        """Smallest of ``values``."""
        return min(self.values)

    @property
    def high(self) -> float:
        """Largest of ``values``."""
        return max(self.values)

    def to_dict(self) -> dict:
        """JSON-ready fields, with ``median``, ``low`` and ``high`` added."""
        return {"paper": self.paper, "claim": self.claim, "paper_value": self.paper_value,
                "values": list(self.values), "median": self.median, "low": self.low, "high": self.high,
                "seeds": list(self.seeds), "budget": self.budget, "wall_seconds": self.wall_seconds,
                "dtype": self.dtype, "verdict": self.verdict, "note": self.note}


# --- recording -------------------------------------------------------------------------
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


def record(notebook: str, *, claims: Sequence[Claim] | None = None, **numbers) -> dict:
    """Write ``numbers`` as ``$PINNKIT_RESULTS/<notebook>.json`` for tests and the gallery; return them.

    The file holds ``{"notebook", "quick", **numbers, "stamp"}`` (non-finite floats stored
    as ``null``), plus ``"claims"`` (each :meth:`Claim.to_dict`) when ``claims`` is given.
    Written atomically: a reader never sees half a file.
    """
    for reserved in ("notebook", "quick", "stamp"):
        if reserved in numbers:
            raise TypeError(f"record: {reserved!r} is written by record itself; rename that number")
    data = {"notebook": notebook, "quick": quick_mode(), **{k: _clean(v) for k, v in numbers.items()}}
    if claims is not None:
        if isinstance(claims, Claim):
            claims = [claims]
        bad = [c for c in claims if not isinstance(c, Claim)]
        if bad:
            raise TypeError(f"record: claims must be pinnkit.report.Claim objects, got {bad[0]!r}")
        data["claims"] = [c.to_dict() for c in claims]
    data["stamp"] = stamp()
    atomic_write_text(results_dir() / f"{notebook}.json", json.dumps(data, indent=2))
    return data


def paper_table(rows: Sequence[dict], columns: Sequence[str] = ("method", "paper reports", "setting",
                                                                "pinnkit gets", "our budget")) -> str:
    """A Markdown table from dicts keyed by ``columns`` (floats shown as ``1.23e-03``)."""
    def cell(v):
        if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral):  # numpy floats too
            return f"{v:.2e}"
        return "—" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def store_dir() -> Path:
    """Where notebooks keep their trained runs (a :class:`pinnkit.sweep.RunStore`):
    ``$PINNKIT_STORE``, default ``store`` beside :func:`results_dir` (``build/store``). A
    second build of a notebook finds its runs there and trains nothing; an interrupted one
    trains only what is missing."""
    env = os.environ.get("PINNKIT_STORE")
    return Path(env) if env else results_dir().parent / "store"


def settings_table(rows: Sequence[Sequence[str]], quick: bool | None = None) -> str:
    """The settings table a gallery notebook opens with, as Markdown: one row per setting,
    ``(setting, paper, pinnkit full, pinnkit quick, why it differs)``. The column of the
    mode that runs now is marked (``quick`` defaults to :func:`quick_mode`)."""
    quick = quick_mode() if quick is None else quick
    head = ["setting", "paper", "pinnkit full" + ("" if quick else " (running)"),
            "pinnkit quick" + (" (running)" if quick else ""), "why it differs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        r = [str(c) for c in r]
        if len(r) != len(head):
            raise ValueError(f"settings_table: each row needs {len(head)} cells {head}; got {r}")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def values_at(history, steps: Sequence[int], column: str = "metric/rel_l2") -> list[float]:
    """``column`` of ``history`` at each of ``steps``: its last value logged at or before
    that step — the error a run would have had with that budget (a run that stopped
    earlier keeps its final value; its ``final`` entry counts at its last step). For the
    budget sweeps the gallery shows: error against iterations, read off one run."""
    import numpy as np

    logged, vals = history.where(column)
    if column in history.final and history.final[column] is not None:
        logged = np.append(logged, history.final.get("step", logged[-1] if len(logged) else 0))
        vals = np.append(vals, history.final[column])
    if not len(logged):
        raise ValueError(f"the history logged no {column!r}")
    order = np.argsort(logged, kind="stable")
    logged, vals = np.asarray(logged)[order], np.asarray(vals, float)[order]
    out = []
    for s in steps:  # NaN before the first logged value
        i = np.searchsorted(logged, s, side="right") - 1
        out.append(float(vals[i]) if i >= 0 else math.nan)
    return out
