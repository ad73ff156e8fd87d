"""Training history: one row per logged step, saved atomically as JSON."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["History", "atomic_write_bytes", "atomic_write_text"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: files pinnkit writes get the permissions of any file the user creates (0o666 less the
#: umask; 0o644 under the usual umask 022), so a run folder can be shared on a course machine.
#: Privacy is the umask's job (``umask 077`` keeps runs private), not a side effect of mkstemp.
FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never
    a partial one (temporary file in the same folder, fsync, ``os.replace``). The file gets
    :data:`FILE_MODE`, the mode an ordinary ``open(path, "w")`` would give it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _jsonable(v):
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


class History:
    """Rows of ``{column: value}`` keyed by name (``step``, ``loss``, ``loss/residual``,
    ``weight/initial``, ``metric/rel_l2`` ...). ``h["loss/residual"]`` is a float array
    over all rows (NaN where a row lacks the column); ``h.last(...)`` the latest value."""

    def __init__(self, meta: dict | None = None):
        self.rows: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = dict(meta or {})
        self.status = "running"
        self.message = ""
        self.final: dict[str, float] = {}

    def append(self, **row) -> None:
        self.rows.append(row)

    def __len__(self):
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in self.columns:
            raise KeyError(f"no column {column!r}; columns are {self.columns}")
        return np.array([r.get(column, np.nan) for r in self.rows], dtype=float)

    def where(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of the rows that have ``column``."""
        rows = [r for r in self.rows if column in r and r[column] is not None]
        return np.array([r["step"] for r in rows]), np.array([r[column] for r in rows], dtype=float)

    def last(self, column: str, default=None):
        for r in reversed(self.rows):
            if column in r:
                return r[column]
        return default

    def terms(self, prefix: str = "loss/") -> list[str]:
        return [c[len(prefix):] for c in self.columns if c.startswith(prefix)]

    # -- persistence ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "meta": self.meta, "status": self.status, "message": self.message,
            "final": {k: _jsonable(v) for k, v in self.final.items()},
            "rows": [{k: _jsonable(v) for k, v in r.items()} for r in self.rows],
        }

    def save(self, path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path) -> "History":
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not a readable history (truncated or corrupt JSON: {e})") from None
        if not isinstance(d, dict) or "rows" not in d:
            raise ValueError(f"{path}: not a pinnkit history (expected an object with 'rows')")
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """The inverse of :meth:`to_dict` (non-finite values restored)."""
        h = cls(d.get("meta"))
        conv = lambda v: float(v) if v in ("inf", "-inf") else (np.nan if v is None else v)  # noqa: E731
        h.rows = [{k: conv(v) for k, v in r.items()} for r in d["rows"]]
        h.status, h.message = d.get("status", ""), d.get("message", "")
        h.final = {k: conv(v) for k, v in d.get("final", {}).items()}
        return h

    def __repr__(self):
        return f"History({len(self.rows)} rows, status={self.status!r}, final={self.final})"
