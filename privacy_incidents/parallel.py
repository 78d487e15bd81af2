"""Run a function over items (or consecutive slices of a batch) in forked worker processes, results in order.

Forked workers inherit the function and everything it reads (a loaded model, the texts), so
only each slice's result travels back; nothing is pickled on the way in and no interpreter is
started (joblib's default, loky, starts fresh ones and pickles the model: seconds, not
milliseconds). Elsewhere than Linux, or for a small batch, it runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any

_JOB: tuple[Callable[[Any], Any], list[Any]] | None = None  # what the forked workers run


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def slices(count: int, parts: int) -> list[slice]:
    """``parts`` consecutive slices of ``range(count)``, as equal as can be.

    >>> slices(10, 3)
    [slice(0, 4, None), slice(4, 7, None), slice(7, 10, None)]
    """
    bounds = [(count // parts) * k + min(k, count % parts) for k in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def _run(index: int) -> Any:
    function, items = _JOB  # type: ignore[misc]
    return function(items[index])


def map_forked(function: Callable[[Any], Any], items: list[Any], workers: int | None = None) -> list[Any]:
    """``[function(item) for item in items]`` in up to ``workers`` forked processes (default: one a core).

    Results come back in order; an item that raises raises here, the first in order of those
    that failed (as a loop would, though later items may have run too).
    """
    workers = min(cores() if workers is None else workers, len(items))
    # Linux only: macOS offers fork, but its system libraries (Accelerate, numpy's BLAS there) are
    # not fork-safe, which is why Python spawns there; and a pool's own workers may not start processes.
    forks = sys.platform == "linux" and not multiprocessing.current_process().daemon
    if workers < 2 or not forks:
        return [function(item) for item in items]
    global _JOB
    _JOB = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return list(pool.imap(_run, range(len(items)), chunksize=1))
    finally:
        _JOB = None


def map_slices(function: Callable[[slice], Any], count: int, least: int) -> list[Any]:
    """``[function(part) for part in slices(count, n)]``, one slice a core, each at least ``least`` long."""
    workers = max(1, min(cores(), count // least))
    return map_forked(function, slices(count, workers), workers)
