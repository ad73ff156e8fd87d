"""Process-level settings that make small PINN steps faster on CPU.

A training step allocates and frees the same few-megabyte tensors every step. With glibc's
default allocator, blocks of that size are either mapped fresh from the kernel
(``mmap``) or handed back at the top of the heap (``trim``) when freed, so every step
touches new pages and pays a page fault for each 4 KiB of them. On the 2-core VMs pinnkit
is benchmarked on, that was 150–2300 faults and up to half of the time of one
width-20 Burgers step (``benchmarks/RESULTS.md``). :func:`tune_allocator` keeps freed
memory in the process for reuse (``mallopt``: ``M_MMAP_THRESHOLD`` = 32 MiB, the largest
glibc allows, ``M_TRIM_THRESHOLD`` = 256 MiB), the allocator setting PyTorch's CPU
performance guide addresses by swapping in jemalloc or tcmalloc.

It changes only when freed memory is returned to the system (the process may keep up to
256 MiB of freed heap), nothing about results. :func:`pinnkit.training.train` and
:func:`~pinnkit.training.train_ensemble` call it once per process; set the environment
variable ``PINNKIT_TUNE_MALLOC=0`` to leave the allocator alone. Does nothing where glibc
is not the C library.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["tune_allocator", "allocator_tuned"]

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

_state: dict[str, bool] = {}


def tune_allocator() -> bool:
    """Apply the allocator settings above once per process; ``True`` if they are in effect."""
    if "tuned" in _state:
        return _state["tuned"]
    tuned = False
    if os.environ.get("PINNKIT_TUNE_MALLOC", "1").strip().lower() not in ("0", "false", "no", "off"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
            mallopt = None
        if mallopt is not None:
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            mallopt.restype = ctypes.c_int
            tuned = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    _state["tuned"] = tuned
    return tuned


def allocator_tuned() -> bool:
    """Whether :func:`tune_allocator` has run in this process and took effect."""
    return _state.get("tuned", False)
