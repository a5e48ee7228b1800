"""Training from a :class:`~sklearn_mtl.datasets.ParquetLog`: what it allows, and its chunks.

Each chunk of the log is one training call of the estimator (one epoch over
the chunk's rows). Under ``distributed=True`` every process reads its own row
groups; the processes then have to agree, chunk after chunk, on whether to go
on and on how many steps to make, or an all-reduce would wait forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from .datasets import ParquetLog


def check_log_training(params: Mapping[str, Any], log: ParquetLog, y: Any) -> list[str]:
    """Refuse what training from ``log`` cannot do; return the target columns."""
    if y is not None:
        raise ValueError(
            "fit and partial_fit take y=None with a ParquetLog: the targets are the log's "
            "columns named in tasks."
        )
    tasks = params["tasks"]
    if not isinstance(tasks, dict) or not tasks:
        raise ValueError(
            "With a ParquetLog, tasks must be a dict that names the log's target columns, "
            f"e.g. {{'click': 'binary'}}; got tasks={tasks!r}."
        )
    missing = [name for name in tasks if name not in log.read_columns]
    if missing:
        raise ValueError(f"tasks names columns that are not in the log: {missing}.")
    refused = {
        "early_stopping": params["early_stopping"] is True,
        "validation_fraction": params["validation_fraction"] is not None,
        "lr_schedule='cosine'": params["lr_schedule"] == "cosine",
    }
    if any(refused.values()):
        names = [name for name, on in refused.items() if on]
        raise ValueError(
            f"{names} work over one training call, and each chunk of a ParquetLog is one "
            "call: validate on a held-out log with score_tasks instead."
        )
    if params["distributed"]:
        if not params["categories"]:
            raise ValueError(
                "distributed=True with a ParquetLog needs categories= (e.g. "
                "log.categories([...])): each process reads other rows, and all must "
                "build the same vocabularies."
            )
        if params["interaction_history"]:
            raise ValueError(
                "interaction_history=True is not supported with a ParquetLog under "
                "distributed=True: each process would pool other histories."
            )
    return list(tasks)


def log_chunks(
    log: ParquetLog, batch_size: int, accelerator: Any = None
) -> Iterator[tuple[pd.DataFrame, int | None]]:
    """One pass of chunks with the steps each training call must make.

    Alone, every chunk once (``None``: every batch of it). Under an
    accelerator, this process's row groups; a process that runs out of chunks
    before the others starts its share again, and the pass ends once every
    process has read its whole share. Each chunk comes with the largest batch
    count of the chunks trained at the same time.

    Parameters
    ----------
    log : ParquetLog
        The training log.
    batch_size : int
        Rows per training step.
    accelerator : accelerate.Accelerator, default=None
        Set when several processes train together.

    Yields
    ------
    chunk : DataFrame
    steps : int or None
    """
    if accelerator is None or accelerator.num_processes == 1:
        for chunk in log.chunks():
            yield chunk, None
        return
    from accelerate.utils import gather_object

    part, n_parts = accelerator.process_index, accelerator.num_processes
    if log.n_parts() < n_parts:
        raise ValueError(
            f"The log has {log.n_parts()} row groups for {n_parts} processes: write it in "
            "at least as many row groups (files, or row_group_size) as processes."
        )
    own, finished = log.chunks(part, n_parts), False
    while True:
        chunk = next(own, None)
        if chunk is None:
            own, finished = log.chunks(part, n_parts), True
            chunk = next(own)
        status = gather_object([(finished, -(-len(chunk) // batch_size))])
        if all(done for done, _ in status):
            return
        yield chunk, max(steps for _, steps in status)
