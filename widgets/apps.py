"""The served apps, one function each, and ``python -m pinnkit_widgets NAME`` to serve
them on 127.0.0.1.

Plain ``panel serve widgets/x_app.py`` listens on every interface unless given
``--address``, so each app also answers only pages asked for as this machine
(``localhost``, ``127.0.0.1``, ``::1`` in the request's Host): asked for under another
name or address, it shows a short refusal instead of the app. ``PINNKIT_ALLOW_REMOTE=1``
lifts that, for a deliberate ``--address 0.0.0.0 --allow-websocket-origin ...`` setup.

Session URL arguments are read as registry names or integers only — never evaluated.
"""
from __future__ import annotations

import argparse
import os

from pinnkit.recipes import RunConfig

from .controls import available_problems

__all__ = ["dashboard_app", "explorer_app", "compare_app", "main", "is_local_host"]

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def is_local_host(host: str) -> bool:
    """Whether a Host header (``name[:port]``, IPv6 in brackets) names this machine."""
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else host[1:]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in LOCAL_NAMES


def _refusal():
    """The refusal page, or None when the page was asked for as this machine."""
    import panel as pn

    if os.environ.get("PINNKIT_ALLOW_REMOTE", "").strip() == "1":
        return None
    ctx = pn.state.curdoc.session_context if pn.state.curdoc is not None else None
    request = getattr(ctx, "request", None)
    if request is None:  # not served over HTTP
        return None
    host = str((request.headers or {}).get("Host", ""))
    if is_local_host(host):
        return None
    return pn.pane.Markdown(f"This pinnkit app answers on this machine only (asked for as `{host}`). "
                            "Open it at http://localhost:PORT, or start it with `PINNKIT_ALLOW_REMOTE=1` "
                            "and `panel serve --address ... --allow-websocket-origin ...` to share it.")


def _args(defaults: dict) -> dict:
    """``problem`` and ``steps``/``num_points`` from the page URL (``?problem=heat&steps=500``)."""
    import panel as pn

    out = dict(defaults)
    args = getattr(pn.state.session_args, "items", lambda: [])() if pn.state.session_args else []
    for k, v in dict(args).items():
        v = (v[0] if isinstance(v, list) and v else v)
        v = v.decode() if isinstance(v, bytes) else str(v)
        if k == "problem" and v in available_problems():
            out["problem"] = v
        elif k in ("steps", "num_points") and v.isdigit() and 0 < int(v) <= 10**6:
            out[k] = int(v)
    return out


def dashboard_app():
    refused = _refusal()
    if refused is not None:
        return refused
    from .dashboard import Dashboard

    a = _args({"problem": "convection", "steps": 2000, "num_points": 1000})
    return Dashboard(a.pop("problem"), live=True, **a).panel


def explorer_app():
    refused = _refusal()
    if refused is not None:
        return refused
    from .explorer import Explorer

    a = _args({"problem": "convection", "steps": 300, "num_points": 1000})
    return Explorer(RunConfig(**a), live=True).panel


def compare_app():
    refused = _refusal()
    if refused is not None:
        return refused
    from .compare import Compare

    a = _args({"problem": "convection", "steps": 300, "num_points": 1000})
    base = RunConfig(**a)
    return Compare(base, a={}, b={"hard": True}, live=True).panel


def main(argv=None) -> None:
    import panel as pn

    p = argparse.ArgumentParser(prog="python -m pinnkit_widgets", description="Serve a pinnkit widget app.")
    p.add_argument("app", choices=["dashboard", "explorer", "compare"])
    p.add_argument("--port", type=int, default=5006)
    p.add_argument("--address", default="127.0.0.1", help="interface to bind (default: this machine only)")
    p.add_argument("--show", action="store_true", help="open a browser")
    a = p.parse_args(argv)
    apps = {"dashboard": dashboard_app, "explorer": explorer_app, "compare": compare_app}
    pn.serve({a.app: apps[a.app]}, port=a.port, address=a.address, show=a.show,
             websocket_origin=[f"localhost:{a.port}", f"127.0.0.1:{a.port}"], title=f"pinnkit {a.app}")
