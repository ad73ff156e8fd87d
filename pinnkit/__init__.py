"""pinnkit: a laboratory for physics-informed neural networks.

Data flows one way (docs/architecture.md):
problem -> sampler -> model -> loss terms -> balancer / combiner / optimizer -> trainer -> diagnostics.
"""
from . import balancing, diagnostics, losses, models, optim, problems, sampling, training
from .problems import zoo
from .recipes import RunConfig, load_run, resume_run, run
from .sweep import sweep
from .training import History, train

__version__ = "0.1.0"
__all__ = ["balancing", "diagnostics", "losses", "models", "optim", "problems", "sampling", "training",
           "zoo", "RunConfig", "load_run", "resume_run", "run", "History", "train",
           "sweep"]
