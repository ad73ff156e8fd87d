"""The one place that decides how widgets load their JavaScript and whether anyone watches.

``setup()`` loads Panel and the HoloViews Bokeh backend. BokehJS and Panel's JavaScript
are **inlined** by default, so plots render without internet (classrooms, CI, offline
machines); ``PINNKIT_INLINE=0`` loads them from the CDN instead (smaller saved notebooks,
~3 MB less per executed notebook).

``live_frontend()`` tells whether a browser is watching as the kernel runs:

- ``PINNKIT_LIVE=1`` / ``0`` decides explicitly;
- inside a ``panel serve`` session: yes;
- inside a Jupyter kernel started by a Jupyter server (JupyterLab, Notebook, VS Code,
  Voilà): yes — training runs in a thread and the cell returns at once;
- otherwise (papermill, nbval, a script, pytest): no — training runs to the end inside
  the call, and the cell leaves a final static view. Nothing waits for a click.
"""
from __future__ import annotations

import os
import sys

__all__ = ["setup", "inline_resources", "live_frontend"]

_FRONTENDS = ("jupyter-lab", "jupyter_lab", "jupyterlab", "jupyter-server", "jupyter_server", "jupyter-notebook",
              "jupyter_notebook", "notebook.app", "voila", "vscode", "code-server", "nbclassic")
_done: dict = {}


def _flag(name: str):
    v = os.environ.get(name)
    if v is None or v.strip() == "":
        return None
    return v.strip().lower() not in ("0", "false", "no", "off")


def inline_resources() -> bool:
    """True unless ``PINNKIT_INLINE`` is ``0``: serve BokehJS/Panel JS inline (offline-safe)."""
    flag = _flag("PINNKIT_INLINE")
    return True if flag is None else flag


def setup(inline: bool | None = None) -> bool:
    """Load Panel and HoloViews' Bokeh backend once; return whether resources are inline."""
    import holoviews as hv
    import panel as pn

    inline = inline_resources() if inline is None else bool(inline)
    if _done.get("inline") != inline:
        pn.extension(inline=inline)
        if "bokeh" not in hv.Store.renderers:
            import holoviews.plotting.bokeh  # noqa: F401  (registers the backend)
        hv.Store.set_current_backend("bokeh")
        _done["inline"] = inline
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
