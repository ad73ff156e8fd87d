"""Served compare mode: ``panel serve widgets/compare_app.py --address 127.0.0.1``
or ``python -m pinnkit_widgets compare``. ``?problem=convection&steps=300``."""
from pinnkit_widgets.apps import compare_app

compare_app().servable(title="pinnkit — compare two runs")
