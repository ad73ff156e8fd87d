"""The one place that decides how widgets load their JavaScript and whether anyone watches.

``setup()`` loads Panel and the HoloViews Bokeh backend. BokehJS and Panel's JavaScript
are **inlined** by default, so plots render without internet (classrooms, CI, offline
machines); ``PINNKIT_INLINE=0`` loads them from the CDN instead (smaller saved notebooks,
~3 MB less per executed notebook).

Panel's stylesheets are inlined too. Panel 1.9 inlines them when a notebook cell first
renders, but a pane redrawn later (a Markdown status line or table whose text changes, a
``loading`` toggle) is sent again with ``ImportedStyleSheet`` links to cdn.holoviz.org
(``loading.css``, ``markdown.css``, ``theme/default.css``, ``theme/native.css``): the
per-document stylesheet cache in ``Reactive._get_properties`` holds the CDN links and only
the first render is patched (compare holoviz/panel#5167, #7073). ``setup()`` therefore
wraps ``Reactive._get_properties`` and ``Reactive._update_model`` so that, while
``pn.config.inline`` is on, every link into Panel's CDN ``dist/`` folder whose file ships
with the installed Panel becomes an ``InlineStyleSheet`` (one per document and URL, so
repeated redraws send no new CSS). Links that are not Panel CDN URLs — the served apps'
local ``static/`` ones — are left alone.

``live_frontend()`` tells whether a browser is watching as the kernel runs:

- ``PINNKIT_LIVE=1`` / ``0`` decides explicitly;
- inside a ``panel serve`` session: yes;
- inside a Jupyter kernel started by a Jupyter server (JupyterLab, Notebook, VS Code,
  Voilà): yes — training runs in a thread and the cell returns at once;
- otherwise (papermill, nbval, a script, pytest): no — training runs to the end inside
  the call, and the cell leaves a final static view. Nothing waits for a click.
"""
from __future__ import annotations

import functools
import os
import sys
import weakref

__all__ = ["setup", "inline_resources", "inline_stylesheets", "live_frontend", "frontend_session", "repush_when_idle",
           "resend_text"]

#: Seconds between the re-sends after a live view's run ends, and how many (see repush_when_idle).
REPUSH_PERIOD, REPUSH_COUNT = 1.5, 2
_ZWSP = "\u200b"


def repush_when_idle(push, period: float = REPUSH_PERIOD, count: int = REPUSH_COUNT):
    """Call ``push()`` ``count`` more times from the kernel's event loop, ``period`` seconds
    apart, starting when the kernel is next idle; return the callback (or None).

    Why: in JupyterLab a view's last update is usually made while the kernel is busy (a
    following cell calls ``wait()``, or Run All goes on), before the browser has opened the
    view's comm; Panel then queues the changes and sends them later. Measured on this
    machine (Run All on a Compare followed by ``cmp.wait()``), the browser's copy of the loss
    curves stayed empty in two of four tries although the kernel's copy held every step: a
    pane froze part-way. Pushing the final state again once the kernel is idle, when the
    comm is open, repairs it; HoloViews sends a pane's data anew on every stream event, and
    :func:`resend_text` makes an unchanged text pane send its text again.
    """
    try:
        import panel as pn

        return pn.state.add_periodic_callback(push, period=int(period * 1000), count=count)
    except Exception:          # no event loop to schedule on (a script): nothing to repair
        return None


def resend_text(pane) -> None:
    """Make a Markdown/HTML pane send its (unchanged-looking) text again: toggles a trailing
    zero-width space, which Bokeh sees as a new value and the page does not show."""
    text = pane.object or ""
    pane.object = text[:-1] if text.endswith(_ZWSP) else text + _ZWSP


_FRONTENDS = ("jupyter-lab", "jupyter_lab", "jupyterlab", "jupyter-server", "jupyter_server", "jupyter-notebook",
              "jupyter_notebook", "notebook.app", "voila", "vscode", "code-server", "nbclassic")
_done: dict = {}
_INLINE_CSS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # document -> {url: InlineStyleSheet}


def _flag(name: str):
    v = os.environ.get(name)
    if v is None or v.strip() == "":
        return None
    return v.strip().lower() not in ("0", "false", "no", "off")


def inline_resources() -> bool:
    """True unless ``PINNKIT_INLINE`` is ``0``: serve BokehJS/Panel JS inline (offline-safe)."""
    flag = _flag("PINNKIT_INLINE")
    return True if flag is None else flag


@functools.lru_cache(maxsize=None)
def _panel_css(url: str) -> str | None:
    """The text of Panel's own stylesheet behind a CDN ``url``, or None if it is not one."""
    from panel.io.resources import CDN_DIST, DIST_DIR

    if not url.startswith(CDN_DIST):
        return None
    path = DIST_DIR / url[len(CDN_DIST):].split("?")[0]
    return path.read_text(encoding="utf-8") if path.is_file() else None


def inline_stylesheets(stylesheets, doc=None) -> list:
    """``stylesheets`` with each link into Panel's CDN replaced by the same CSS inline."""
    from bokeh.models import ImportedStyleSheet, InlineStyleSheet

    cache = _INLINE_CSS.setdefault(doc, {}) if doc is not None else {}
    out = []
    for sheet in stylesheets:
        if isinstance(sheet, ImportedStyleSheet):
            url = str(sheet.url)
            css = _panel_css(url)
            if css is not None:
                sheet = cache.get(url) or cache.setdefault(url, InlineStyleSheet(css=css))
        out.append(sheet)
    return out


def _inline_panel_stylesheets() -> None:
    """Make Panel send its own stylesheets inline on every update, not only the first render."""
    import panel as pn
    from panel.reactive import Reactive

    if getattr(Reactive._get_properties, "_pinnkit_inline", False):
        return
    get_properties, update_model = Reactive._get_properties, Reactive._update_model

    @functools.wraps(get_properties)
    def _get_properties(self, doc, *args, **kwargs):
        props = get_properties(self, doc, *args, **kwargs)
        if pn.config.inline and props.get("stylesheets"):
            props["stylesheets"] = inline_stylesheets(props["stylesheets"], doc)
        return props

    @functools.wraps(update_model)
    def _update_model(self, events, msg, root, model, doc, comm):
        if pn.config.inline and msg.get("stylesheets"):
            msg["stylesheets"] = inline_stylesheets(msg["stylesheets"], doc)
        return update_model(self, events, msg, root, model, doc, comm)

    _get_properties._pinnkit_inline = True
    Reactive._get_properties, Reactive._update_model = _get_properties, _update_model


def frontend_session() -> str | None:
    """The id of the notebook page that sent the code now running (the ``session`` of the
    Jupyter message header; a page reloaded in the browser connects with a new one), or
    ``None`` outside a Jupyter kernel."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        if kernel is None:
            return None
        parent = kernel.get_parent("shell") if hasattr(kernel, "get_parent") else kernel._parent_header
        return (parent or {}).get("header", {}).get("session") or None
    except Exception:
        return None


def setup(inline: bool | None = None, force: bool = False) -> bool:
    """Load Panel and HoloViews' Bokeh backend; return whether resources are inline.

    Panel's JavaScript lives in the notebook page, not in the kernel: a page reloaded in the
    browser has lost it while the kernel still thinks it loaded. ``setup()`` remembers which
    page it loaded it into (:func:`frontend_session`) and loads it again, in full, into a
    new page, so Run All after a reload shows every dashboard. ``force=True`` loads it again
    regardless (a front end that does not say which page it is)."""
    import holoviews as hv
    import panel as pn

    inline = inline_resources() if inline is None else bool(inline)
    session = frontend_session()
    if _done.get("inline") != inline:
        pn.extension(inline=inline)
        if inline:
            _inline_panel_stylesheets()
        if "bokeh" not in hv.Store.renderers:
            import holoviews.plotting.bokeh  # noqa: F401  (registers the backend)
        hv.Store.set_current_backend("bokeh")
        _done["inline"], _done["session"] = inline, session
    elif force or (session is not None and session != _done.get("session")):
        # pn.extension() would now publish only a "reloading" script without BokehJS
        from panel.io.notebook import load_notebook

        load_notebook(inline, reloading=False)
        _done["session"] = session
    return inline


def _parent_command() -> str:
    try:
        import psutil

        return " ".join(psutil.Process(os.getppid()).cmdline()).lower()
    except Exception:
        try:
            with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace").lower()
        except OSError:
            return ""


def live_frontend() -> bool:
    """Whether a live front end will show updates pushed after the call returns."""
    flag = _flag("PINNKIT_LIVE")
    if flag is not None:
        return flag
    try:
        import panel as pn

        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            return True
    except Exception:
        pass
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    if os.environ.get("VSCODE_PID") or os.environ.get("JPY_SESSION_NAME"):
        return True
    parent = _parent_command()
    return any(k in parent for k in _FRONTENDS)
