"""Training: one loop, callbacks, histories and checkpoints."""
from .callbacks import Callback, Checkpoint, EarlyStop, EveryN, StopOnEvent, TimeBudget, load_checkpoint, save_checkpoint
from .evaluate import Evaluator, predict, relative_l2
from .history import History, atomic_write_bytes, atomic_write_text
from .loop import Divergence, TrainState, train
from .ensembles import train_ensemble
from . import strategies
from . import multistage  # registers the "multistage" strategy

__all__ = ["Callback", "Checkpoint", "EarlyStop", "EveryN", "StopOnEvent", "TimeBudget", "load_checkpoint", "save_checkpoint",
           "Evaluator", "predict", "relative_l2", "History", "atomic_write_bytes", "atomic_write_text",
           "Divergence", "TrainState", "train", "train_ensemble", "strategies"]
