"""Execute every notebook headlessly and write a static, browsable gallery with a reproduction scoreboard.

    .venv/bin/python scripts/build_gallery.py --out build/gallery            # full budgets (what people run)
    .venv/bin/python scripts/build_gallery.py --out build/gallery --quick    # smoke budgets, as in the tests
    .venv/bin/python scripts/build_gallery.py gallery/11_multiadam.ipynb     # update one card

For each notebook in ``notebooks/`` and ``gallery/`` (or those named on the command line):

1. execute it with papermill (kernel ``python3``, a per-cell timeout, working directory the
   notebook's folder) with ``PINNKIT_QUICK`` set for the mode and ``PINNKIT_RESULTS``
   pointing at ``OUT/results`` so that ``pinnkit.report.record`` writes there;
2. save the executed notebook to ``OUT/executed/<folder>/<name>.ipynb`` and render it to
   ``OUT/html/<folder>/<name>.html`` with nbconvert;
3. take its key figure — the first image of a cell tagged ``gallery-figure``, else the last
   PNG output — as ``OUT/thumbs/<folder>__<name>.png``.

``OUT/index.html`` opens with the **reproduction scoreboard**: one row per paper claim a
notebook recorded (``record(..., claims=[Claim(...)])``) — paper, claim, the paper's number,
pinnkit's median [min, max] over seeds, seeds, budget, wall time and the verdict, linked
to the notebook's page. Below it, one card per notebook: title, key figure, one sentence
on what it shows (the first paragraph of its first Markdown cell, shortened), its claims
and the verdicts, run time and a link to the rendered notebook. The header gives the
stamp of the build once (commit, torch, CPU). The index is rewritten after every
notebook, so it can be opened while the rest still run. A failing notebook gets a red card
with its error and the build goes on; the script exits 1 at the end if any notebook failed.

Notebooks named on the command line replace their cards in the last build's index
(``OUT/manifest.json``, same mode).

Offline: the index, the thumbnails and the rendered notebooks use no external resources
for text, figures or formulas. Formulas are typeset by MathJax 3, copied at build time
from the ``django-static-mathjax`` package (import name ``mathjax``, no Django needed) into
``OUT/mathjax/``; rendered notebooks embed their images and CSS and drop require.js (only
widget state needs it). Interactive HoloViews/Panel outputs load BokehJS as the notebook
decided when it ran (inline unless ``PINNKIT_INLINE=0``).
"""
from __future__ import annotations

import argparse
import base64
import html
import importlib.util
import io
import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "gallery")
FIGURE_TAG = "gallery-figure"
THUMB_WIDTH = 560
SUMMARY_CHARS = 240
VERDICT_CLASS = {"reproduced": "v-yes", "partly": "v-partly", "not reproduced": "v-no"}

# --- MathJax, from an installed package --------------------------------------------------
MATHJAX_DIR = "mathjax"  # under OUT
MATHJAX_SCRIPT = "tex-chtml-full.js"  # every TeX extension built in: nothing is fetched at typesetting time
MATHJAX_FILES = (MATHJAX_SCRIPT, "output/chtml/fonts/woff-v2")
MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  options: {enableMenu: false},
  startup: {typeset: true}
};"""


def mathjax_source() -> Path | None:
    """The ``es5`` folder of MathJax 3 inside the ``mathjax`` package (PyPI: django-static-mathjax), or None."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return es5 if (es5 / MATHJAX_SCRIPT).is_file() else None


def install_mathjax(out: Path) -> str | None:
    """Copy the MathJax files the pages need into ``OUT/mathjax``; return the script's path
    relative to ``OUT`` (None, with a warning, when the package is missing)."""
    src = mathjax_source()
    if src is None:
        print("warning: MathJax not found (pip install django-static-mathjax, part of the 'notebooks' extra); "
              "formulas will show as TeX", file=sys.stderr)
        return None
    dest = out / MATHJAX_DIR
    for rel in MATHJAX_FILES:
        s, d = src / rel, dest / rel
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    licence = src.parent / "LICENSE"
    if licence.exists():
        shutil.copy2(licence, dest / "LICENSE")
    return f"{MATHJAX_DIR}/{MATHJAX_SCRIPT}"


def mathjax_tags(src: str | None) -> str:
    """The ``<script>`` tags that typeset ``$…$`` and ``$$…$$`` with the local MathJax at ``src``."""
    if not src:
        return ""
    return f'<script>{MATHJAX_CONFIG}</script>\n<script defer src="{html.escape(src)}"></script>'


# --- one notebook --------------------------------------------------------------------------
@dataclass
class Entry:
    path: Path  # the source notebook
    folder: str
    stem: str
    title: str = ""
    summary: str = ""
    state: str = "queued"  # queued, running, done
    ok: bool = False
    error: str = ""
    seconds: float = 0.0
    numbers: dict = field(default_factory=dict)
    html: str = ""  # relative to OUT
    thumb: str = ""  # relative to OUT

    @property
    def key(self) -> str:
        return f"{self.folder}__{self.stem}"

    @property
    def claims(self) -> list[dict]:
        claims = self.numbers.get("claims") or []
        return [c for c in claims if isinstance(c, dict)]


def discover(root: Path = ROOT) -> list[Path]:
    """Every ``*.ipynb`` under ``notebooks/`` and ``gallery/`` (checkpoints excluded), sorted."""
    found = []
    for folder in FOLDERS:
        found += [p for p in sorted((root / folder).rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return found


def title_of(nb) -> str:
    """The first Markdown heading of the notebook (without its ``#``s)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"\s*#+\s+(.*\S)", line)
                if m:
                    return m.group(1)
    return ""


MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


def _plain(text: str) -> str:
    """Markdown emphasis, links and code marks removed outside ``$…$`` (math is kept as it is)."""
    parts, last = [], 0
    for m in MATH.finditer(text):
        parts += [("t", text[last:m.start()]), ("m", m.group(0))]
        last = m.end()
    parts.append(("t", text[last:]))
    out = []
    for kind, s in parts:
        if kind == "t":
            s = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", s)  # links and images: their text
            s = s.replace("**", "").replace("__", "").replace("`", "")
            s = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"\1", s)  # *italic*
        out.append(s)
    return "".join(out)


def summary_of(nb, limit: int = SUMMARY_CHARS) -> str:
    """One or two sentences saying what the notebook shows: the first paragraph after the
    title of its first Markdown cell, without Markdown marks or a leading label such as
    **Question.**, cut at a sentence end (or a word, with …) within ``limit`` characters,
    never inside a formula."""
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", first.source)]
    paragraph = next((p for p in paragraphs if p and not p.lstrip().startswith(("#", "$$", "|", "```"))), "")
    text = " ".join(paragraph.split())
    text = re.sub(r"^\*\*[^*]{1,30}[.:]\*\*\s*", "", text)  # "**Question.** ..." -> "..."
    text = " ".join(_plain(text).split())
    if len(text) <= limit:
        return text
    spans = [m.span() for m in MATH.finditer(text)]
    outside = lambda i: not any(a <= i < b for a, b in spans)  # noqa: E731
    ends = [m.end() for m in re.finditer(r"[.?!](?=\s)", text) if outside(m.start())]
    good = [e for e in ends if e <= limit]
    if good:
        cut = next((e for e in good if e >= 80), good[-1])
        return text[:cut]
    spaces = [m.start() for m in re.finditer(r"\s", text[:limit + 1]) if outside(m.start())]
    cut = spaces[-1] if spaces else limit
    return text[:cut].rstrip(" ,;:—-") + "…"


def key_figure(nb) -> bytes | None:
    """PNG bytes of the first image in a cell tagged ``gallery-figure``, else of the last
    PNG output of the notebook; ``None`` when it has none."""
    tagged, last = None, None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                last = png
                if tagged is None and FIGURE_TAG in cell.metadata.get("tags", []):
                    tagged = png
    png = tagged or last
    return base64.b64decode(png) if png else None


def save_thumbnail(png: bytes, path: Path, width: int = THUMB_WIDTH) -> None:
    """Write ``png`` scaled down to at most ``width`` pixels wide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from PIL import Image

        img = Image.open(io.BytesIO(png))
        if img.width > width:
            img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
        img.save(path, "PNG", optimize=True)
    except Exception:  # Pillow missing or an odd image: keep the original
        path.write_bytes(png)


def html_exporter():
    """nbconvert's ``lab`` HTML template without require.js (kept for widget state only),
    with MathJax 3 from the tags in ``resources["pinnkit_mathjax_tags"]`` (a local copy) instead
    of a CDN, and without the Mermaid loader (a CDN module) unless the notebook has a diagram."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    template = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
{%- if "widgets" in nb.metadata -%}<script src="{{ resources.require_js_url }}"></script>{%- endif -%}
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
{{ resources.pinnkit_mathjax_tags }}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}
{%- if resources.pinnkit_mermaid -%}{{ super() }}{%- endif -%}
{%- endblock html_head_js_mermaidjs -%}
"""
    return HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"pinnkit_offline.html.j2": template})],
                        template_file="pinnkit_offline.html.j2")


def render_page(nb, title: str, page: Path, out: Path, mathjax: str | None) -> None:
    """Render ``nb`` to ``page`` (under ``out``), typesetting math with the MathJax at ``out/mathjax``."""
    src = os.path.relpath(out / mathjax, page.parent).replace(os.sep, "/") if mathjax else None
    mermaid = any(c.cell_type == "markdown" and "```mermaid" in c.source for c in nb.cells)
    body, _ = html_exporter().from_notebook_node(
        nb, resources={"metadata": {"name": title}, "pinnkit_mathjax_tags": mathjax_tags(src),
                       "pinnkit_mermaid": mermaid})
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(body, encoding="utf-8")


def describe(entry: Entry) -> None:
    """Title and summary from the source notebook (before it runs)."""
    import nbformat

    try:
        nb = nbformat.read(entry.path, as_version=4)
    except Exception:  # an unreadable notebook fails when it runs; the card still needs a title
        entry.title = entry.title or entry.stem
        return
    entry.title = title_of(nb) or entry.stem
    entry.summary = summary_of(nb)


def run_one(entry: Entry, out: Path, quick: bool, timeout: int, kernel: str, mathjax: str | None) -> None:
    import nbformat
    import papermill as pm

    executed = out / "executed" / entry.folder / f"{entry.stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    result = out / "results" / f"{entry.stem}.json"
    if result.exists():
        result.unlink()  # never show numbers of an earlier build
    if executed.exists():
        executed.unlink()
    os.environ["PINNKIT_QUICK"] = "1" if quick else "0"
    os.environ["PINNKIT_RESULTS"] = str((out / "results").resolve())
    entry.ok, entry.error, entry.numbers, entry.html, entry.thumb = False, "", {}, "", ""
    t0 = time.perf_counter()
    try:
        # a bar per notebook (its cells), under the overall bar over notebooks
        pm.execute_notebook(str(entry.path), str(executed), kernel_name=kernel, execution_timeout=timeout,
                            cwd=str(entry.path.parent),
                            progress_bar={"desc": f"  {entry.stem}", "leave": False, "position": 1,
                                          "dynamic_ncols": True, "file": sys.stderr})
        entry.ok = True
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
        entry.error = f"{type(exc).__name__}: {getattr(exc, 'ename', '')} {getattr(exc, 'evalue', exc)}".strip()
        entry.error = entry.error[:600]
    entry.seconds = time.perf_counter() - t0

    nb = nbformat.read(executed if executed.exists() else entry.path, as_version=4)
    entry.title = title_of(nb) or entry.stem
    entry.summary = summary_of(nb)
    if result.exists():
        try:
            entry.numbers = json.loads(result.read_text())
        except json.JSONDecodeError as exc:
            entry.numbers = {}
            entry.error = entry.error or f"unreadable results JSON: {exc}"
            entry.ok = False
    elif entry.ok:
        entry.error = f"the notebook recorded no numbers ({result.name} missing)"
        entry.ok = False
    png = key_figure(nb)
    if png is not None:
        thumb = out / "thumbs" / f"{entry.key}.png"
        save_thumbnail(png, thumb)
        entry.thumb = thumb.relative_to(out).as_posix()
    page = out / "html" / entry.folder / f"{entry.stem}.html"
    try:
        render_page(nb, entry.title, page, out, mathjax)
        entry.html = page.relative_to(out).as_posix()
    except Exception as exc:
        entry.error = (entry.error + f"; HTML rendering failed: {exc}").lstrip("; ")
        entry.ok = False


# --- index.html ------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
header{padding:22px 32px 10px}
h1{margin:0 0 4px;font-size:26px}
.meta{color:#5b6575;font-size:14px;line-height:1.6}
.meta b{color:#1d2430}
.meta code{font-size:13px}
.warn{margin:8px 0 0;padding:6px 10px;border-radius:6px;background:#fff4d6;color:#6b4b00;font-size:13px;display:inline-block}
h2{margin:18px 32px 4px;font-size:18px;color:#3a4456}
h2.folder{text-transform:capitalize}
.board{margin:8px 32px 8px;background:#fff;border:1px solid #dde1e7;border-radius:10px;overflow-x:auto}
.board table{border-collapse:collapse;width:100%;font-size:13px}
.board th{text-align:left;font-weight:600;color:#3a4456;background:#f0f2f6;padding:7px 10px;white-space:nowrap}
.board td{padding:7px 10px;border-top:1px solid #eef0f3;vertical-align:top}
.board td.num{font-variant-numeric:tabular-nums;white-space:nowrap;text-align:right}
.board td.claim{min-width:280px}
.board td.budget{min-width:150px}
.board .nb{display:block;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;color:#6b7585;margin-top:2px}
.board .note{display:block;color:#5b6575;font-size:12px;margin-top:3px}
.board a{color:#1d4fa8;text-decoration:none}.board a:hover{text-decoration:underline}
.empty{padding:10px 14px;color:#6b7585;font-size:13px}
.verdict{display:inline-block;font-size:12px;font-weight:700;padding:2px 8px;border-radius:9px;white-space:nowrap}
.v-yes{background:#dcf3e3;color:#126133}.v-partly{background:#fff0c9;color:#7a5200}.v-no{background:#fde0e0;color:#a31d1d}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:18px;padding:12px 32px 32px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:10px;overflow:hidden;display:flex;flex-direction:column;
 box-shadow:0 1px 2px rgba(0,0,0,.04)}
.card.failed{border-color:#d33;box-shadow:0 0 0 2px #f4c6c6}
.card.pending{opacity:.6}
.thumb{display:block;background:#fff;border-bottom:1px solid #eef0f3;height:210px;
 display:flex;align-items:center;justify-content:center}
.thumb img{max-width:100%;max-height:210px;object-fit:contain}
.thumb .none{color:#99a;font-size:13px}
.body{padding:12px 16px 14px;display:flex;flex-direction:column;gap:8px;flex:1}
.title{font-weight:600;font-size:16px;line-height:1.3}
.title a{color:#1d2430;text-decoration:none}
.title a:hover{text-decoration:underline}
.what{font-size:13.5px;line-height:1.45;color:#2c3544}
.file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#6b7585}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:2px 7px;border-radius:9px;margin-right:6px}
.ok{background:#e3f4e8;color:#17663a}.bad{background:#fde5e5;color:#a31d1d}.mode{background:#e8eefc;color:#2848a0}
.wait{background:#eceef2;color:#555f70}
.claims{display:flex;flex-direction:column;gap:6px}
.cl{border-left:3px solid #dde1e7;padding:2px 0 2px 8px;font-size:12.5px;line-height:1.4}
.cl.v-yes-b{border-color:#3aa565}.cl.v-partly-b{border-color:#d9a400}.cl.v-no-b{border-color:#d33}
.cl .nums{color:#3a4456;font-variant-numeric:tabular-nums;margin-top:2px}
.none-yet{font-size:12.5px;color:#7a8494}
.error{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#a31d1d;white-space:pre-wrap;
 background:#fff6f6;border-radius:6px;padding:6px 8px;max-height:120px;overflow:auto}
footer{color:#7a8494;font-size:12px;padding:0 32px 24px}
"""


def esc(v) -> str:
    return html.escape(str(v))


def number(v) -> str:
    """A number for a reader: 3 significant figures, exponent only when needed."""
    if v is None:
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return esc(v)
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        return esc(v)
    if v == 0:
        return "0"
    if 1e-2 <= abs(v) < 1e4:
        return f"{v:#.3g}".rstrip(".")  # 1.00, 0.0123, 250
    return f"{v:.2e}"


def pinnkit_numbers(c: dict) -> str:
    """``median [min, max]`` of a claim's values (just the value for one seed)."""
    values = c.get("values") or []
    if len(values) <= 1:
        return number(c.get("median", values[0] if values else None))
    return f'{number(c.get("median"))} <span class="range">[{number(c.get("low"))}, {number(c.get("high"))}]</span>'


def duration(seconds) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return "—"
    if seconds < 90:
        return f"{seconds:.0f}&nbsp;s"
    if seconds < 5400:
        return f"{seconds / 60:.1f}&nbsp;min"
    return f"{seconds / 3600:.1f}&nbsp;h"


def verdict_badge(v: str) -> str:
    return f'<span class="verdict {VERDICT_CLASS.get(v, "v-no")}">{esc(v)}</span>'


def seeds_text(c: dict) -> str:
    seeds = c.get("seeds") or []
    return str(len(seeds)) if seeds else "—"


def scoreboard(entries: list[Entry]) -> str:
    rows = []
    for e in entries:
        if e.state != "done":
            continue
        for c in e.claims:
            link = esc(e.html) if e.html else ""
            claim = esc(c.get("claim", ""))
            claim = f'<a href="{link}">{claim}</a>' if link else claim
            note = f'<span class="note">{esc(c["note"])}</span>' if c.get("note") else ""
            rows.append(
                f'<tr data-notebook="{esc(e.key)}"><td>{esc(c.get("paper", ""))}</td>'
                f'<td class="claim">{claim}<span class="nb">{esc(e.folder)}/{esc(e.stem)}</span>{note}</td>'
                f'<td class="num">{number(c.get("paper_value"))}</td><td class="num">{pinnkit_numbers(c)}</td>'
                f'<td class="num">{seeds_text(c)}</td><td class="budget">{esc(c.get("budget", "")) or "—"}'
                f'{"" if c.get("dtype") in (None, "", "float32") else " · " + esc(c["dtype"])}</td>'
                f'<td class="num">{duration(c.get("wall_seconds"))}</td><td>{verdict_badge(c.get("verdict", ""))}</td></tr>')
    if not rows:
        return ('<div class="board"><div class="empty">No notebook has recorded a paper claim yet '
                '(<code>pinnkit.report.record(..., claims=[Claim(...)])</code>).</div></div>')
    head = ("<tr><th>paper</th><th>claim</th><th>paper's number</th><th>pinnkit: median [min, max]</th>"
            "<th>seeds</th><th>budget</th><th>wall time</th><th>verdict</th></tr>")
    return f'<div class="board"><table id="scoreboard"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def scoreboard_markdown(entries: list[Entry]) -> str:
    """The scoreboard as a Markdown table (for the README): one row per recorded claim."""
    def plain(v) -> str:
        return html.unescape(re.sub("<[^>]+>", "", v)).replace("\xa0", " ").replace("|", "\\|")

    lines = ["| notebook | claim | paper | pinnkit median [min, max] | seeds | wall time | verdict |",
             "|---|---|---|---|---|---|---|"]
    for e in entries:
        if e.state != "done":
            continue
        for c in e.claims:
            lines.append(f"| `{e.folder}/{e.stem}` | {plain(esc(c.get('claim', '')))} | {plain(number(c.get('paper_value')))} | "
                         f"{plain(pinnkit_numbers(c))} | {seeds_text(c)} | {plain(duration(c.get('wall_seconds')))} | "
                         f"{c.get('verdict', '—')} |")
    return "\n".join(lines)


def headline(numbers: dict) -> str:
    """For a notebook without claims: its relative L2 beside the paper's, when it records them."""
    if isinstance(numbers.get("rel_l2"), (int, float)) and not isinstance(numbers.get("rel_l2"), bool):
        paper = numbers.get("paper_rel_l2")
        return (f'<div class="none-yet">rel. L2 <b>{number(numbers["rel_l2"])}</b>'
                + (f" (paper {number(paper)})" if isinstance(paper, (int, float)) else "") + " · no paper claim recorded yet</div>")
    return '<div class="none-yet">No paper claim recorded yet.</div>'


def card_claims(e: Entry) -> str:
    if e.state != "done" or not e.numbers:
        return ""
    if not e.claims:
        return headline(e.numbers)
    items = []
    for c in e.claims:
        cls = VERDICT_CLASS.get(c.get("verdict"), "v-no")
        items.append(f'<div class="cl {cls}-b">{verdict_badge(c.get("verdict", ""))} {esc(c.get("claim", ""))}'
                     f'<div class="nums">paper {"gives no number" if c.get("paper_value") is None else number(c["paper_value"])}'
                     f' · pinnkit {pinnkit_numbers(c)}'
                     f' · {seeds_text(c)} seed(s)</div></div>')
    return f'<div class="claims">{"".join(items)}</div>'


def card(e: Entry) -> str:
    link = esc(e.html) if e.html else ""
    if e.state != "done":
        img = f'<span class="none">{"running…" if e.state == "running" else "queued"}</span>'
    else:
        img = (f'<img src="{esc(e.thumb)}" alt="key figure of {esc(e.title)}">' if e.thumb
               else '<span class="none">no figure</span>')
    thumb = f'<a class="thumb" href="{link}">{img}</a>' if link else f'<div class="thumb">{img}</div>'
    title = f'<a href="{link}">{esc(e.title or e.stem)}</a>' if link else esc(e.title or e.stem)
    if e.state == "done":
        status = '<span class="badge ok">passed</span>' if e.ok else '<span class="badge bad">FAILED</span>'
    else:
        status = f'<span class="badge wait">{esc(e.state)}</span>'
    mode = ""
    if "quick" in e.numbers:
        mode = f'<span class="badge mode">{"quick" if e.numbers["quick"] else "full"}</span>'
    seconds = f" · {e.seconds:.0f}&nbsp;s" if e.state == "done" else ""
    error = f'<div class="error">{esc(e.error)}</div>' if e.error else ""
    what = f'<div class="what">{esc(e.summary)}</div>' if e.summary else ""
    cls = "card" + ("" if e.state != "done" or e.ok else " failed") + ("" if e.state == "done" else " pending")
    return (f'<div class="{cls}" data-notebook="{esc(e.key)}">{thumb}'
            f'<div class="body"><div class="title">{title}</div>{what}{card_claims(e)}{error}'
            f'<div class="file">{status}{mode}{esc(e.folder)}/{esc(e.path.name)}{seconds}</div></div></div>')


def stamp_line(stamp: dict, entries: list[Entry]) -> str:
    """The build's stamp, once: commit, torch, CPU; a warning when the cards come from several commits."""
    if not stamp:
        return ""
    parts = [f'commit <b>{esc(stamp.get("commit") or "not a git checkout")}</b>',
             f'pinnkit {esc(stamp.get("pinnkit") or "?")}', f'torch <b>{esc(stamp.get("torch") or "?")}</b>',
             f'Python {esc(stamp.get("python") or "?")}',
             f'CPU <b>{esc(stamp.get("cpu") or "?")}</b> ({esc(stamp.get("cores") or "?")} cores)']
    line = " · ".join(parts)
    commits = sorted({str((e.numbers.get("stamp") or {}).get("commit")) for e in entries
                      if e.state == "done" and e.numbers.get("stamp")})
    if len(commits) > 1:
        line += f'<div class="warn">Cards come from several commits: {esc(", ".join(commits))}</div>'
    return line


def write_index(entries: list[Entry], out: Path, quick: bool, total: float, stamp: dict | None = None,
                mathjax: str | None = None, running: bool = False) -> Path:
    done = [e for e in entries if e.state == "done"]
    failed = [e for e in done if not e.ok]
    sections = []
    for folder in dict.fromkeys(e.folder for e in entries):
        cards = "\n".join(card(e) for e in entries if e.folder == folder)
        sections.append(f"<h2 class=\"folder\">{esc(folder)}</h2>\n<div class=\"grid\">\n{cards}\n</div>")
    when = (stamp or {}).get("date", "")
    progress = (f"<b>{len(done)}</b> of <b>{len(entries)}</b> notebooks run so far (this page is rewritten as each "
                "finishes; reload)" if running else
                f"<b>{len(done) - len(failed)}</b> of <b>{len(entries)}</b> notebooks passed")
    summary = (f"{progress} · <b>{'quick' if quick else 'full'}</b> mode · "
               f"{'running for' if running else 'built in'} <b>{total:.0f} s</b> · {esc(when)}")
    warn = ('<div class="warn">Quick build: smoke budgets and one seed. These verdicts check the plumbing, '
            'not the papers; <code>make gallery</code> runs the real budgets.</div>' if quick else "")
    refresh = '<meta http-equiv="refresh" content="30">' if running else ""
    n_claims = sum(len(e.claims) for e in done)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>pinnkit gallery</title><style>{CSS}</style>
{mathjax_tags(mathjax)}
</head>
<body><header><h1>pinnkit gallery</h1><div class="meta">{summary} · <a href="course.html">the course</a><br>{stamp_line(stamp or {}, entries)}</div>{warn}</header>
<h2>Reproduction scoreboard <span class="meta">({n_claims} claim{'' if n_claims == 1 else 's'})</span></h2>
{scoreboard(entries)}
{chr(10).join(sections) if sections else '<p style="padding:0 32px">No notebooks found.</p>'}
<footer>Scoreboard: one row per paper claim a notebook checks (<code>pinnkit.report.Claim</code>): the paper's
number beside pinnkit's median [min, max] over seeds, and the verdict — reproduced (direction and size of the
effect), partly (direction only) or not reproduced. Each card: the notebook's first heading, its key figure, what
it shows, its claims, and a link to the executed notebook. Rebuild with <code>make gallery</code>
(<code>make gallery QUICK=1</code> for the smoke budgets of the tests).</footer>
</body></html>
"""
    path = out / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)  # a reader reloading mid-build never sees half a page
    write_course(entries, out, mathjax)
    return path


CLASSROOM = """<h2>Running the course offline in a classroom</h2>
<ol>
<li>On each machine (or once on a shared server), from a clone of pinnkit: <code>make install</code>
(it creates <code>.venv</code> from the package registries; after that nothing is downloaded — every
reference solution is computed by pinnkit itself).</li>
<li><code>make lab</code> opens JupyterLab on <code>notebooks/</code>; the lessons run their real budgets
on a laptop CPU (times below are this build's).</li>
<li><code>make student</code> writes the student version (every cell tagged <code>solution</code> removed)
into <code>build/student/</code>: hand that folder out and keep <code>notebooks/</code>, where the
solutions are, for yourself. The exercise checks live in <code>pinnkit.course</code>, so the student
copies work anywhere pinnkit is installed.</li>
<li>A student's <code>check_…()</code> call answers with a sentence: right, or what to look at.
An exercise left at <code>...</code> stops with "no answer yet".</li>
</ol>"""


def lesson_goals(nb) -> list[str]:
    """The numbered items under a lesson's "Learning goals" (first Markdown cell that has them)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "learning goals" in cell.source.lower():
            after = cell.source.lower().split("learning goals", 1)[1]
            text = cell.source[len(cell.source) - len(after):]
            items = re.finditer(r"^\s*\d+\.\s+(.+?)(?=^\s*\d+\.\s|\n\s*\n|\Z)", text, re.M | re.S)
            return [_plain(" ".join(m.group(1).split())) for m in items][:4]
    return []


def lesson_needs(source: str) -> str:
    """What a lesson needs beyond the library: a live kernel for its widgets, the gallery pages it links."""
    needs = []
    if "pinnkit_widgets" in source:
        needs.append("a live kernel for its widget (the executed page shows the final state only)")
    deeper = sorted(set(re.findall(r"gallery/(\d\d_[A-Za-z0-9_]+)\.ipynb", source)))
    if deeper:
        needs.append("deeper: gallery " + ", ".join(deeper))
    return "; ".join(needs) or "the library only"


def write_course(entries: list[Entry], out: Path, mathjax: str | None = None) -> Path | None:
    """``course.html``: the lesson list of ``notebooks/`` with goals, time in this build, needs, links."""
    import nbformat

    lessons = {e.stem: e for e in entries if e.folder == "notebooks"}
    for path in discover():   # a lesson not built yet is listed too, without a time
        if path.parent.name == "notebooks" and path.stem not in lessons:
            lessons[path.stem] = Entry(path, "notebooks", path.stem)
            describe(lessons[path.stem])
    lessons = [lessons[k] for k in sorted(lessons)]
    if not lessons:
        return None
    rows = []
    for e in lessons:
        try:
            nb = nbformat.read(e.path, as_version=4)
            goals, needs = lesson_goals(nb), lesson_needs("\n".join(c.source for c in nb.cells))
            exercises = sum("solution" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
        except (OSError, ValueError):
            goals, needs, exercises = [], "—", 0
        title = f'<a href="{esc(e.html)}">{esc(e.title or e.stem)}</a>' if e.html else esc(e.title or e.stem)
        state = "" if e.ok or e.state != "done" else ' <span class="verdict v-no">failed</span>'
        goal_list = "".join(f"<li>{esc(g)}</li>" for g in goals)
        rows.append(f"<tr><td>{title}{state}<ul>{goal_list}</ul></td><td>{exercises}</td>"
                    f"<td>{duration(e.seconds) if e.state == 'done' else '—'}</td><td>{esc(needs)}</td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pinnkit course</title><style>{CSS}</style>
{mathjax_tags(mathjax)}</head>
<body><header><h1>pinnkit course</h1><div class="meta">{len(lessons)} lessons · <a href="index.html">gallery</a></div></header>
<div class="board"><table id="course"><thead><tr><th>lesson and its goals</th><th>exercises</th>
<th>time in this build</th><th>needs</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></div>
<div style="padding:0 32px">{CLASSROOM}</div>
</body></html>
"""
    path = out / "course.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_manifest(entries: list[Entry], out: Path, quick: bool, total: float) -> None:
    manifest = {"quick": quick, "total": total,
                "entries": [{**e.__dict__, "path": str(e.path)} for e in entries if e.state == "done"]}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, default=str))
    os.replace(tmp, out / "manifest.json")


def load_entries(manifest: dict) -> list[Entry]:
    """The cards of an earlier build (a manifest written before cards had sentences gets them now)."""
    known = set(Entry.__dataclass_fields__)
    entries = [Entry(**{**{k: v for k, v in d.items() if k in known}, "path": Path(d["path"]), "state": "done"})
               for d in manifest["entries"]]
    for e in entries:
        if not e.summary and e.path.exists():
            title = e.title
            describe(e)
            e.title = title or e.title
    return entries


def build_stamp() -> dict:
    try:
        from pinnkit.report import stamp

        return stamp()
    except Exception as exc:  # the gallery is still worth writing
        print(f"warning: no stamp ({exc})", file=sys.stderr)
        return {}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Execute the notebooks and write a static gallery.")
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/ and gallery/)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "gallery", help="output folder")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smoke budgets (PINNKIT_QUICK=1 in the kernels), as in the tests")
    mode.add_argument("--full", action="store_true", help="full budgets: the default, accepted for old scripts")
    ap.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds "
                    "(default 600 quick, 3600 full)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    ap.add_argument("--markdown", action="store_true",
                    help="print the last build's scoreboard as a Markdown table and exit")
    ap.add_argument("--index-only", action="store_true",
                    help="rewrite index.html from the last build's manifest.json without running anything")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if args.markdown:
        print(scoreboard_markdown(load_entries(json.loads((out / "manifest.json").read_text()))))
        return 0
    if args.index_only:
        manifest = json.loads((out / "manifest.json").read_text())
        entries = load_entries(manifest)
        mathjax = install_mathjax(out)
        print(f"rewrote {write_index(entries, out, manifest['quick'], manifest['total'], build_stamp(), mathjax)}")
        return 0 if all(e.ok for e in entries) else 1
    quick = args.quick
    timeout = args.timeout or (600 if quick else 3600)
    paths = [p.resolve() for p in args.notebooks] or discover()
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            ap.error(f"not a notebook: {p}")
    out.mkdir(parents=True, exist_ok=True)
    if not args.notebooks:  # a full rebuild leaves nothing stale behind
        for sub in ("executed", "html", "thumbs"):
            shutil.rmtree(out / sub, ignore_errors=True)
    mathjax = install_mathjax(out)
    stamp = build_stamp()

    fresh = []
    for p in paths:
        try:
            folder = p.parent.relative_to(ROOT).as_posix()
        except ValueError:
            folder = p.parent.name
        e = Entry(p, folder, p.stem)
        describe(e)
        fresh.append(e)
    kept = []
    previous = out / "manifest.json"
    if args.notebooks and previous.exists():  # update these cards in the last build's index
        last = json.loads(previous.read_text())
        if last.get("quick") == quick:
            names = {str(e.path) for e in fresh}
            kept = [e for e in load_entries(last) if str(e.path) not in names]
    order = {str(p): i for i, p in enumerate(discover())}
    entries = sorted(kept + fresh, key=lambda e: order.get(str(e.path), len(order)))

    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    tqdm.write(f"building the gallery of {len(paths)} notebook(s) in {'quick' if quick else 'full'} mode -> {out}"
               f"\nopen {out / 'index.html'} at any time: it is rewritten as each notebook finishes")
    write_index(entries, out, quick, 0.0, stamp, mathjax, running=True)
    bar = tqdm(fresh, desc="notebooks", unit="nb", file=sys.stderr, dynamic_ncols=True, position=0)
    for e in bar:
        bar.set_postfix_str(e.stem)
        e.state = "running"
        write_index(entries, out, quick, time.perf_counter() - t0, stamp, mathjax, running=True)
        run_one(e, out, quick, timeout, args.kernel, mathjax)
        e.state = "done"
        verdicts = ", ".join(c.get("verdict", "?") for c in e.claims)
        tqdm.write(f"  {'ok    ' if e.ok else 'FAILED'} {e.folder}/{e.path.name:32s} {e.seconds:7.1f} s"
                   + (f"  claims: {verdicts}" if verdicts else "")
                   + (f"\n         {e.error}" if e.error else ""))
        last = e is fresh[-1]
        write_index(entries, out, quick, time.perf_counter() - t0, stamp, mathjax, running=not last)
        write_manifest(entries, out, quick, time.perf_counter() - t0)
    bar.close()
    total = time.perf_counter() - t0
    index = write_index(entries, out, quick, total, stamp, mathjax)
    write_manifest(entries, out, quick, total)
    failed = [e for e in entries if not e.ok]
    print(f"ran {len(fresh)} notebook(s); wrote {index} ({len(entries) - len(failed)}/{len(entries)} cards passed); "
          f"total {total:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
