"""environment.yml mirrors the pip install that `make install` performs."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_mirrors_pip_install():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert any(str(d).startswith("python=3.11") for d in deps)
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "torch==2.13.0" in pip
    editable = next(p for p in pip if p.startswith("-e ."))
    extras = set(re.search(r"\[(.*)\]", editable).group(1).split(","))
    makefile = (ROOT / "Makefile").read_text()
    assert "torch==2.13.0" in makefile
    make_extras = set(re.search(r"pip install -q -e '\.\[(.*?)\]'", makefile).group(1).split(","))
    assert extras == make_extras
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    assert extras <= declared


def test_pyproject_accepts_the_pinned_torch():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_req = next(d for d in deps if d.startswith("torch"))
    from packaging.specifiers import SpecifierSet

    assert "2.13.0" in SpecifierSet(torch_req[len("torch"):])


def test_browser_tests_without_chromium_are_skipped_with_the_reason():
    """Without Chromium every browser test is skipped by the ``browser`` fixture, naming what
    is missing, and ``pytest -m browser`` (as `make test` runs it) exits 0: a module-level
    skip would leave no test collected, which pytest reports as exit status 5."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PINNKIT_CHROMIUM": "/nonexistent/chromium", "COLUMNS": "400"}  # summary lines unclipped
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "browser",
                        "tests/test_browser.py"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    n = sum(1 for line in (ROOT / "tests" / "test_browser.py").read_text().splitlines() if line.startswith("def test_"))
    assert f"{n} skipped" in r.stdout, r.stdout
    assert "browser tests skipped: /nonexistent/chromium is absent" in r.stdout, r.stdout
