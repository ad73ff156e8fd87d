"""Work through the course in JupyterLab in Chromium, as a student would, and take screenshots.

    .venv/bin/python scripts/lab_walkthrough.py --quick                      # every lesson, smoke budgets
    .venv/bin/python scripts/lab_walkthrough.py --quick 01_derivatives 13    # some lessons (name or prefix)
    .venv/bin/python scripts/lab_walkthrough.py --timeout 1200               # real budgets

It starts JupyterLab (offline: the page may reach 127.0.0.1 only, Bokeh/Panel JavaScript comes
inline) on a temporary copy of ``notebooks/``. For each lesson it opens the notebook, clicks
Run ▸ Run All Cells, waits until every code cell shows a number (or an error output appears,
or ``--timeout`` seconds pass), waits for the plots to stop appearing, counts error outputs,
canvases (Bokeh plots), images and buttons, and saves two screenshots in ``OUT``:
``NN_name_widget.png`` (the first output holding a canvas or a button: the live view) and
``NN_name_end.png`` (the last figure). The kernel is shut down through the REST API before
the next lesson. ``OUT/report.json`` holds the numbers (lessons named on the command line
replace their rows in it); a Markdown table is printed.
Chromium is ``$PINNKIT_CHROMIUM`` (default /usr/bin/chromium; ``apt-get install chromium``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PINNKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "pinnkit-walkthrough"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ERROR = "[data-mime-type='application/vnd.jupyter.error']"
# true once every code cell shows [n], or as soon as an error output appears
DONE = ("(n) => { if (document.querySelector(\"" + NB + " " + ERROR + "\")) return true;"
        " const p = [...document.querySelectorAll('" + NB + " .jp-CodeCell .jp-InputPrompt')]"
        ".map(e => e.textContent.trim());"
        " return p.length === n && p.every(t => /^\\[\\d+\\]:?$/.test(t)); }")
STARTED = ("() => [...document.querySelectorAll('" + NB + " .jp-InputPrompt')]"
           ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited (rc {proc.returncode}); see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server this script started (its process group, by id)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def start_lab(work: Path, quick: bool, log: Path) -> tuple[subprocess.Popen, str]:
    settings = work / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "PINNKIT_RESULTS": str(work / "results"), "PINNKIT_INLINE": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"), "OMP_NUM_THREADS": "1"}
    env.pop("PINNKIT_LIVE", None)
    env.pop("PINNKIT_QUICK", None)
    if quick:
        env["PINNKIT_QUICK"] = "1"
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root",
                             "--ip", "127.0.0.1", "--port", str(port), "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work / 'notebooks'}"],
                            cwd=work / "notebooks", env=env, start_new_session=True,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_port(port, 120, proc, log)
    return proc, f"http://127.0.0.1:{port}"


def shutdown_kernels(base: str) -> None:
    """Kernels outlive the page: delete every session through the REST API."""
    sessions = json.loads(urllib.request.urlopen(f"{base}/api/sessions?token={TOKEN}", timeout=10).read())
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions/{s['id']}?token={TOKEN}",
                                                      method="DELETE"), timeout=30)


def offline_page(browser, blocked: list, console: list):
    """A page that may talk to 127.0.0.1 only; blocked URLs and console errors are recorded."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})

    def route(r):
        url = r.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    return page


def shoot(page, locator, path: Path) -> str | None:
    """Scroll ``locator`` into view and screenshot the window; None if there is nothing to show."""
    if not locator.count():
        return None
    for _ in range(3):        # cells drawn as they come into view change the heights above: scroll again
        locator.evaluate("e => e.scrollIntoView({block: e.offsetHeight > innerHeight - 120 ? 'start' : 'center'})")
        time.sleep(1.0)
    page.screenshot(path=str(path))
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def settle(nb, timeout: float) -> None:
    """Wait until the number of canvases stops changing (live views draw after their cell returns)."""
    last, stable, end = -1, 0, time.time() + timeout
    while stable < 3 and time.time() < end:
        n = nb.locator(".jp-OutputArea canvas").count()
        stable = stable + 1 if n == last else 0
        last = n
        time.sleep(2)


def walk(browser, base: str, work: Path, name: str, out: Path, timeout: float) -> dict:
    blocked, console = [], []
    page = offline_page(browser, blocked, console)
    page.set_default_timeout(120_000)
    row = {"lesson": name, "timed_out": False}
    try:
        page.goto(f"{base}/lab/tree/{name}.ipynb?reset&token={TOKEN}")
        nb = page.locator(NB)
        nb.locator(".jp-Cell").first.wait_for()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        time.sleep(2)
        for _ in range(3):                            # e.g. a kernel choice: accept the default
            d = page.locator(".jp-Dialog")
            if not d.count():
                break
            d.locator(".jp-mod-accept").first.click()
            time.sleep(2)
        side = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if side.count():                              # fold the file browser away: room for the notebook
            side.first.click()
        cells = json.loads((work / "notebooks" / f"{name}.ipynb").read_text())["cells"]
        n_code = sum(c["cell_type"] == "code" for c in cells)
        t0 = time.time()
        for _ in range(3):                            # Run All, retried if nothing starts
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).first.click()
            try:
                page.wait_for_function(STARTED, timeout=10_000)
                break
            except PlaywrightTimeout:
                continue
        try:
            page.wait_for_function(DONE, arg=n_code, timeout=timeout * 1000, polling=500)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
                timeout=max(1.0, timeout - (time.time() - t0)) * 1000)
        except PlaywrightTimeout:
            row["timed_out"] = True
        row["seconds"] = round(time.time() - t0, 1)
        settle(nb, 60)
        row["settled_seconds"] = round(time.time() - t0, 1)
        errors = nb.locator(ERROR)
        row.update(errors=errors.count(), canvases=nb.locator(".jp-OutputArea canvas").count(),
                   images=nb.locator(".jp-OutputArea img").count(),
                   buttons=nb.locator(".jp-OutputArea button").count(),
                   blocked=sorted(set(blocked)), console_errors=console[:10])
        row["first_error"] = errors.first.inner_text()[-1500:] if errors.count() else None
        stderr = nb.locator("[data-mime-type='application/vnd.jupyter.stderr']")   # e.g. a comm's traceback
        row["stderr"] = [t[-1500:] for t in stderr.evaluate_all("es => es.map(e => e.textContent)")]
        prompts = nb.locator(".jp-CodeCell .jp-InputPrompt").evaluate_all("ps => ps.map(p => p.textContent)")
        row["cells_run"] = f"{sum(p.strip().strip('[]:').isdigit() for p in prompts)}/{n_code}"
        areas = nb.locator(".jp-Cell-outputArea")
        row["widget_png"] = shoot(page, areas.filter(has=page.locator("canvas, button")).first,
                                  out / f"{name}_widget.png")
        figures = nb.locator(".jp-OutputArea img, .jp-OutputArea canvas")   # the last figure itself
        row["end_png"] = shoot(page, (figures if figures.count() else areas).last, out / f"{name}_end.png")
    except Exception as e:                            # report and go on with the next lesson
        row["failure"] = f"{type(e).__name__}: {e}"[:1500]
        page.screenshot(path=str(out / f"{name}_failure.png"))
    finally:
        try:
            shutdown_kernels(base)
        except Exception as e:
            row["shutdown"] = str(e)
        page.close()
    return row


def table(rows: list[dict]) -> str:
    lines = ["| lesson | seconds | settled | cells run | errors | stderr | canvases | images | buttons | blocked |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "failure" in r:
            lines.append(f"| {r['lesson']} | failed: {r['failure'][:80]} |  |  |  |  |  |  |  |  |")
            continue
        secs = f"{r['seconds']}" + (" (timeout)" if r["timed_out"] else "")
        lines.append(f"| {r['lesson']} | {secs} | {r['settled_seconds']} | {r['cells_run']} | {r['errors']} | {len(r.get('stderr', []))} | "
                     f"{r['canvases']} | {r['images']} | {r['buttons']} | {len(r['blocked'])} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="lesson names or prefixes (default: every lesson)")
    ap.add_argument("--quick", action="store_true", help="PINNKIT_QUICK=1 in the server: the smoke budgets")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per lesson for Run All (default 600)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "walkthrough")
    args = ap.parse_args()
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    if args.lessons:
        names = [n for n in names if any(n.startswith(a) for a in args.lessons)]
    if not names:
        ap.error(f"no lesson matches {args.lessons}")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pinnkit-walkthrough-"))
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    proc, base = start_lab(work, args.quick, args.out / "lab.log")
    rows, report_path = [], args.out / "report.json"
    # lessons named on the command line replace their rows in the last report of the same mode
    old = json.loads(report_path.read_text()) if report_path.exists() else {}
    kept = [r for r in old.get("lessons", []) if r["lesson"] not in names] if old.get("quick") == args.quick else []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name in names:
                rows.append(walk(browser, base, work, name, args.out, args.timeout))
                print(f"{name}: " + json.dumps({k: rows[-1].get(k) for k in
                      ("seconds", "errors", "canvases", "images", "buttons", "timed_out", "failure")}), flush=True)
                every = sorted(kept + rows, key=lambda r: r["lesson"])
                report_path.write_text(json.dumps({"quick": args.quick, "lessons": every}, indent=1,
                                                  ensure_ascii=False))
            browser.close()
    finally:
        stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)
    print(table(sorted(kept + rows, key=lambda r: r["lesson"])))
    return int(any(r.get("failure") or r.get("errors") or r.get("timed_out") for r in rows))


if __name__ == "__main__":
    sys.exit(main())
