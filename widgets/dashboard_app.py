"""Served training dashboard: ``panel serve widgets/dashboard_app.py --address 127.0.0.1``
or ``python -m pinnkit_widgets dashboard`` (binds 127.0.0.1). URL arguments choose the
problem and budget: ``?problem=convection&steps=2000`` (registry names and integers only)."""
from pinnkit_widgets.apps import dashboard_app

dashboard_app().servable(title="pinnkit — live training")
