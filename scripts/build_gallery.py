"""Execute every notebook headlessly and write a static, browsable gallery.

    .venv/bin/python scripts/build_gallery.py --out build/gallery          # quick mode
    FULL=1 .venv/bin/python scripts/build_gallery.py --out build/gallery   # full budgets
    .venv/bin/python scripts/build_gallery.py notebooks/01_burgers.ipynb   # update one card

For each notebook in ``notebooks/`` and ``gallery/`` (or those named on the command line):

1. execute it with papermill (kernel ``python3``, a per-cell timeout, working directory the
   notebook's folder) with ``PINNKIT_QUICK`` set for the mode and ``PINNKIT_RESULTS``
   pointing at ``OUT/results`` so that ``pinnkit.report.record`` writes there;
2. save the executed notebook to ``OUT/executed/<folder>/<name>.ipynb`` and render it to
   ``OUT/html/<folder>/<name>.html`` with nbconvert;
3. take its key figure — the first image of a cell tagged ``gallery-figure``, else the last
   PNG output — as ``OUT/thumbs/<folder>__<name>.png``.

Notebooks named on the command line replace their cards in the last build's index
(``OUT/manifest.json``, same mode). ``OUT/index.html`` shows one card per notebook: title (first Markdown heading),
thumbnail, headline numbers (``OUT/results/<name>.json``), run time and a link to the
rendered notebook. A failing notebook gets a red card with its error and the build goes
on; the script exits 1 at the end if any notebook failed.

Offline: the index and the thumbnails use no external resources; rendered notebooks
embed their images and CSS and drop require.js (only widget state needs it). Math in
Markdown is typeset by MathJax from its CDN when the browser is online and shows as
plain TeX otherwise (no MathJax ships with the Python packages).
"""
from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "gallery")
FIGURE_TAG = "gallery-figure"
THUMB_WIDTH = 560


@dataclass
class Entry:
    path: Path  # the source notebook
    folder: str
    stem: str
    title: str = ""
    ok: bool = False
    error: str = ""
    seconds: float = 0.0
    numbers: dict = field(default_factory=dict)
    html: str = ""  # relative to OUT
    thumb: str = ""  # relative to OUT

    @property
    def key(self) -> str:
        return f"{self.folder}__{self.stem}"


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
    """nbconvert's ``lab`` HTML template without require.js (kept for widget state only)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    template = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
{%- if "widgets" in nb.metadata -%}<script src="{{ resources.require_js_url }}"></script>{%- endif -%}
{%- endblock html_head_js_requirejs -%}
"""
    return HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"pinnkit_offline.html.j2": template})],
                        template_file="pinnkit_offline.html.j2")


def run_one(entry: Entry, out: Path, quick: bool, timeout: int, kernel: str) -> None:
    import nbformat
    import papermill as pm

    executed = out / "executed" / entry.folder / f"{entry.stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    result = out / "results" / f"{entry.stem}.json"
    if result.exists():
        result.unlink()  # never show numbers of an earlier build
    os.environ["PINNKIT_QUICK"] = "1" if quick else "0"
    os.environ["PINNKIT_RESULTS"] = str((out / "results").resolve())
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(entry.path), str(executed), kernel_name=kernel, execution_timeout=timeout,
                            cwd=str(entry.path.parent), progress_bar=False)
        entry.ok = True
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
        entry.error = f"{type(exc).__name__}: {getattr(exc, 'ename', '')} {getattr(exc, 'evalue', exc)}".strip()
        entry.error = entry.error[:600]
    entry.seconds = time.perf_counter() - t0

    nb = nbformat.read(executed if executed.exists() else entry.path, as_version=4)
    entry.title = title_of(nb) or entry.stem
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
    page.parent.mkdir(parents=True, exist_ok=True)
    try:
        body, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": entry.title}})
        page.write_text(body, encoding="utf-8")
        entry.html = page.relative_to(out).as_posix()
    except Exception as exc:
        entry.error = (entry.error + f"; HTML rendering failed: {exc}").lstrip("; ")
        entry.ok = False


# --- index.html ------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
header{padding:22px 32px 10px}
h1{margin:0 0 4px;font-size:26px}
.meta{color:#5b6575;font-size:14px}
.meta b{color:#1d2430}
h2{margin:18px 32px 4px;font-size:18px;color:#3a4456;text-transform:capitalize}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:18px;padding:12px 32px 32px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:10px;overflow:hidden;display:flex;flex-direction:column;
 box-shadow:0 1px 2px rgba(0,0,0,.04)}
.card.failed{border-color:#d33;box-shadow:0 0 0 2px #f4c6c6}
.thumb{display:block;background:#fff;border-bottom:1px solid #eef0f3;height:210px;
 display:flex;align-items:center;justify-content:center}
.thumb img{max-width:100%;max-height:210px;object-fit:contain}
.thumb .none{color:#99a;font-size:13px}
.body{padding:12px 16px 14px;display:flex;flex-direction:column;gap:8px;flex:1}
.title{font-weight:600;font-size:16px;line-height:1.3}
.title a{color:#1d2430;text-decoration:none}
.title a:hover{text-decoration:underline}
.file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#6b7585}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:2px 7px;border-radius:9px;margin-right:6px}
.ok{background:#e3f4e8;color:#17663a}.bad{background:#fde5e5;color:#a31d1d}.mode{background:#e8eefc;color:#2848a0}
table{border-collapse:collapse;font-size:13px;width:100%}
td{padding:2px 6px;border-bottom:1px solid #f0f1f4;vertical-align:top}
td.k{color:#5b6575;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;width:55%}
td.v{font-variant-numeric:tabular-nums;text-align:right}
tr.head td{font-weight:700}
.error{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#a31d1d;white-space:pre-wrap;
 background:#fff6f6;border-radius:6px;padding:6px 8px;max-height:120px;overflow:auto}
footer{color:#7a8494;font-size:12px;padding:0 32px 24px}
"""

HEADLINE = ("rel_l2", "paper_rel_l2")  # shown first and in bold
SKIP = {"notebook", "quick"}
MAX_NUMBERS = 8


def fmt(v, key: str = "") -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if any(w in key for w in ("l2", "err", "loss", "residual")) and v != 0:
            return f"{v:.2e}"  # errors compare across orders of magnitude
        if v == 0 or 1e-3 <= abs(v) < 1e4:
            return f"{v:.4g}"
        return f"{v:.2e}"
    if v is None:
        return "—"
    return html.escape(str(v))


def numbers_table(numbers: dict) -> str:
    """Scalars only (headline numbers first); nested values stay in the JSON."""
    scalar = lambda k: isinstance(numbers[k], (int, float, str, bool, type(None)))  # noqa: E731
    keys = [k for k in HEADLINE if k in numbers and scalar(k)]
    keys += [k for k in numbers if k not in HEADLINE and k not in SKIP and scalar(k)]
    nested = [k for k in numbers if k not in SKIP and not scalar(k)]
    rows = []
    for k in keys[:MAX_NUMBERS]:
        cls = ' class="head"' if k in HEADLINE else ""
        rows.append(f'<tr{cls}><td class="k">{html.escape(k)}</td><td class="v">{fmt(numbers[k], k)}</td></tr>')
    more = max(0, len(keys) - MAX_NUMBERS) + len(nested)
    if more > 0:
        rows.append(f'<tr><td class="k" colspan="2">… {more} more in results/{html.escape(str(numbers.get("notebook", "")))}.json</td></tr>')
    return "<table>" + "".join(rows) + "</table>" if rows else '<div class="meta">no numbers recorded</div>'


def card(e: Entry) -> str:
    link = html.escape(e.html) if e.html else ""
    img = (f'<img src="{html.escape(e.thumb)}" alt="key figure of {html.escape(e.title)}">'
           if e.thumb else '<span class="none">no figure</span>')
    thumb = f'<a class="thumb" href="{link}">{img}</a>' if link else f'<div class="thumb">{img}</div>'
    title = f'<a href="{link}">{html.escape(e.title)}</a>' if link else html.escape(e.title)
    status = ('<span class="badge ok">passed</span>' if e.ok else '<span class="badge bad">FAILED</span>')
    mode = ""
    if "quick" in e.numbers:
        mode = f'<span class="badge mode">{"quick" if e.numbers["quick"] else "full"}</span>'
    error = f'<div class="error">{html.escape(e.error)}</div>' if e.error else ""
    return (f'<div class="card{"" if e.ok else " failed"}" data-notebook="{html.escape(e.key)}">{thumb}'
            f'<div class="body"><div class="title">{title}</div>'
            f'<div class="file">{status}{mode}{html.escape(e.folder)}/{html.escape(e.path.name)} · {e.seconds:.0f}&nbsp;s</div>'
            f"{error}{numbers_table(e.numbers)}</div></div>")


def write_index(entries: list[Entry], out: Path, quick: bool, total: float) -> Path:
    failed = [e for e in entries if not e.ok]
    sections = []
    for folder in dict.fromkeys(e.folder for e in entries):
        cards = "\n".join(card(e) for e in entries if e.folder == folder)
        sections.append(f"<h2>{html.escape(folder)}</h2>\n<div class=\"grid\">\n{cards}\n</div>")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    summary = (f"<b>{len(entries) - len(failed)}</b> of <b>{len(entries)}</b> notebooks passed · "
               f"<b>{'quick' if quick else 'full'}</b> mode · built in <b>{total:.0f} s</b> · {stamp}")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pinnkit gallery</title><style>{CSS}</style></head>
<body><header><h1>pinnkit gallery</h1><div class="meta">{summary}</div></header>
{chr(10).join(sections) if sections else '<p style="padding:0 32px">No notebooks found.</p>'}
<footer>Each card: the notebook's first heading, its key figure, the numbers it recorded with
<code>pinnkit.report.record</code>, and a link to the executed notebook.
Rebuild with <code>make gallery</code> (<code>make gallery FULL=1</code> for full budgets).</footer>
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Execute the notebooks and write a static gallery.")
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/ and gallery/)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "gallery", help="output folder")
    ap.add_argument("--full", action="store_true", help="full budgets (also FULL=1 or PINNKIT_QUICK=0)")
    ap.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds "
                    "(default 600 quick, 3600 full)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    ap.add_argument("--index-only", action="store_true",
                    help="rewrite index.html from the last build's manifest.json without running anything")
    args = ap.parse_args(argv)
    if args.index_only:
        manifest = json.loads((args.out / "manifest.json").read_text())
        entries = [Entry(**{**e, "path": Path(e["path"])}) for e in manifest["entries"]]
        print(f"rewrote {write_index(entries, args.out.resolve(), manifest['quick'], manifest['total'])}")
        return 0 if all(e.ok for e in entries) else 1
    env_full = os.environ.get("FULL", "").strip() in ("1", "true", "yes") or \
        os.environ.get("PINNKIT_QUICK", "1").strip().lower() in ("0", "false", "no")
    quick = not (args.full or env_full)
    timeout = args.timeout or (600 if quick else 3600)
    out = args.out.resolve()
    paths = [p.resolve() for p in args.notebooks] or discover()
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            ap.error(f"not a notebook: {p}")
    out.mkdir(parents=True, exist_ok=True)
    if not args.notebooks:  # a full rebuild leaves nothing stale behind
        for sub in ("executed", "html", "thumbs"):
            shutil.rmtree(out / sub, ignore_errors=True)

    t0 = time.perf_counter()
    entries = []
    print(f"building the gallery of {len(paths)} notebook(s) in {'quick' if quick else 'full'} mode -> {out}",
          flush=True)
    for p in paths:
        try:
            folder = p.parent.relative_to(ROOT).as_posix()
        except ValueError:
            folder = p.parent.name
        e = Entry(p, folder, p.stem)
        run_one(e, out, quick, timeout, args.kernel)
        entries.append(e)
        print(f"  {'ok    ' if e.ok else 'FAILED'} {folder}/{p.name:32s} {e.seconds:6.1f} s"
              + (f"  rel_l2={e.numbers['rel_l2']:.3e}" if isinstance(e.numbers.get("rel_l2"), float) else "")
              + (f"\n         {e.error}" if e.error else ""), flush=True)
    total = time.perf_counter() - t0
    ran = len(entries)
    previous = out / "manifest.json"
    if args.notebooks and previous.exists():  # update these cards in the last build's index
        last = json.loads(previous.read_text())
        if last.get("quick") == quick:
            fresh = {str(e.path) for e in entries}
            kept = [Entry(**{**d, "path": Path(d["path"])}) for d in last["entries"] if d["path"] not in fresh]
            order = {str(p): i for i, p in enumerate(discover())}
            entries = sorted(kept + entries, key=lambda e: order.get(str(e.path), len(order)))
    index = write_index(entries, out, quick, total)
    manifest = {"quick": quick, "total": total,
                "entries": [{**e.__dict__, "path": str(e.path)} for e in entries]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    failed = [e for e in entries if not e.ok]
    print(f"ran {ran} notebook(s); wrote {index} ({len(entries) - len(failed)}/{len(entries)} cards passed); "
          f"total {total:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
