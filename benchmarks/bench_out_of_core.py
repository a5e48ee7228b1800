"""Training from a Parquet log larger than we care to hold in memory.

1. Writes a synthetic log of ``--rows`` rows (default 20 million, in the shape
   of ``make_recommendation_tasks``: ids, side features, click/like/rating)
   as Parquet files of one million rows each (in a child process, so that
   the writing does not count in the training process's memory).
2. Builds the exact vocabularies of the categorical columns in one pass
   (``ParquetLog.categories``), then trains one epoch from disk, a chunk at a
   time (``fit`` on a ``ParquetLog``), printing rows/s and the peak resident
   memory of this process (target: under 2 GB).
3. Trains the same model, one epoch, from an in-memory DataFrame of
   ``--reference-rows`` rows (default 2 million) read from the same files:
   the rows/s to compare with.

One torch thread (``--threads``).

    python benchmarks/bench_out_of_core.py [--rows 20000000] [--folder /tmp/mtl-log]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import ParquetLog, make_recommendation_tasks

TASKS = {"click": "binary", "like": "binary", "rating": "regression"}
FILE_ROWS = 1_000_000
CATEGORICAL = ["user_id", "item_id", "gender", "segment", "item_category"]


def write_log(folder: Path, rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(-(-rows // FILE_ROWS)):
        n = min(FILE_ROWS, rows - k * FILE_ROWS)
        X, y = make_recommendation_tasks(
            n_users=500_000, n_items=200_000, n_samples=n, random_state=k
        )
        X.join(y).to_parquet(folder / f"part-{k:03d}.parquet", row_group_size=250_000)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def rss_now_gb() -> float:
    """Resident memory now (Linux), to tell training's footprint from the peak so far."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**30


def model(categories: dict) -> MultiTaskRecommender:
    return MultiTaskRecommender(
        TASKS, categories=categories, categorical_features=CATEGORICAL,
        batch_size=2048, lr=2e-3, max_epochs=1, random_state=0,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--reference-rows", type=int, default=2_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/sklearn-mtl-log"))
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_only:
        write_log(args.folder, args.rows)
        return
    torch.set_num_threads(args.threads)

    if not args.folder.exists() or ParquetLog(args.folder).__len__() != args.rows:
        start = time.perf_counter()
        command = [sys.executable, __file__, "--write-only", "--rows", str(args.rows),
                   "--folder", str(args.folder)]  # fmt: skip
        subprocess.run(command, check=True)
        print(f"wrote {args.rows:,} rows to {args.folder} in {time.perf_counter() - start:.0f} s")
    log = ParquetLog(args.folder, chunk_rows=args.chunk_rows)
    print(f"torch threads={torch.get_num_threads()}; log: {len(log):,} rows, "
          f"{log.n_parts()} row groups, chunks of {args.chunk_rows:,} rows")  # fmt: skip

    start = time.perf_counter()
    categories = log.categories(CATEGORICAL)
    seconds = time.perf_counter() - start
    sizes = ", ".join(f"{c} {len(v):,}" for c, v in categories.items())
    print(f"categories in one pass: {seconds:.1f} s ({sizes}); peak RSS {peak_rss_gb():.2f} GB")

    start = time.perf_counter()
    model(categories).fit(log)
    seconds = time.perf_counter() - start
    disk_rate = len(log) / seconds
    disk_peak = peak_rss_gb()
    print(f"one epoch from disk: {seconds:.0f} s, {disk_rate:,.0f} rows/s; "
          f"peak RSS {disk_peak:.2f} GB (target < 2 GB), resident after training "
          f"{rss_now_gb():.2f} GB")  # fmt: skip

    frame = pd.concat(
        [chunk for _, chunk in zip(range(args.reference_rows // args.chunk_rows), log.chunks(),
                                   strict=False)],
        ignore_index=True,
    )  # fmt: skip
    X, y = frame.drop(columns=list(TASKS)), frame[list(TASKS)]
    start = time.perf_counter()
    model(categories).fit(X, y)
    seconds = time.perf_counter() - start
    memory_rate = len(frame) / seconds
    print(f"one epoch in memory ({len(frame):,} rows): {seconds:.0f} s, {memory_rate:,.0f} rows/s")
    print(f"from disk / in memory: {disk_rate / memory_rate:.2f}x the rows/s")


if __name__ == "__main__":
    main()
