"""scripts/build_gallery.py without running notebooks: card sentences, the scoreboard, and
formulas typeset offline by the MathJax copied into the gallery.

The browser test (marker ``browser``) opens a rendered notebook page and the index in
Debian Chromium with every request that is not a local file aborted, and checks that the
formulas are typeset (``mjx-container`` elements). Screenshots land in ``build/screenshots/``.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def _load_build_gallery():
    spec = importlib.util.spec_from_file_location("build_gallery", ROOT / "scripts" / "build_gallery.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bg = _load_build_gallery()

FORMULA_MD = r"""# 99 · A formula

**Question.** Does $u_t + \beta u_x = 0$ typeset offline, with $\beta = 30$ and a display below?

$$u(x, t) = \sin(x - \beta t),\qquad \|u_\theta - u\|_2 / \|u\|_2 .$$
"""


def notebook(md: str = FORMULA_MD):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(md), nbformat.v4.new_code_cell("x = 1  # $not math$")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


CLAIM = {"paper": "Yao et al. 2023 (ICML), MultiAdam", "claim": "MultiAdam's error moves by < 1.5× over s",
         "paper_value": None, "values": [1.0, 1.2, 1.1], "median": 1.1, "low": 1.0, "high": 1.2, "seeds": [0, 1, 2],
         "budget": "1000 steps", "wall_seconds": 125.0, "dtype": "float32", "verdict": "partly", "note": "a note"}


@pytest.fixture
def gallery(tmp_path):
    """A gallery folder with MathJax, one rendered page and an index with one claim."""
    out = tmp_path / "gallery"
    mathjax = bg.install_mathjax(out)
    assert mathjax == "mathjax/tex-chtml-full.js", "the 'mathjax' package (django-static-mathjax) is missing"
    page = out / "html" / "gallery" / "99_formula.html"
    bg.render_page(notebook(), "A formula", page, out, mathjax)
    e = bg.Entry(ROOT / "gallery" / "99_formula.ipynb", "gallery", "99_formula", title="99 · A formula",
                 summary=bg.summary_of(notebook()), state="done", ok=True, seconds=3.0,
                 numbers={"notebook": "99_formula", "quick": True, "claims": [CLAIM]},
                 html=page.relative_to(out).as_posix())
    other = bg.Entry(ROOT / "gallery" / "98_none.ipynb", "gallery", "98_none", title="98", state="done", ok=True,
                     numbers={"notebook": "98_none", "quick": True, "rel_l2": 0.0123, "paper_rel_l2": 6.7e-4})
    queued = bg.Entry(ROOT / "gallery" / "97_later.ipynb", "gallery", "97_later", title="97")
    index = bg.write_index([e, other, queued], out, quick=True, total=10.0,
                           stamp={"commit": "abc1234", "torch": "2.13.0", "cpu": "Test CPU", "cores": 2},
                           mathjax=mathjax, running=True)
    return out, page, index


# --- what a card says --------------------------------------------------------------------
def test_summary_is_the_first_paragraph_without_its_label():
    assert bg.summary_of(notebook()) == r"Does $u_t + \beta u_x = 0$ typeset offline, with $\beta = 30$ and a display below?"


def test_summary_is_cut_at_a_sentence_and_never_inside_a_formula():
    long = "# T\n\nFirst sentence has $a_1 + a_2$ and more words to pass eighty characters in total, surely. " \
           "Second sentence " + "word " * 60 + "\n\nNext paragraph."
    s = bg.summary_of(notebook(long))
    assert s == "First sentence has $a_1 + a_2$ and more words to pass eighty characters in total, surely."
    formula = "# T\n\n" + "word " * 40 + "$" + " x" * 60 + "$ end"
    s = bg.summary_of(notebook(formula))
    assert s.endswith("…") and s.count("$") == 0 and len(s) <= bg.SUMMARY_CHARS + 1
    assert bg.summary_of(notebook("# T\n\nSee **[the paper](https://x.org)** and `code`, *really*.")) == \
        "See the paper and code, really."


def test_summaries_of_the_real_notebooks():
    for path in bg.discover():
        s = bg.summary_of(nbformat.read(path, as_version=4))
        assert 20 < len(s) <= bg.SUMMARY_CHARS + 1, (path.name, s)
        assert s.count("$") % 2 == 0 and "**" not in s, (path.name, s)


def test_scoreboard_and_cards(gallery):
    out, page, index = gallery
    text = index.read_text()
    board = re.search(r'<table id="scoreboard">.*?</table>', text, re.S).group(0)
    rows = re.findall(r"<tr data-notebook=\"([^\"]+)\">(.*?)</tr>", board, re.S)
    assert [k for k, _ in rows] == ["gallery__99_formula"]  # one row per recorded claim, none for the others
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0][1], re.S)
    assert cells[0] == "Yao et al. 2023 (ICML), MultiAdam"
    assert 'href="html/gallery/99_formula.html"' in cells[1] and "a note" in cells[1]
    assert cells[2] == "—"  # the paper gives no number
    assert re.sub("<[^>]+>", "", cells[3]) == "1.10 [1.00, 1.20]"
    assert cells[4] == "3" and cells[5] == "1000 steps" and cells[6] == "2.1&nbsp;min"
    assert 'class="verdict v-partly">partly<' in cells[7]
    assert "commit <b>abc1234</b>" in text and "torch <b>2.13.0</b>" in text and "Test CPU" in text
    assert text.count("commit <b>") == 1  # the stamp once, in the header
    assert "Quick build" in text and 'http-equiv="refresh"' in text  # still running: the page reloads itself
    card = re.search(r'<div class="card[^"]*" data-notebook="gallery__98_none">.*?</div></div></div>', text, re.S).group(0)
    assert "rel. L2 <b>0.0123</b> (paper 6.70e-04)" in card
    assert [bg.number(v) for v in (0.0, 2.5, 250.0, 1.0000005, 3e-5, 12345.0, 7)] == \
        ["0", "2.50", "250", "1.00", "3.00e-05", "1.23e+04", "7"] and "no paper claim recorded yet" in card
    assert "cpu_seconds" not in text
    assert 'data-notebook="gallery__97_later"' in text and "queued" in text


# --- formulas offline --------------------------------------------------------------------
def script_sources(text: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", text)


def test_math_scripts_are_local_files(gallery):
    out, page, index = gallery
    for doc in (page, index):
        text = doc.read_text()
        # nbconvert's CDN MathJax 2 is gone, and so is its Mermaid loader (no diagram here)
        assert "cdnjs" not in text and "MathJax.Hub" not in text and "mermaid" not in text.lower(), doc.name
        srcs = script_sources(text)
        math = [s for s in srcs if "mathjax" in s.lower() or "tex-" in s]
        assert math, f"{doc.name} loads no MathJax"
        for s in math:
            assert not re.match(r"^[a-z]+:|^//", s), f"{doc.name} loads math from {s}"
            assert (doc.parent / s).resolve().is_file(), f"{doc.name}: {s} does not exist"
        assert "window.MathJax" in text
    fonts = out / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 10


def test_the_build_writes_its_index_and_manifest_from_scratch(tmp_path, monkeypatch):
    """--index-only rewrites the index from manifest.json, MathJax included."""
    out = tmp_path / "g"
    out.mkdir()
    e = {"path": str(ROOT / "gallery" / "11_multiadam.ipynb"), "folder": "gallery", "stem": "11_multiadam",
         "title": "08", "summary": "s", "state": "done", "ok": True, "error": "", "seconds": 1.0,
         "numbers": {"quick": False, "claims": [CLAIM]}, "html": "", "thumb": ""}
    (out / "manifest.json").write_text(json.dumps({"quick": False, "total": 1.0, "entries": [e]}))
    assert bg.main(["--out", str(out), "--index-only"]) == 0
    text = (out / "index.html").read_text()
    assert "Quick build" not in text and text.count('<tr data-notebook="gallery__11_multiadam">') == 1
    assert (out / "mathjax" / "tex-chtml-full.js").is_file()


# --- the course page -----------------------------------------------------------------------
def test_course_page_lists_every_lesson_with_goals_time_and_needs(tmp_path):
    out = tmp_path / "g"
    out.mkdir()
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    built = bg.Entry(lessons[-1], "notebooks", lessons[-1].stem, title="built lesson", state="done", ok=True,
                     seconds=150.0, html="html/notebooks/x.html")
    page = bg.write_course([built], out)
    text = page.read_text()
    rows = re.findall(r"<tr><td>(.*?)</tr>", re.search(r'<table id="course">.*?</table>', text, re.S).group(0), re.S)
    assert len(rows) == len(lessons)        # every lesson, built or not
    assert 'href="html/notebooks/x.html">built lesson</a>' in rows[-1] and "2.5&nbsp;min" in rows[-1]
    for lesson, row in zip(lessons, rows):
        nb = nbformat.read(lesson, as_version=4)
        solutions = sum("solution" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
        assert re.findall(r"<td>(\d+)</td>", row)[0] == str(solutions), lesson.name
        if solutions:   # a lesson with exercises states its goals
            assert row.count("<li>") >= 2, lesson.name
    assert "make student" in text and "make lab" in text and 'href="index.html"' in text
    goals = bg.lesson_goals(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# L\n\n**Learning goals.** You can\n1. one *thing*;\n2. two,\n   across lines.\n\nMore text.")]))
    assert goals == ["one thing;", "two, across lines."]


@pytest.mark.browser
def test_formulas_typeset_offline_in_chromium(gallery):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent (make browser-deps installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    out, page, index = gallery
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            for doc, shot in ((page, "gallery_page_formula.png"), (index, "gallery_index_formula.png")):
                blocked, failed, errors = [], [], []
                ctx = browser.new_context(viewport={"width": 1200, "height": 800})
                ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                          else (blocked.append(route.request.url), route.abort()))
                tab = ctx.new_page()
                tab.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith("file://") else None)
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                tab.goto(doc.as_uri())
                tab.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000)
                tab.evaluate("MathJax.startup.promise")
                n = tab.locator("mjx-container").count()
                assert n >= 2 if doc is page else n >= 1, f"{doc.name}: {n} typeset formulas"
                assert tab.locator("mjx-container[display='true']").count() >= (1 if doc is page else 0)
                assert tab.locator("mjx-merror").count() == 0, f"{doc.name}: MathJax reported a TeX error"
                body = tab.inner_text("body")
                assert "\\beta" not in body, f"{doc.name}: TeX left untypeset"
                assert not failed, f"{doc.name}: local files missing: {failed}"
                assert not errors, errors
                tab.screenshot(path=str(SHOTS / shot), full_page=True)
                ctx.close()
                assert all(not u.startswith(("http:", "https:")) or "mathjax" not in u.lower() for u in blocked), blocked
        finally:
            browser.close()


def test_scoreboard_as_markdown_for_the_readme():
    e = bg.Entry(ROOT / "gallery" / "99_formula.ipynb", "gallery", "99_formula", state="done", ok=True,
                 numbers={"claims": [CLAIM]})
    queued = bg.Entry(ROOT / "gallery" / "97_later.ipynb", "gallery", "97_later", numbers={"claims": [CLAIM]})
    lines = bg.scoreboard_markdown([e, queued]).splitlines()
    assert len(lines) == 3   # the header, its rule, one claim (a queued notebook has none yet)
    assert lines[2] == ("| `gallery/99_formula` | MultiAdam's error moves by < 1.5× over s | — | 1.10 [1.00, 1.20] | 3 "
                        "| 2.1 min | partly |")
