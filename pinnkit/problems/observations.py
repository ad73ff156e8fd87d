"""Observations a user brings: a CSV or NPZ file with named columns.

The columns are the problem's coordinate names (``x``, ``t`` … :attr:`Box.names`) and
its field names (``u`` for a one-output problem, ``u0``, ``u1`` … otherwise — see
:func:`field_names`); a file may hold a subset of the fields (each observed field becomes
a ``Data`` condition). Every column must be present once, every value a finite number and
every point inside the problem's domain; anything else is a ``ValueError`` that names the
column, the row (the line of a CSV, counted from 1 with the header as line 1) or the
array shape at fault. Nothing is trained or written before the file has passed.

- CSV: one header line of names, separated by commas; ``#`` lines are comments.
- NPZ: one 1-D array (or ``(n, 1)`` column) per name, all of the same length.

    x, y = load_observations("obs.csv", zoo.get("burgers"))      # x: (n, d), y: {"u": (n, 1)}
    problem = with_observations(zoo.get("burgers"), "obs.csv")  # the problem with a "data" condition
"""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np

from .problem import Problem

__all__ = ["field_names", "load_observations", "with_observations", "file_digest"]

#: coordinates may sit this far (relative to the domain's length) outside it: a file
#: written with 6 significant digits may round an end point outward
_TOLERANCE = 1e-9


def field_names(problem: Problem) -> tuple[str, ...]:
    """Names of the problem's output fields as they appear in an observation file."""
    return ("u",) if problem.output_dim == 1 else tuple(f"u{i}" for i in range(problem.output_dim))


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (16 hex digits): run-store keys follow the data, not the name."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _read_csv(path: Path) -> tuple[dict[str, np.ndarray], list[int]]:
    """Columns by name and the line number of each data row."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [(i, row) for i, row in enumerate(csv.reader(f), start=1)
                 if row and not row[0].lstrip().startswith("#") and any(c.strip() for c in row)]
    if not lines:
        raise ValueError(f"{path}: the file is empty; it needs a header line of column names and data rows")
    header_line, header = lines[0]
    names = [h.strip() for h in header]
    if any(not n for n in names):
        raise ValueError(f"{path}, line {header_line}: empty column name in the header {header}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{path}, line {header_line}: column {dup[0]!r} appears more than once in the header")
    rows = lines[1:]
    if not rows:
        raise ValueError(f"{path}: the header names {names} but there are no data rows")
    values = np.empty((len(rows), len(names)))
    for r, (line, row) in enumerate(rows):
        if len(row) != len(names):
            raise ValueError(f"{path}, line {line}: {len(row)} values, but the header names {len(names)} columns "
                             f"{names}")
        for c, text in enumerate(row):
            try:
                values[r, c] = float(text)
            except ValueError:
                raise ValueError(f"{path}, line {line}, column {names[c]!r}: {text.strip()!r} is not a number") from None
    return {n: values[:, c] for c, n in enumerate(names)}, [line for line, _ in rows]


def _read_npz(path: Path) -> tuple[dict[str, np.ndarray], list[int] | None]:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as e:  # not a zip, a pickled object array …
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    with archive:
        cols = {}
        for name in archive.files:
            a = archive[name]
            if a.ndim == 2 and a.shape[1] == 1:
                a = a[:, 0]
            if a.ndim != 1:
                raise ValueError(f"{path}: array {name!r} has shape {a.shape}; each column must be 1-D (n,) or (n, 1)")
            if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
                raise ValueError(f"{path}: array {name!r} holds {a.dtype} values; real numbers are needed")
            cols[name] = a.astype(float)
    lengths = {n: len(a) for n, a in cols.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{path}: the arrays differ in length {lengths}; every column needs one value per "
                         f"observation")
    if cols and not next(iter(lengths.values())):
        raise ValueError(f"{path}: the arrays are empty")
    return cols, None


def load_observations(path: str | Path, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read and check an observation file for ``problem``.

    Returns ``x: (n, d)`` (columns in the order of the domain's coordinates) and
    ``{field: (n, 1)}`` for each field the file observes. Raises ``ValueError`` naming
    the column, line/row or shape that is wrong (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"observation file {path} does not exist (or is not a file)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        cols, lines = _read_csv(path)
    elif suffix == ".npz":
        cols, lines = _read_npz(path)
    else:
        raise ValueError(f"observation file {path}: give a .csv or .npz file; got {path.suffix or 'no suffix'!r}")
    coords, fields = list(problem.domain.names), list(field_names(problem))
    where = lambda i: f"line {lines[i]}" if lines is not None else f"row {i}"  # noqa: E731
    missing = [n for n in coords if n not in cols]
    if missing:
        raise ValueError(f"{path}: missing coordinate column {missing[0]!r}; {problem.name} needs the columns "
                         f"{coords} and one or more of {fields}; the file has {sorted(cols)}")
    observed = [n for n in fields if n in cols]
    if not observed:
        raise ValueError(f"{path}: no observed field; {problem.name}'s field is {fields[0]!r}" if len(fields) == 1
                         else f"{path}: no observed field; give one or more of the columns {fields}")
    extra = sorted(set(cols) - set(coords) - set(fields))
    if extra:
        raise ValueError(f"{path}: unexpected column {extra[0]!r}; {problem.name} reads the columns "
                         f"{coords + fields} (rename or remove the others)")
    for n in coords + observed:
        bad = np.flatnonzero(~np.isfinite(cols[n]))
        if len(bad):
            raise ValueError(f"{path}, {where(int(bad[0]))}, column {n!r}: value {cols[n][bad[0]]} is not a finite "
                             f"number ({len(bad)} such value(s) in that column)")
    x = np.stack([cols[n] for n in coords], axis=1)
    for j, n in enumerate(coords):
        lo, hi = float(problem.domain.low[j]), float(problem.domain.high[j])
        tol = _TOLERANCE * max(hi - lo, 1.0)
        bad = np.flatnonzero((x[:, j] < lo - tol) | (x[:, j] > hi + tol))
        if len(bad):
            raise ValueError(f"{path}, {where(int(bad[0]))}, column {n!r}: {x[bad[0], j]:g} lies outside "
                             f"{problem.name}'s domain {n} ∈ [{lo:g}, {hi:g}] ({len(bad)} such row(s))")
        x[:, j] = np.clip(x[:, j], lo, hi)
    return x, {n: cols[n].reshape(-1, 1) for n in observed}


def with_observations(problem: Problem, path: str | Path) -> Problem:
    """``problem`` with the file's observations as conditions (``"data"`` for a single
    field, ``"data_<field>"`` for several) and no reference: the values behind a user's
    measurements are not the zoo's, so no error against a reference is claimed."""
    x, ys = load_observations(path, problem)
    names = field_names(problem)
    out = problem
    for f, y in ys.items():
        cond = "data" if len(names) == 1 else f"data_{f}"
        out = out.with_data(x, y, name=cond, component=names.index(f))
    return out.replace(reference=None, truth={})
