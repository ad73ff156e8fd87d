"""Every notebook in ``notebooks/`` and ``gallery/``: committed clean, parameterised the
papermill way, and executed headlessly in quick mode with its recorded numbers checked.

- One source per notebook: each ``.ipynb`` is paired with a jupytext percent-format ``.py``
  (``formats: ipynb,py:percent``) holding the same cells, sources and tags; the ``.py`` is
  what people edit, ``scripts/sync_notebooks.py`` regenerates the ``.ipynb``. Notebooks are
  discovered from the ``.ipynb`` files only, and pytest never imports a paired ``.py``.
- Structure tests (fast, unmarked): no outputs or execution counts committed; the first
  cell is Markdown with a heading; exactly one cell tagged ``parameters``, made only of
  annotated literal assignments, whose names ``papermill.inspect_notebook`` finds; the
  next cell calls ``quick_mode()``; some cell calls ``record(...)``; kernel ``python3``.
- Execution tests (marker ``notebook``): papermill runs the notebook with
  ``PINNKIT_QUICK=1`` and ``PINNKIT_RESULTS`` in a temporary folder; the notebook must
  write ``<stem>.json`` there, in quick mode, with finite numbers and a stamp; the paper
  claims it records (``record(..., claims=[Claim(...)])``) must be well formed; notebooks
  listed in :data:`CHECKS` get their own thresholds on top of the asserts inside their cells.

New notebooks are picked up automatically.
"""
from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "gallery")
EXECUTION_TIMEOUT = 600  # seconds per cell; quick mode should need a small fraction


def discover() -> list[Path]:
    found = []
    for folder in FOLDERS:
        found += [p for p in sorted((ROOT / folder).rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return found


NOTEBOOKS = discover()
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]


def _check_first_pinn(r):
    # quick mode (2500 steps, seed 0): the PINN beats data alone outside the observations
    assert r["rel_l2_outside_pinn"]["median"] * 5 < r["rel_l2_outside_data"]["median"], r
    assert r["rel_l2_inside_data"]["median"] < 0.2, r  # data alone does fit its own data
    (claim,) = r["claims"]
    assert claim["verdict"] == "reproduced", claim
    assert all(r["checks"]), r["checks"]


def _check_burgers(r):  # lesson 03 keeps Raissi et al.'s Burgers benchmark
    assert r["paper_rel_l2"] == 6.7e-4
    assert r["burgers_rel_l2"] < 0.25, r  # quick mode (1000 points, 600 steps) measured 7.2e-2; full < 5e-3
    assert r["burgers_max_abs"] < 2.0, r  # |u| <= 1: an error above 2 would mean a broken run
    assert r["burgers_steps"] >= 300, r
    assert all(r["checks"]), r["checks"]


def _check_multiadam(r):
    (claim,) = r["claims"]  # the scale-invariance claim, with its verdict
    assert claim["paper"].startswith("Yao et al. 2023"), claim
    assert len(claim["values"]) == r["seeds"], claim
    assert claim["median"] == r["sensitivity"]["MultiAdam"] or r["seeds"] > 1, (claim, r["sensitivity"])


#: per-notebook checks on the recorded numbers (quick mode), keyed by notebook stem
CHECKS = {"00_first_pinn": _check_first_pinn, "03_optimisers_precision": _check_burgers, "11_multiadam": _check_multiadam}


def _check_claim(c):
    """A recorded paper claim: what the scoreboard shows, present and sane."""
    from pinnkit.report import VERDICTS

    assert c["paper"] and c["claim"] and c["budget"], c
    assert c["verdict"] in VERDICTS, c
    assert c["values"] and len(c["values"]) == len(c["seeds"]), c
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in c["values"]), c
    assert c["low"] <= c["median"] <= c["high"], c
    assert c["wall_seconds"] is None or c["wall_seconds"] >= 0, c


def _numbers(d, prefix=""):
    """(key, value) for every number in a recorded dict, nested dicts/lists included."""
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _numbers(v, key + ".")
        elif isinstance(v, list):
            yield from _numbers(dict(enumerate(v)), key + ".")
        else:
            yield key, v


# --- structure -------------------------------------------------------------------------
def test_notebooks_are_discovered():
    stems = {p.stem for p in NOTEBOOKS}
    assert {"00_first_pinn", "03_optimisers_precision"} <= stems, stems
    assert len(stems) == len(NOTEBOOKS), "two notebooks share a name; their recorded results would collide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", nb.metadata.get("kernelspec")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_opens_with_the_question(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("#"), \
        f"{path.name}: the first cell must be Markdown opening with a heading (the question and the maths)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_parameters_cell_of_literals(path):
    import papermill

    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'; need exactly one"
    i = tagged[0]
    cell = nb.cells[i]
    assert cell.cell_type == "code"
    names = []
    for stmt in ast.parse(cell.source).body:
        assert isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None, \
            f"{path.name}: the parameters cell may hold only annotated assignments; got {ast.unparse(stmt)!r}"
        ast.literal_eval(stmt.value)  # raises ValueError on anything but a plain literal
        names.append(stmt.target.id)
    assert names, f"{path.name}: empty parameters cell"
    found = papermill.inspect_notebook(str(path))
    assert list(found) == names, f"{path.name}: papermill parses {list(found)}, the cell assigns {names}"
    nxt = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
    assert nxt is not None and nxt.cell_type == "code" and "quick_mode()" in nxt.source, \
        f"{path.name}: the cell after the parameters must apply quick mode (pinnkit.report.quick_mode())"
    assert any(c.cell_type == "code" and "record(" in c.source for c in nb.cells[i + 1:]), \
        f"{path.name}: no cell records its numbers with pinnkit.report.record(...)"


# --- one source: the .ipynb and its jupytext percent .py ---------------------------------
PAIR_FORMATS = "ipynb,py:percent"
#: cell metadata only a run or the UI writes; jupytext keeps them out of the .py
UI_METADATA = {"autoscroll", "collapsed", "scrolled", "trusted", "execution", "ExecuteTime"}
SYNC = "run `.venv/bin/python scripts/sync_notebooks.py` after editing the .py (or saving in JupyterLab)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_paired_with_a_percent_script_that_agrees(path):
    import jupytext

    py = path.with_suffix(".py")
    assert py.exists(), f"{path.name} has no paired {py.name}: jupytext --set-formats {PAIR_FORMATS} {path.name}"
    nb = nbformat.read(path, as_version=4)
    text = jupytext.read(py, fmt="py:percent")
    assert nb.metadata.get("jupytext", {}).get("formats") == PAIR_FORMATS, nb.metadata.get("jupytext")
    assert text.metadata.get("jupytext", {}).get("formats") == PAIR_FORMATS, f"{py.name}: no pairing in its header"
    assert text.metadata.get("kernelspec", {}).get("name") == "python3", f"{py.name}: kernelspec missing from its header"
    assert len(nb.cells) == len(text.cells), f"{path.name} has {len(nb.cells)} cells, {py.name} {len(text.cells)}: {SYNC}"
    for i, (a, b) in enumerate(zip(nb.cells, text.cells)):
        assert a.cell_type == b.cell_type, f"cell {i}: {a.cell_type} in {path.name}, {b.cell_type} in {py.name}: {SYNC}"
        assert a.source == b.source, f"cell {i} source differs between {path.name} and {py.name}: {SYNC}"
        assert a.metadata.get("tags", []) == b.metadata.get("tags", []), f"cell {i} tags differ: {SYNC}"
        meta = [{k: v for k, v in c.metadata.items() if k not in UI_METADATA} for c in (a, b)]
        assert meta[0] == meta[1], f"cell {i} metadata differ between {path.name} and {py.name}: {SYNC}"


def test_every_notebook_script_has_its_notebook():
    """A .py in notebooks/ or gallery/ is the source of a notebook; without its .ipynb no test sees it."""
    orphans = [p.relative_to(ROOT).as_posix() for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))
               if ".ipynb_checkpoints" not in p.parts and not p.with_suffix(".ipynb").exists()]
    assert not orphans, f"{orphans} have no .ipynb: {SYNC}"


def test_pytest_collects_the_notebooks_once_and_never_their_scripts():
    """``pytest --nbval-lax notebooks gallery`` sees each .ipynb, and no .py (importing one would run it)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                          "--nbval-lax", "--nbval-current-env", *FOLDERS, *(p.with_suffix(".py") for p in NOTEBOOKS[:2])],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    files = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    assert files == set(IDS), files ^ set(IDS)


# --- execution -------------------------------------------------------------------------
@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_in_quick_mode_and_records_numbers(path, tmp_path, monkeypatch):
    import papermill

    results = tmp_path / "results"
    monkeypatch.setenv("PINNKIT_QUICK", "1")
    monkeypatch.setenv("PINNKIT_RESULTS", str(results))
    papermill.execute_notebook(str(path), str(tmp_path / path.name), kernel_name="python3",
                               execution_timeout=EXECUTION_TIMEOUT, cwd=str(path.parent), progress_bar=False)
    out = results / f"{path.stem}.json"
    assert out.exists(), f"{path.name} recorded no numbers: call pinnkit.report.record({path.stem!r}, ...)"
    recorded = json.loads(out.read_text())
    assert recorded["notebook"] == path.stem and recorded["quick"] is True, recorded
    assert set(recorded["stamp"]) >= {"commit", "torch", "cpu", "threads", "date"}, recorded["stamp"]
    for c in recorded.get("claims", []):
        _check_claim(c)
    values = dict(_numbers({k: v for k, v in recorded.items() if k not in ("notebook", "quick", "stamp", "claims")}))
    numeric = {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert numeric, f"{path.name} recorded no numbers: {recorded}"
    missing = [k for k, v in values.items() if v is None]  # record() stores NaN/Inf as null
    assert not missing, f"{path.name} recorded non-finite values for {missing}"
    assert all(math.isfinite(v) for v in numeric.values()), numeric
    if path.stem in CHECKS:
        CHECKS[path.stem](recorded)


def test_every_owned_check_has_a_notebook():
    """A renamed notebook must not silently lose its checks."""
    stems = {p.stem for p in NOTEBOOKS}
    assert set(CHECKS) <= stems, set(CHECKS) - stems
