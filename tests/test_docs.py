"""The project's own docs stand alone: every relative link in docs/ and the README points at
a file of the repository, and nothing refers to notes outside it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md", ROOT / "widgets" / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    missing = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        if not (page.parent / target).exists():
            missing.append(target)
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_every_method_page_is_in_the_index():
    index = (ROOT / "docs" / "README.md").read_text()
    pages = sorted(p.name for p in (ROOT / "docs" / "methods").glob("*.md"))
    assert pages and all(f"methods/{p}" in index for p in pages), [p for p in pages if f"methods/{p}" not in index]


def test_no_references_to_notes_outside_the_repository():
    pattern = re.compile(r"\b(DESIGN|PAPERS|JUPYTER)\.md\b")
    found = []
    for path in [*ROOT.glob("pinnkit/**/*.py"), *ROOT.glob("widgets/*.py"), *ROOT.glob("tests/*.py"),
                 *ROOT.glob("gallery/*.py"), *ROOT.glob("notebooks/*.py"), *ROOT.glob("scripts/*.py"), *PAGES]:
        if path.name == "test_docs.py":
            continue
        found += [f"{path.relative_to(ROOT)}:{i + 1}" for i, line in enumerate(path.read_text().splitlines())
                  if pattern.search(line)]
    assert not found, found
