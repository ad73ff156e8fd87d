"""Training-state files: everything a run needs to continue bit for bit where it stopped.

``train(..., checkpoint=path, checkpoint_every=n)`` writes one every ``n`` steps (and when a
callback stops the run, e.g. on SIGTERM), atomically as every run file is;
``train(..., resume=path)`` continues from it. The file holds the step and the phase of the
optimizer plan, the network's and the unknowns' parameters, the optimizer's state (Adam
moments, the L-BFGS memory and its cached evaluation), the learning-rate schedule, the
balancer's and combiner's states and current weights, the residual and condition points, the
state of the numpy generator that draws them and of torch's generator, the attributes of the
sampler and of the residual reduction (R3's population, a causal gate, CausalResidual's
stage), the divergence bookkeeping and the history so far.

Like ``model.pt`` it is read with ``torch.load(weights_only=True)``: tensors, numbers,
strings and containers only, so a crafted file cannot run code. Numpy arrays are stored as
tensors under a ``{"__ndarray__": tensor}`` tag.
"""
from __future__ import annotations

import io
import pickle
import types
from pathlib import Path

import numpy as np
import torch

from .history import atomic_write_bytes

__all__ = ["save_training_state", "load_training_state", "FORMAT"]

FORMAT = 1


def plain(value, what: str):
    """``value`` as tensors, numbers, strings and containers (``weights_only``-loadable)."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.array(value))}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {k: plain(v, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v, what) for v in value)
    raise ValueError(f"cannot checkpoint the state of {what}: it holds a {type(value).__name__}, "
                     f"not tensors, numbers, strings or containers of them")


def unplain(value):
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return value["__ndarray__"].numpy()
        return {k: unplain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(unplain(v) for v in value)
    return value


def attributes(obj, what: str) -> dict:
    """The instance attributes of a sampler or residual reduction (nothing for a function)."""
    if obj is None or isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return {}
    return plain(dict(vars(obj)), what)


def set_attributes(obj, attrs: dict) -> None:
    for k, v in unplain(attrs).items():
        setattr(obj, k, v)


def save_training_state(path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save({"format": FORMAT, **state}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_training_state(path) -> dict:
    """Read a training-state file, refusing (``ValueError`` naming the file) anything that is
    not one: an empty or truncated file, a pickle that would run code, another format."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no training state there (was the run started with checkpoints?)")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the training-state file is empty")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(f"{path}: refused — the file holds more than training state (it would run code when "
                         f"loaded): {str(e).splitlines()[0]}") from None
    except (EOFError, RuntimeError) as e:
        raise ValueError(f"{path}: not a readable training state (truncated or corrupt): {e}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a pinnkit training state (format {FORMAT})")
    return state
