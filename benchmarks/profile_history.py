"""Where a fit with interaction history spends its time: torch.profiler's table.

MovieLens 100K u1.base, rating + like, ``interaction_history=True``, two
epochs, one torch thread, every other setting at its default; the table lists
the operators by their own CPU time.

    python benchmarks/profile_history.py [--epochs 2] [--rows 22]
"""

from __future__ import annotations

import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=22, help="operators to list")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(like=(ml.frame["rating"] >= 4).astype(float))
    train = frame.iloc[ml.folds[0][0]]
    features = ["user_id", "item_id", "age", "gender", "occupation"]
    params = dict(
        tasks={"rating": "regression", "like": "binary"},
        user_col="user_id",
        item_col="item_id",
        categorical_features=["user_id", "item_id", "gender", "occupation"],
        interaction_history=True,
        max_epochs=args.epochs,
        random_state=0,
    )
    # Warm-up on a few rows: first-call costs stay out of the profile.
    MultiTaskRecommender(**params).fit(
        train[features].head(2000), train[["rating", "like"]].head(2000)
    )
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        MultiTaskRecommender(**params).fit(train[features], train[["rating", "like"]])
    print(f"torch threads={torch.get_num_threads()}, {args.epochs} epochs on u1.base")
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
