"""Diagnostics: errors, residual fields, per-term gradients, static figures."""
from .fields import Fields, fields, relative_l2, residual_field, term_gradient_norms
from .plots import plot_fields, plot_losses

__all__ = ["Fields", "fields", "relative_l2", "residual_field", "term_gradient_norms", "plot_fields", "plot_losses"]
from .conditioning import *; from .transport import *; from .spectral_plots import *; from . import conditioning, transport, spectral_plots; __all__ += conditioning.__all__ + transport.__all__ + spectral_plots.__all__  # noqa: E402,F401,F403
from .spectra import *; from . import spectra; __all__ += spectra.__all__  # noqa: E402,F401,F403
