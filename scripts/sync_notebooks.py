"""Keep every notebook's two files in step: the jupytext percent ``.py`` people edit and the ``.ipynb``.

    .venv/bin/python scripts/sync_notebooks.py                        # every pair in notebooks/ and gallery/
    .venv/bin/python scripts/sync_notebooks.py gallery/11_multiadam.py  # one pair (either file may be named)
    .venv/bin/python scripts/sync_notebooks.py --check                # change nothing; exit 1 if out of step

For each pair this runs ``jupytext --sync`` (the file edited last wins: a ``.py`` edited in
an editor updates the ``.ipynb``; a notebook saved in JupyterLab updates the ``.py``), then
strips the ``.ipynb`` of outputs, execution counts and execution metadata, so it can be
committed as it is. A ``.py`` in ``notebooks/`` or ``gallery/`` without its ``.ipynb`` (a new
notebook: copy the header of an existing ``.py``) gets one. ``--check`` reports pairs whose
cells, sources or tags differ and notebooks that carry outputs, and changes nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "gallery")
FORMATS = "ipynb,py:percent"
#: cell metadata that only a run or the UI writes (jupytext keeps them out of the .py too)
RUN_METADATA = ("execution", "ExecuteTime")
UI_METADATA = ("autoscroll", "collapsed", "scrolled", "trusted") + RUN_METADATA


def pairs(paths=None, root: Path = ROOT) -> list[Path]:
    """The ``.ipynb`` of every pair named by ``paths`` (``.py`` or ``.ipynb``), default all of
    ``notebooks/`` and ``gallery/`` (orphan ``.py`` files included, as the ``.ipynb`` they will
    become)."""
    if paths:
        return sorted({Path(p).resolve().with_suffix(".ipynb") for p in paths})
    found = set()
    for folder in FOLDERS:
        for p in (root / folder).rglob("*"):
            if ".ipynb_checkpoints" not in p.parts and p.suffix in (".ipynb", ".py"):
                found.add(p.with_suffix(".ipynb"))
    return sorted(found)


def strip(nb) -> bool:
    """Remove outputs, execution counts and run metadata in place; True when anything changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                cell.outputs, cell.execution_count = [], None
                changed = True
        for key in RUN_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    for key in ("papermill", "widgets"):
        if key in nb.metadata:
            del nb.metadata[key]
            changed = True
    return changed


def differences(ipynb: Path) -> list[str]:
    """Why the pair of ``ipynb`` is out of step (empty when it agrees and carries no outputs)."""
    import jupytext
    import nbformat

    py = ipynb.with_suffix(".py")
    if not ipynb.exists():
        return [f"{py.name} has no {ipynb.name}"]
    if not py.exists():
        return [f"{ipynb.name} has no paired {py.name}"]
    nb = nbformat.read(ipynb, as_version=4)
    text = jupytext.read(py, fmt="py:percent")
    out = []
    if nb.metadata.get("jupytext", {}).get("formats") != FORMATS:
        out.append(f"{ipynb.name}: metadata jupytext.formats is not {FORMATS!r}")
    if len(nb.cells) != len(text.cells):
        out.append(f"{ipynb.name} has {len(nb.cells)} cells, {py.name} {len(text.cells)}")
    for i, (a, b) in enumerate(zip(nb.cells, text.cells)):
        meta = lambda c: {k: v for k, v in c.metadata.items() if k not in UI_METADATA}  # noqa: E731
        if (a.cell_type, a.source, meta(a)) != (b.cell_type, b.source, meta(b)):
            out.append(f"cell {i} differs between {ipynb.name} and {py.name}")
            break
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    if dirty:
        out.append(f"{ipynb.name}: cells {dirty} carry outputs or execution counts")
    return out


def sync(ipynb: Path) -> None:
    import nbformat
    from jupytext.cli import jupytext as jupytext_cli

    py = ipynb.with_suffix(".py")
    if not ipynb.exists():
        jupytext_cli(["--quiet", "--set-formats", FORMATS, str(py)])
    else:
        jupytext_cli(["--quiet", "--sync", str(ipynb)])
    nb = nbformat.read(ipynb, as_version=4)
    if strip(nb):
        nbformat.write(nb, ipynb)
        os.utime(py)  # the .py stays the newer file: JupyterLab's jupytext refuses an older text file


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, help=".py or .ipynb files (default: notebooks/ and gallery/)")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a pair is out of step")
    args = ap.parse_args(argv)
    bad = 0
    for ipynb in pairs(args.paths):
        rel = ipynb.relative_to(ROOT) if ipynb.is_relative_to(ROOT) else ipynb
        if not args.check:
            sync(ipynb)
        problems = differences(ipynb)
        bad += bool(problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {rel}" + "".join(f"\n     {p}" for p in problems))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
