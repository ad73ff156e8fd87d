"""Browser tests: the real pages in Debian Chromium driven by Playwright (marker ``browser``).

Run serially (``pytest -m browser``); each test starts its own server on a free port at
127.0.0.1 and stops it by process id. Requests to any host other than 127.0.0.1 are
aborted, so the plots must render from inline resources (offline). Screenshots land in
``build/screenshots/``. Timeouts scale with ``PINNKIT_BROWSER_TIMEOUT`` (seconds, default 180).
"""
from __future__ import annotations

import json
import os
import re
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

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PINNKIT_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "build" / "screenshots"
TIMEOUT = float(os.environ.get("PINNKIT_BROWSER_TIMEOUT", "180"))
BIN = Path(sys.executable).parent

# Without Chromium or Playwright each test is skipped, with the reason, by the ``browser``
# fixture (not the module: a run whose every test is deselected or skipped at collection
# exits 5, "no tests collected", and would fail `make test`).
try:
    from playwright import sync_api
except ImportError:
    sync_api = None

LOCAL = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server this test started (its process group, by id)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests skipped: {CHROMIUM} is absent (install it with `sudo apt-get install chromium`; "
                    f"`make browser-deps` does so when run as root)")
    if sync_api is None:
        pytest.skip("browser tests skipped: playwright is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def offline_page(browser, blocked: list, errors: list):
    """A page that may talk to 127.0.0.1 only; blocked URLs and console errors are recorded."""
    page = browser.new_page(viewport={"width": 1700, "height": 1100})

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in LOCAL:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


LOSS_POINTS = """() => {
  let n = 0;
  for (const doc of window.Bokeh.documents)
    for (const m of doc._all_models.values())
      if (m.type === "ColumnDataSource" && m.data && "step" in m.data && "loss" in m.data)
        n = Math.max(n, m.data.step.length);
  return n;
}"""


def test_served_dashboard_slider_train_stop_offline(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PINNKIT_INLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([str(BIN / "panel"), "serve", str(ROOT / "widgets" / "dashboard_app.py"),
                             "--address", "127.0.0.1", "--port", str(port), "--allow-websocket-origin",
                             f"127.0.0.1:{port}"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    blocked, errors = [], []
    try:
        url = f"http://127.0.0.1:{port}/dashboard_app?problem=convection&steps=100000&num_points=300"
        wait_port(port, 90, proc)
        page = offline_page(browser, blocked, errors)
        page.set_default_timeout(TIMEOUT * 1000)
        page.goto(url)
        page.get_by_text("▶ Train").wait_for()
        page.get_by_text("beta = 30").first.wait_for()
        # move the β slider: focus its handle and press the arrow key (step 0.5)
        handle = page.locator(".noUi-handle").first
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        page.get_by_text("beta = 32.5").first.wait_for()
        page.get_by_text("▶ Train").click()
        page.wait_for_function(f"() => ({LOSS_POINTS})() >= 5")
        grown_from = page.evaluate(LOSS_POINTS)
        try:
            page.wait_for_function(f"() => ({LOSS_POINTS})() > {grown_from}")
        except Exception:
            page.screenshot(path=str(SHOTS / "dashboard_app_failure.png"), full_page=True)
            stop_server(proc)
            out = proc.stdout.read().decode(errors="replace")[-4000:]
            raise AssertionError(f"the loss curve stopped growing at {grown_from} points; page errors "
                                 f"{errors[:5]}; screenshot dashboard_app_failure.png; server output:\n{out}") from None
        clicked = time.perf_counter()
        page.get_by_text("■ Stop").click()
        msg = page.get_by_text(re.compile(r"stopped \d+ ms after Stop")).first
        msg.wait_for()
        seen_after = time.perf_counter() - clicked
        latency_ms = int(re.search(r"stopped (\d+) ms after Stop", msg.inner_text()).group(1))
        n_stop = page.evaluate(LOSS_POINTS)
        time.sleep(1.5)
        assert page.evaluate(LOSS_POINTS) == n_stop, "the loss curve kept growing after Stop"
        page.screenshot(path=str(SHOTS / "dashboard_app.png"), full_page=True)
        canvases = page.locator("canvas").count()
        print(f"stop latency (server) {latency_ms} ms; Stop click to message {seen_after:.2f} s; "
              f"{canvases} canvases; loss curve {grown_from} -> {n_stop} points")
        assert latency_ms < 1000, f"training stopped {latency_ms} ms after Stop"
        # Bokeh widgets live in shadow roots: get_by_text pierces them, innerText does not
        assert page.get_by_text("beta = 32.5").count() >= 1 and page.get_by_text("status: stopped").count() >= 1
        assert page.get_by_text(re.compile("Traceback|Training failed|Cannot build")).count() == 0
        assert canvases >= 7, "the field and curve plots did not render"
        # the Diagnostics tab, opened after the run, draws the stopped run's diagnostics
        # (the singular-value view's source has a "k" column)
        page.get_by_text("Diagnostics", exact=True).click()
        page.wait_for_function("""() => {
          for (const doc of window.Bokeh.documents)
            for (const m of doc._all_models.values())
              if (m.type === "ColumnDataSource" && m.data && "k" in m.data && m.data.k.length > 1) return true;
          return false; }""")
        time.sleep(1.0)
        page.screenshot(path=str(SHOTS / "dashboard_diagnostics.png"), full_page=True)
        assert page.locator("canvas").count() >= canvases + 5, "the Diagnostics tab's plots did not render"
        assert page.get_by_text(re.compile("Traceback|Training failed")).count() == 0
        assert not blocked, f"the page asked for external resources: {blocked[:5]}"
        assert not [e for e in errors if "favicon" not in e], errors
    finally:
        stop_server(proc)


def serve_app(app: str, port: int, env: dict) -> subprocess.Popen:
    """``python -m pinnkit_widgets APP`` on 127.0.0.1:``port`` in its own process group."""
    return subprocess.Popen([sys.executable, "-m", "pinnkit_widgets", app, "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PINNKIT_INLINE": "1", "OMP_NUM_THREADS": "1", **env},
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) that listen on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:       # 0A: LISTEN
                found.add(addr)
    return found


def _server_failure(page, proc, shot: Path, what: str, errors: list) -> AssertionError:
    page.screenshot(path=str(shot), full_page=True)
    stop_server(proc)
    out = proc.stdout.read().decode(errors="replace")[-3000:]
    return AssertionError(f"{what}; page errors {errors[:5]}; screenshot {shot.name}; server output:\n{out}")


CURVE_POINTS = """() => {
  let n = 0;
  for (const doc of window.Bokeh.documents)
    for (const m of doc._all_models.values())
      if (m.type === "ColumnDataSource" && m.data && "step" in m.data) n = Math.max(n, m.data.step.length);
  return n;
}"""

# numbers the Bokeh plots hold: the explorer's error-vs-parameter points (the longest source:
# replaced plots can linger in the document) and every plot title
SWEEP_POINTS = """() => {
  const out = {points: [], titles: []};
  for (const doc of window.Bokeh.documents)
    for (const m of doc._all_models.values()) {
      if (m.type === "ColumnDataSource" && m.data && "relative L2" in m.data) {
        const ys = m.data["relative L2"], xs = Object.entries(m.data).find(([k, v]) => k !== "relative L2")[1];
        if (ys.length > out.points.length) out.points = Array.from(xs).map((x, i) => [x, ys[i]]);
      }
      if (m.type === "Title" && m.text) out.titles.push(m.text);
    }
  return out;
}"""


def test_served_explorer_sweeps_three_values_offline(browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = serve_app("explorer", port, {"PINNKIT_CACHE": str(tmp_path / "cache")})   # empty cache: it must train
    blocked, errors = [], []
    try:
        wait_port(port, 90, proc)
        assert _listening_addresses(port) == {"0100007F"}, "the explorer listens beyond 127.0.0.1"
        page = offline_page(browser, blocked, errors)
        page.set_default_timeout(TIMEOUT * 1000)
        page.goto(f"http://127.0.0.1:{port}/explorer?problem=convection&steps=60&num_points=200")
        page.get_by_text("▶ Sweep").wait_for()
        box = page.locator("input[type='text']").first          # the values box (comma-separated numbers)
        box.fill("1, 20, 40")
        box.press("Enter")
        time.sleep(0.5)
        started = time.perf_counter()
        page.get_by_text("▶ Sweep").click()
        done = page.get_by_text("3 result(s): 3 trained, 0 from the cache")
        try:
            done.wait_for()
            page.wait_for_function(f"() => ({SWEEP_POINTS})().points.length === 3", timeout=20_000)
        except Exception:
            raise _server_failure(page, proc, SHOTS / "explorer_app_failure.png", "the sweep did not finish",
                                  errors) from None
        swept = time.perf_counter() - started
        time.sleep(1.0)
        page.screenshot(path=str(SHOTS / "explorer_app.png"), full_page=True)
        shown = page.evaluate(SWEEP_POINTS)
        thumbs = sorted({t for t in shown["titles"] if re.match(r"beta=\d", t)})
        print(f"sweep of 3 values in {swept:.1f} s; points {shown['points']}; thumbnails {thumbs}")
        xs = [x for x, _ in shown["points"]]
        errs = [e for _, e in shown["points"]]
        assert xs == [1.0, 20.0, 40.0], xs
        assert all(0 < e < 10 for e in errs), errs
        # each thumbnail's title repeats the value and the error of its point (2 digits)
        assert len(thumbs) == 3, shown["titles"]
        for (x, e), title in zip(shown["points"], sorted(thumbs, key=lambda t: float(t.split()[0][5:]))):
            value, l2 = re.match(r"beta=(\S+)\s+L2=(\S+)", title).groups()
            assert float(value) == x and l2 == f"{e:.2g}", (title, x, e)
        # the same values again come from the cache, with no training
        page.get_by_text("▶ Sweep").click()
        page.get_by_text("3 result(s): 0 trained, 3 from the cache").wait_for(timeout=30_000)
        assert page.get_by_text(re.compile("Traceback|failed|is not a number")).count() == 0
        assert page.locator("canvas").count() >= 4, "the sweep plot and the thumbnails did not render"
        assert not blocked, f"the page asked for external resources: {blocked[:5]}"
        assert not [e for e in errors if "favicon" not in e], errors
        # the three runs are in the run store, each a complete run folder
        stored = [f for f in (tmp_path / "cache" / "runs").iterdir() if not f.name.startswith(".")]
        assert len(stored) == 3, stored
        assert all((f / "config.json").exists() and (f / "history.json").exists() for f in stored), stored
    finally:
        stop_server(proc)


def test_served_compare_trains_both_offline(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = serve_app("compare", port, {})
    blocked, errors = [], []
    try:
        wait_port(port, 90, proc)
        assert _listening_addresses(port) == {"0100007F"}, "the compare app listens beyond 127.0.0.1"
        page = offline_page(browser, blocked, errors)
        page.set_default_timeout(TIMEOUT * 1000)
        page.goto(f"http://127.0.0.1:{port}/compare?problem=convection&steps=150&num_points=300")
        page.get_by_text("▶ Train both").wait_for()
        assert page.get_by_text("not trained", exact=True).count() == 2
        started = time.perf_counter()
        page.get_by_text("▶ Train both").click()
        try:
            page.get_by_text("completed", exact=True).nth(1).wait_for()
            page.wait_for_function(f"() => ({CURVE_POINTS})() >= 2")
        except Exception:
            raise _server_failure(page, proc, SHOTS / "compare_app_failure.png", "the two runs did not finish",
                                  errors) from None
        trained = time.perf_counter() - started
        time.sleep(1.0)
        page.screenshot(path=str(SHOTS / "compare_app.png"), full_page=True)
        rows = page.locator("table tr").all_inner_texts()
        print(f"trained both in {trained:.1f} s; table rows {rows}")
        body = [r.split("\t") for r in rows if r.startswith(("A", "B"))]
        assert [r[0] for r in body] == ["A", "B"], rows
        assert "hard=False" in body[0][1] and "hard=True" in body[1][1], rows
        rel_l2 = [float(r[2]) for r in body]
        steps = [int(r[4]) for r in body]
        assert steps == [150, 150], rows
        assert all(0 < e < 10 for e in rel_l2), rel_l2
        assert [r[6].strip() for r in body] == ["completed", "completed"], rows
        assert page.get_by_text(re.compile("Traceback|Training failed|Cannot build")).count() == 0
        assert page.locator("canvas").count() >= 5, "the four fields and the loss plot did not render"
        assert not blocked, f"the page asked for external resources: {blocked[:5]}"
        assert not [e for e in errors if "favicon" not in e], errors
    finally:
        stop_server(proc)


def _lab_settings(folder: Path) -> None:
    s = folder / "@jupyterlab" / "apputils-extension"
    s.mkdir(parents=True, exist_ok=True)
    (s / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _wait_or_explain(page, shot: Path, wait) -> None:
    """Run ``wait()``; on failure save a screenshot and say what the prompts showed."""
    try:
        wait()
    except Exception:
        page.screenshot(path=str(shot))
        prompts = page.evaluate("() => [...document.querySelectorAll('.jp-InputPrompt')].map(e => e.textContent)")
        raise AssertionError(f"notebook did not finish; prompts {prompts}; screenshot {shot}") from None


def test_jupyterlab_runs_lesson_05_offline(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pinnkit-lab-"))
    shutil.copy(ROOT / "notebooks" / "05_reading_a_run.ipynb", work / "05_reading_a_run.ipynb")
    _lab_settings(work / "settings")
    port, token = free_port(), "pinnkit-test-token"
    env = {**os.environ, "PINNKIT_QUICK": "1", "PINNKIT_RESULTS": str(work / "results"), "PINNKIT_INLINE": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"), "OMP_NUM_THREADS": "1"}
    env.pop("PINNKIT_LIVE", None)
    proc = subprocess.Popen([str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
                             "--port", str(port), "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"],
                            cwd=work, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    blocked, errors = [], []
    base = f"http://127.0.0.1:{port}"
    try:
        wait_port(port, 120, proc)
        page = offline_page(browser, blocked, errors)
        page.set_default_timeout(TIMEOUT * 1000)
        page.goto(f"{base}/lab/tree/05_reading_a_run.ipynb?reset&token={token}")
        nb = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        nb.locator(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-Cell").first.wait_for()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        n_code = sum(c["cell_type"] == "code" for c in json.loads((work / "05_reading_a_run.ipynb").read_text())["cells"])
        time.sleep(2)
        dialogs = []
        for _ in range(3):                            # e.g. a kernel choice: accept the default
            d = page.locator(".jp-Dialog")
            if not d.count():
                break
            dialogs.append(d.first.inner_text())
            page.screenshot(path=str(SHOTS / "jupyterlab_dialog.png"))
            d.locator(".jp-mod-accept").first.click()
            time.sleep(2)
        print("dialogs:", dialogs)
        for attempt in range(3):                      # Run All, retried if nothing starts
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).first.click()
            try:
                page.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')]"
                                       ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))", timeout=10_000)
                break
            except sync_api.TimeoutError:
                continue
        # every code cell has run once the last prompt shows a number and the kernel is idle
        _wait_or_explain(page, SHOTS / "jupyterlab_failure.png", lambda: page.wait_for_function(
            "(n) => { const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());"
            " if (document.querySelector(\"[data-mime-type='application/vnd.jupyter.error']\")) return true;"
            " return p.length === n && p.every(t => /^\\[\\d+\\]:?$/.test(t)); }",
            arg=n_code, timeout=3 * TIMEOUT * 1000))
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        canvas = nb.locator(".jp-OutputArea canvas")   # locators pierce Bokeh's shadow roots
        end = time.time() + TIMEOUT
        while canvas.count() < 14 and time.time() < end:
            time.sleep(1)
        errors_out = nb.locator("[data-mime-type='application/vnd.jupyter.error']").count()
        canvases = nb.locator(".jp-OutputArea canvas").count()
        widgets = nb.locator(".jp-OutputArea .bk-panel-models-widgets-Button, .jp-OutputArea button").count()
        dash = nb.locator(".jp-OutputArea").filter(has_text="▶ Train").first
        dash.scroll_into_view_if_needed()
        time.sleep(1.0)
        page.screenshot(path=str(SHOTS / "jupyterlab_05_reading_a_run.png"))
        nb.locator(".jp-OutputArea").filter(has=page.locator("img")).last.scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=str(SHOTS / "jupyterlab_05_convection_fields.png"))
        recorded = json.loads((work / "results" / "05_reading_a_run.json").read_text())
        print(f"{canvases} canvases, {widgets} buttons, {errors_out} error outputs; recorded {recorded}")
        assert errors_out == 0, nb.locator("[data-mime-type='application/vnd.jupyter.error']").first.inner_text()
        # lesson 05 has two dashboards (Burgers; convection, trained three times) and no other Bokeh
        # output; measured in quick mode: 94 canvases and 64 buttons. Seven plots each (four fields,
        # three curves) is the least a rendered dashboard shows.
        assert canvases >= 14, "the two dashboards' Bokeh plots did not render"
        assert widgets >= 8, "the dashboards' buttons did not render"
        assert recorded["quick"] is True and recorded["convection_rel_l2_high"] > 0
        # nothing from outside: BokehJS, Panel's JavaScript and Panel's stylesheets (also those
        # re-sent when a pane redraws, see pinnkit_widgets.resources) come inline
        print("blocked external requests:", blocked)
        assert not blocked, f"the notebook asked for external resources: {sorted(set(blocked))}"
    finally:
        try:   # kernels outlive the page: shut them down through the REST API
            req = urllib.request.Request(f"{base}/api/sessions?token={token}")
            for s in json.loads(urllib.request.urlopen(req, timeout=10).read()):
                urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE"), timeout=20)
        except Exception:
            pass
        stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)


def _run_all_and_wait(page, nb, n_code: int) -> None:
    """Run All (retried if nothing starts), then wait until every code cell shows a number."""
    for _ in range(3):
        page.get_by_text("Run", exact=True).first.click()
        page.get_by_text("Run All Cells", exact=True).first.click()
        try:
            page.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')]"
                                   ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))", timeout=10_000)
            break
        except sync_api.TimeoutError:
            continue
    _wait_or_explain(page, SHOTS / "jupyterlab_reload_failure.png", lambda: page.wait_for_function(
        "(n) => { const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());"
        " return p.length === n && p.every(t => /^\\[\\d+\\]:?$/.test(t)); }", arg=n_code, timeout=TIMEOUT * 1000))


def test_jupyterlab_dashboard_renders_again_after_a_browser_reload(browser):
    """The kernel outlives a reloaded page, Panel's JavaScript does not: Run All in the
    same kernel after a reload must draw the dashboard again (setup() reloads Panel into
    the new page)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pinnkit-lab-reload-"))
    cell = ("from pinnkit_widgets import Dashboard\n"
            "Dashboard('poisson1d', steps=3, width=8, depth=2, num_points=64, condition_points=8)")
    (work / "reload.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": cell}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    _lab_settings(work / "settings")
    port, token = free_port(), "pinnkit-test-token"
    env = {**os.environ, "PINNKIT_INLINE": "1", "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
           "OMP_NUM_THREADS": "1"}
    env.pop("PINNKIT_LIVE", None)
    proc = subprocess.Popen([str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
                             "--port", str(port), "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"],
                            cwd=work, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    blocked, errors = [], []
    base = f"http://127.0.0.1:{port}"
    try:
        wait_port(port, 120, proc)
        page = offline_page(browser, blocked, errors)
        page.set_default_timeout(TIMEOUT * 1000)
        counts = []
        for visit in range(2):  # the first visit, then the same notebook and kernel after a reload
            if visit == 0:
                page.goto(f"{base}/lab/tree/reload.ipynb?reset&token={token}")
            else:
                page.reload()
            nb = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            nb.locator(".jp-Cell").first.wait_for()
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
            time.sleep(2)
            for _ in range(3):  # e.g. a kernel choice: accept the default
                d = page.locator(".jp-Dialog")
                if not d.count():
                    break
                d.locator(".jp-mod-accept").first.click()
                time.sleep(2)
            _run_all_and_wait(page, nb, 1)
            canvas = nb.locator(".jp-OutputArea canvas")
            end = time.time() + TIMEOUT
            while canvas.count() < 4 and time.time() < end:
                time.sleep(1)
            counts.append(canvas.count())
            page.screenshot(path=str(SHOTS / f"jupyterlab_reload_{visit}.png"))
        print("canvases before / after the reload:", counts, "errors:", errors[:5])
        assert counts[0] >= 4, "the dashboard did not render on the first visit"
        assert counts[1] >= 4, "after a browser reload, Run All left the dashboard blank"
        assert nb.locator(".jp-OutputArea").filter(has_text="▶ Train").count() == 1
    finally:
        try:
            req = urllib.request.Request(f"{base}/api/sessions?token={token}")
            for s in json.loads(urllib.request.urlopen(req, timeout=10).read()):
                urllib.request.urlopen(urllib.request.Request(
                    f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE"), timeout=20)
        except Exception:
            pass
        stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)


def test_served_dashboard_keeps_its_labels_after_an_earlier_session_closed(browser):
    """Each served session owns its widgets: once a first visitor's session has been closed and
    cleaned up, a new visitor's log sliders still show their values (a formatter shared between
    sessions belonged to the first document, and later sessions read 'undefined')."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PINNKIT_INLINE": "1", "OMP_NUM_THREADS": "1"}
    # sessions unused for 1 s are destroyed, checked every 0.5 s (Bokeh's defaults: 15 s, 17 s)
    proc = subprocess.Popen([str(BIN / "panel"), "serve", str(ROOT / "widgets" / "dashboard_app.py"),
                             "--address", "127.0.0.1", "--port", str(port), "--allow-websocket-origin",
                             f"127.0.0.1:{port}", "--check-unused-sessions", "500", "--unused-session-lifetime",
                             "1000"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    label = re.compile(r"\(log scale\): ([^\s]+)")
    try:
        url = f"http://127.0.0.1:{port}/dashboard_app?problem=burgers"
        wait_port(port, 90, proc)
        seen = []
        for visitor in range(2):
            blocked, errors = [], []
            page = offline_page(browser, blocked, errors)
            page.set_default_timeout(TIMEOUT * 1000)
            page.goto(url)
            page.get_by_text("▶ Train").wait_for()
            page.get_by_text(label).first.wait_for()
            time.sleep(1.0)
            texts = page.get_by_text(label).all_inner_texts()
            page.screenshot(path=str(SHOTS / f"dashboard_app_visitor{visitor}.png"))
            seen.append(texts)
            page.close()
            time.sleep(4.0)  # the closed session is destroyed (its document and models freed)
        print("labels:", seen)
        for texts in seen:
            assert len(texts) >= 2, texts  # ν and the learning rate
            values = [label.search(t).group(1) for t in texts]
            assert all(v != "undefined" for v in values), texts
            assert all(float(v) > 0 for v in values), texts
        assert seen[0] == seen[1]
    finally:
        stop_server(proc)
