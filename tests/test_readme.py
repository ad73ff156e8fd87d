"""The README's notebook tables name every notebook the project has."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_notebook_is_in_a_readme_table():
    text = (ROOT / "README.md").read_text()
    rows = "\n".join(line for line in text.splitlines() if line.startswith("|"))
    missing = [f"{p.parent.name}/{p.stem}" for folder in ("notebooks", "gallery")
               for p in sorted((ROOT / folder).glob("*.ipynb"))
               if not re.search(rf"`(?:{p.parent.name}/)?{re.escape(p.stem)}`", rows)]
    assert not missing, f"README tables do not list: {missing}"
