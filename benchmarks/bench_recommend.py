"""Top-10 recommendations for every MovieLens 100K user over every movie.

Fits a model with interaction histories on all ratings (impressions with 4
sampled negatives, a ``watched`` task), then times ``recommend`` for all 943
users over all 1682 movies, seen ones excluded. Prints the time, the number of
scored pairs per second and, as the baseline in the same process, the time of
a plain row-by-row ``predict`` over the same pairs built as a DataFrame.

Target: <= 1 s on a 2-core machine.

    python benchmarks/bench_recommend.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, sample_negatives

FEATURES = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    ml = fetch_movielens("100k")
    frame = ml.frame.assign(year=ml.frame["year"].fillna(ml.frame["year"].median()))
    data = sample_negatives(frame[FEATURES], n_negatives=4, random_state=0)
    model = MultiTaskRecommender(
        {"watched": "binary"}, user_col="user_id", item_col="item_id",
        interaction_task="watched", interaction_history=True, max_epochs=args.epochs,
        batch_size=1024, random_state=0,
    ).fit(data[FEATURES], data[["watched"]])  # fmt: skip

    users = ml.users.index.to_numpy()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        top = model.recommend(users, k=10)
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    pairs = len(users) * len(model.catalog_.items_)
    print(f"users={len(users)} items={len(model.catalog_.items_)} pairs={pairs} "
          f"rows returned={len(top)}")  # fmt: skip
    print(f"recommend, top 10, all users : {seconds:.3f} s (median of {args.repeats}; "
          f"{pairs / seconds:,.0f} pairs/s)  target <= 1 s")  # fmt: skip

    # Baseline: the same pairs as a DataFrame through predict_proba.
    start = time.perf_counter()
    grid = pd.DataFrame({
        "user_id": np.repeat(users, len(model.catalog_.items_)),
        "item_id": np.tile(model.catalog_.items_.index.to_numpy(), len(users)),
    })  # fmt: skip
    grid = grid.join(model.catalog_.users_, on="user_id").join(model.catalog_.items_, on="item_id")
    model.predict_proba(grid[FEATURES])
    baseline = time.perf_counter() - start
    print(f"baseline: DataFrame of all pairs + predict_proba : {baseline:.3f} s "
          f"({baseline / seconds:.1f}x slower, and no top-k yet)")  # fmt: skip


if __name__ == "__main__":
    main()
