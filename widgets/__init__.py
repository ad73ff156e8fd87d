"""pinnkit_widgets: live dashboards and explorers over pinnkit (installed from ``widgets/``).

pinnkit never imports this package (docs/architecture.md). See widgets/README.md.
"""
from .resources import inline_resources, live_frontend, setup
from .live import LiveRun, Snapshot

__all__ = ["setup", "inline_resources", "live_frontend", "LiveRun", "Snapshot", "Dashboard", "Compare", "Explorer"]


def __getattr__(name):
    # Panel and HoloViews load only when a widget is asked for
    if name == "Dashboard":
        from .dashboard import Dashboard
        return Dashboard
    if name == "Compare":
        from .compare import Compare
        return Compare
    if name == "Explorer":
        from .explorer import Explorer
        return Explorer
    raise AttributeError(name)
