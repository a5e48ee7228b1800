"""How many torch threads a fit or a prediction may use.

Parallel fits (``GridSearchCV(n_jobs=...)``, a Dask cluster through joblib)
run several models at once. Each torch process otherwise takes every core for
its intra-op thread pool, and the cores, oversubscribed, run the fits many
times slower than one at a time (16x was measured on two cores). joblib's
process workers already cap the threads of the libraries they run through the
``OMP_NUM_THREADS`` family of variables, which torch reads when it starts; a
Dask worker does not, so its budget (``threads_per_worker``) is read here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral
from typing import Any, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])


def worker_thread_budget() -> int | None:
    """The threads of the Dask worker this code runs in; ``None`` outside one.

    Examples
    --------
    >>> worker_thread_budget() is None  # not inside a Dask worker
    True
    """
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        worker = get_worker()
    except ValueError:
        return None
    return int(worker.state.nthreads)


def resolve_threads(n_threads: int | None) -> int | None:
    """The torch thread count to use: ``n_threads``, else the worker's budget, else ``None``.

    A value that is not a positive integer is left alone here (``None``): the
    estimator's parameter validation refuses it by name.
    """
    if n_threads is None:
        return worker_thread_budget()
    if isinstance(n_threads, Integral) and not isinstance(n_threads, bool) and n_threads >= 1:
        return int(n_threads)
    return None


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``n_threads`` torch threads, then restore the caller's setting.

    ``None`` leaves torch's setting alone.

    Parameters
    ----------
    n_threads : int or None
        Torch's intra-op thread count inside the block.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    if before != n_threads:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def limits_threads(method: F) -> F:
    """Run an estimator method under the thread count of its ``n_threads`` parameter."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        # getattr: a model pickled before this parameter existed has no such attribute.
        with torch_threads(resolve_threads(getattr(self, "n_threads", None))):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
