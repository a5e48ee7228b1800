"""Parallel hyper-parameter search: one fit at a time against two, on joblib and on Dask.

The same ``GridSearchCV`` (4 grid points x 2 folds of ``make_recommendation_tasks``)
runs

- sequentially (``n_jobs=1``), with torch's default threads and with one;
- with ``n_jobs=2`` on joblib's process workers (loky caps each worker's
  threads at cores / n_jobs);
- on a 2-worker Dask ``LocalCluster`` (``threads_per_worker=1``) through
  ``joblib.parallel_backend("dask")``: with ``n_threads=None`` each fit takes
  the worker's budget (one thread); with ``n_threads=<cores>`` each fit takes
  every core, as torch does by default, to show what oversubscription costs.

It prints each wall time, the ratio to the sequential run, and whether the
``cv_results_`` scores equal the sequential one-thread run's.

    python benchmarks/bench_search.py [--n-samples 40000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks


def search(epochs: int, n_jobs: int, n_threads: int | None = None) -> GridSearchCV:
    model = MultiTaskRecommender(max_epochs=epochs, n_threads=n_threads, random_state=0)
    grid = {"lr": [1e-3, 3e-3], "shared_units": [(64, 32), (128, 64)]}
    return GridSearchCV(model, grid, cv=KFold(2), n_jobs=n_jobs)


def timed_scores(make, X, y) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    fitted = make().fit(X, y)
    return time.perf_counter() - start, fitted.cv_results_["mean_test_score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=40_000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    X, y = make_recommendation_tasks(n_samples=args.n_samples, random_state=0)
    print(f"{cores} cores; {args.n_samples} rows; 4 grid points x 2 folds, {args.epochs} epochs")

    rows = []
    default_threads = torch.get_num_threads()
    seconds, _ = timed_scores(lambda: search(args.epochs, 1), X, y)
    rows.append((f"n_jobs=1, torch threads={default_threads}", seconds, None))
    torch.set_num_threads(1)
    seconds, reference = timed_scores(lambda: search(args.epochs, 1), X, y)
    rows.append(("n_jobs=1, torch threads=1", seconds, True))
    torch.set_num_threads(default_threads)
    seconds, scores = timed_scores(lambda: search(args.epochs, 2), X, y)
    rows.append(("n_jobs=2, joblib processes (loky caps threads)", seconds,
                 np.array_equal(scores, reference)))  # fmt: skip

    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
        parallel_backend("dask"),
    ):
        for n_threads, label in ((None, "n_threads=None: worker budget, 1"),
                                 (cores, f"n_threads={cores}: oversubscribed")):  # fmt: skip
            seconds, scores = timed_scores(lambda t=n_threads: search(args.epochs, 2, t), X, y)
            rows.append((f"Dask, 2 workers x 1 thread, {label}", seconds,
                         np.array_equal(scores, reference)))  # fmt: skip

    table = pd.DataFrame(rows, columns=["run", "seconds", "same scores as 1 thread"])
    table["x sequential"] = table["seconds"] / table.loc[0, "seconds"]
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(table.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
