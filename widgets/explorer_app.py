"""Served parameter explorer: ``panel serve widgets/explorer_app.py --address 127.0.0.1``
or ``python -m pinnkit_widgets explorer``. ``?problem=convection&steps=300``."""
from pinnkit_widgets.apps import explorer_app

explorer_app().servable(title="pinnkit — parameter explorer")
