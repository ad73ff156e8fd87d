"""Diagnostics: errors, residual fields, per-term gradients, temporal profiles,
conditioning and transport spectra, and static figures."""
from . import conditioning, spectra, spectral_plots, temporal, transport
from .conditioning import *  # noqa: F401,F403
from .fields import Fields, fields, relative_l2, residual_at_points, residual_field, term_gradient_norms
from .plots import plot_fields, plot_losses
from .recorder import Grid, Recorder, Snapshot
from .spectra import *  # noqa: F401,F403
from .spectral_plots import *  # noqa: F401,F403
from .transport import *  # noqa: F401,F403

__all__ = (["Fields", "fields", "relative_l2", "residual_field", "residual_at_points", "term_gradient_norms",
            "plot_fields",
            "plot_losses", "temporal", "Recorder", "Snapshot", "Grid"]
           + conditioning.__all__ + transport.__all__ + spectral_plots.__all__ + spectra.__all__)
