"""The one-way data flow of docs/architecture.md, checked on the source.

problems < sampling < models < losses < (balancing, combining, optim) < training < diagnostics:
a module imports pinnkit modules of its own layer or layers to its LEFT only, and no chain of
imports inside pinnkit leads back to where it started (no import loop). Edge modules
(the package ``__init__``, ``recipes``, ``__main__``, ``report``, ``sweep``, ``compare``) may import
anything in pinnkit. ``pinnkit`` never imports the widget layer or UI libraries, and
matplotlib only in ``diagnostics``.

Every top-level module or subpackage of ``pinnkit`` must be named in ``LAYERS`` (or
``EDGE``): a new file fails this test until it is given its place.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pinnkit"

ORDER = ["problems", "sampling", "models", "losses", "gradient step", "training", "diagnostics"]

#: top-level module or subpackage of pinnkit -> its layer (a name of ORDER)
LAYERS = {
    "problems": "problems",        # problem data: domains, conditions, derivatives, the jet protocol, the zoo
    "runtime": "problems",         # process-level settings (the C allocator); imports nothing from pinnkit
    "sampling": "sampling",
    "models": "models",            # networks, derivative engines, Taylor rules, batched ensembles
    "losses": "losses",
    "balancing": "gradient step",  # loss weights,
    "combining": "gradient step",  # per-term gradient combination,
    "optim": "gradient step",      # and the optimizers: three peers of one gradient step
    "training": "training",
    "diagnostics": "diagnostics",
}

#: modules at the edge: they may import anything in pinnkit
EDGE = {"__init__", "__main__", "recipes", "report", "sweep", "compare", "course"}  # course: the lessons' exercise checks

FORBIDDEN = {"widgets", "pinnkit_widgets", "panel", "holoviews", "ipywidgets", "bokeh"}
MATPLOTLIB_LAYER = "diagnostics"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def top(module: str, package: Path = PACKAGE) -> str:
    """The top-level name under pinnkit: ``pinnkit.problems.zoo.burgers`` -> ``problems``;
    ``pinnkit`` itself (its ``__init__``) -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(source: str, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Absolute names of everything ``source`` imports (module level or inside functions),
    with line numbers. ``from pkg import name`` yields ``pkg.name`` (a submodule when it is
    one; the importer checks both)."""
    tree = ast.parse(source)
    base = module.split(".") if is_package else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod != "pinnkit":  # "from pinnkit import x" is judged by x alone
                out.append((mod, node.lineno))
            out += [(f"{mod}.{a.name}", node.lineno) for a in node.names]
    return out


def _is_module(name: str, package: Path) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    p = package / rel
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def violations(path: Path, source: str | None = None, package: Path = PACKAGE) -> list[str]:
    """Every breach of the import rule by one file, as readable messages."""
    module = module_name(path, package)
    me = top(module)
    src = path.read_text() if source is None else source
    problems = []
    if me not in EDGE and me not in LAYERS:
        problems.append(f"{module}: pinnkit/{me} has no layer; add {me!r} to LAYERS (or EDGE) in "
                        f"tests/test_imports.py, choosing its place in {ORDER}")
        return problems
    my_rank = None if me in EDGE else ORDER.index(LAYERS[me])
    for name, line in imports(src, module, path.name == "__init__.py"):
        root = name.split(".")[0]
        where = f"{path.relative_to(package.parent)}:{line}"
        if root in FORBIDDEN:
            problems.append(f"{where}: imports {name} (pinnkit never imports the UI layer)")
        if root == "matplotlib" and (me in EDGE or LAYERS[me] != MATPLOTLIB_LAYER):
            problems.append(f"{where}: imports matplotlib outside diagnostics")
        if root != "pinnkit" or my_rank is None:
            continue
        # "from pinnkit.x import y" also yields "pinnkit.x.y"; judge names that are modules, and
        # "from pinnkit import something" that is not a module means the package __init__ (edge)
        parts = name.split(".")
        if len(parts) > 2 and not _is_module(name, package):
            continue
        if len(parts) == 2 and not _is_module(name, package):
            target = "__init__"
        else:
            target = top(name)
        if len(parts) == 1:
            target = "__init__"
        if target in EDGE:
            problems.append(f"{where}: imports {name}, an edge module ({target}); layers must not")
            continue
        if target not in LAYERS:
            continue  # reported where that module itself is checked
        if ORDER.index(LAYERS[target]) > my_rank:
            problems.append(f"{where}: {LAYERS[me]} imports {name} ({LAYERS[target]}), a layer to its right")
    return problems


FILES = sorted(PACKAGE.rglob("*.py"))


def test_package_is_found():
    names = {module_name(f) for f in FILES}
    assert {"pinnkit", "pinnkit.problems", "pinnkit.training.loop", "pinnkit.models"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_import_rule(path):
    found = violations(path)
    assert not found, "\n".join(found)


# -- the checker itself must be able to fail ------------------------------------------------
def _check(tmp_path, rel, source):
    pkg = tmp_path / "pinnkit"
    for name in ["__init__.py", "models.py", "sampling.py", "recipes.py", "problems/__init__.py",
                 "problems/domains.py", "training/__init__.py", "training/loop.py", "diagnostics/__init__.py"]:
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).touch()
    path = pkg / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return violations(path, package=pkg)


@pytest.mark.parametrize("rel,source,expect", [
    ("models.py", "from .training.loop import train\n", "a layer to its right"),
    ("models.py", "import pinnkit.training\n", "a layer to its right"),
    ("sampling.py", "def f():\n    from .models import MLP\n", "a layer to its right"),
    ("problems/domains.py", "from ..sampling import Uniform\n", "a layer to its right"),
    ("problems/domains.py", "from .. import models\n", "a layer to its right"),
    ("models.py", "from pinnkit import train\n", "edge module"),
    ("training/loop.py", "from ..recipes import run\n", "edge module"),
    ("models.py", "import matplotlib.pyplot as plt\n", "matplotlib outside diagnostics"),
    ("recipes.py", "import matplotlib\n", "matplotlib outside diagnostics"),
    ("recipes.py", "from pinnkit_widgets import x\n", "UI layer"),
    ("diagnostics/__init__.py", "import panel as pn\n", "UI layer"),
    ("newthing.py", "import numpy\n", "has no layer; add 'newthing' to LAYERS"),
])
def test_checker_catches(tmp_path, rel, source, expect):
    found = _check(tmp_path, rel, source)
    assert any(expect in m for m in found), found


@pytest.mark.parametrize("rel,source", [
    ("training/loop.py", "from ..models import MLP\nfrom ..problems.domains import Box\nimport numpy\n"),
    ("models.py", "from .problems.domains import Box\nfrom .problems import domains\n"),
    ("problems/domains.py", "from . import domains\nfrom .domains import Box\n"),
    ("diagnostics/__init__.py", "import matplotlib.pyplot\nfrom ..training.loop import train\n"),
    ("recipes.py", "from .training.loop import train\nfrom . import models\n"),
    ("__init__.py", "from . import models, training\n"),
    ("models.py", "from . import problems\nfrom pinnkit import sampling\n"),
])
def test_checker_accepts(tmp_path, rel, source):
    assert _check(tmp_path, rel, source) == []


# -- no import loops ---------------------------------------------------------------------
def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the pinnkit modules it imports (a package's ``__init__`` for a name that is
    not a module of its own), over every file of the package."""
    graph: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        module = module_name(path, package)
        targets = set()
        for name, _ in imports(path.read_text(), module, path.name == "__init__.py"):
            if name.split(".")[0] != "pinnkit":
                continue
            parts = name.split(".")
            while len(parts) > 1 and not _is_module(".".join(parts), package):
                parts = parts[:-1]
            target = ".".join(parts)
            if target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def find_loop(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop ``[a, b, ..., a]`` if there is any, else ``None``. A package's
    ``__init__`` importing its own submodules is not a loop by itself: edges from a package
    to a module inside it are skipped (re-exports), edges into a package are kept."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if t.startswith(m + "."):
                continue
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_no_import_loop():
    loop = find_loop(import_graph())
    assert loop is None, "import loop: " + " -> ".join(loop)


def test_loop_finder_can_fail():
    assert find_loop({"pinnkit.a": {"pinnkit.b"}, "pinnkit.b": {"pinnkit.a"}}) == ["pinnkit.a", "pinnkit.b", "pinnkit.a"]
    assert find_loop({"pinnkit.a": {"pinnkit.b"}, "pinnkit.b": set()}) is None
