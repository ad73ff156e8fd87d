"""Write the student version of the course: every lesson notebook without its solution cells.

    .venv/bin/python scripts/student_version.py                  # notebooks/ -> build/student/
    .venv/bin/python scripts/student_version.py --out DIR nb.ipynb ...

A lesson's exercise is three cells: ``answer_x = ...`` (the student's), a cell tagged
``solution`` that sets the answer, then the ``check_...()`` call. The student version drops
every cell tagged ``solution`` and keeps everything else, outputs stripped; a teacher keeps the
full notebooks (the solutions run in the tests). The lesson checks live in ``pinnkit.course``,
so the student version runs wherever pinnkit is installed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "solution"


def student_copy(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """The notebook without its ``solution`` cells, and how many were dropped."""
    kept = [c for c in nb.cells if TAG not in c.get("metadata", {}).get("tags", [])]
    dropped = len(nb.cells) - len(kept)
    out = nbformat.from_dict(nb)
    out.cells = kept
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return out, dropped


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("notebooks", nargs="*", type=Path, help="lesson notebooks (default: every notebooks/*.ipynb)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="folder to write (default build/student)")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("student_version: no notebooks to convert", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            print(f"student_version: {path}: not a notebook file", file=sys.stderr)
            return 2
        nb, dropped = student_copy(nbformat.read(path, as_version=4))
        nbformat.write(nb, args.out / path.name)
        total += dropped
        print(f"{path.name}: {dropped} solution cell(s) removed")
    print(f"{len(paths)} notebook(s), {total} solution cell(s) removed, written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
