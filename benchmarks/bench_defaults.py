"""What a user gets with the defaults: clustered implicit logs and MovieLens, history or not.

1. Two clustered implicit logs (``make_clustered_log``: 300 users x 240 items
   with 12 + 12 watched and 96 unwatched items each, and 240 x 180 with
   10 + 10 and 80), ``tasks={"watched": "binary"}``, ids and
   ``interaction_task`` given, 15 epochs, everything else at its default: the
   AUC on the training rows, the share of each user's top 3 ``recommend``
   items inside the user's two clusters, and how many distinct items are
   someone's top 1 (a model that learned nothing recommends the same items to
   everyone).
2. MovieLens 100K u1.base with rating and like tasks, ids given, everything
   else at its default, with and without ``interaction_history``: RMSE and
   like-AUC on a random 10% of u1.base held out for validation (u1.test is not
   read), and the fit time.

Every timing is with one torch thread (``--threads``).

    python benchmarks/bench_defaults.py [--seeds 3] [--threads 1] [--skip-movielens]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_clustered_log

LOGS = {
    "300 users x 240 items": dict(n_users=300, n_items=240, n_watched=12, n_negatives=96),
    "240 users x 180 items": dict(n_users=240, n_items=180, n_watched=10, n_negatives=80),
}


def clustered(seeds: int) -> None:
    print("1. Clustered implicit logs, defaults, 15 epochs")
    for name, sizes in LOGS.items():
        data = make_clustered_log(**sizes, random_state=0)
        X, y = data.frame[["user_id", "item_id"]], data.frame[["watched"]]
        for history in (False, True):
            rows = []
            for seed in range(seeds):
                model = MultiTaskRecommender(
                    tasks={"watched": "binary"}, user_col="user_id", item_col="item_id",
                    interaction_task="watched", interaction_history=history, max_epochs=15,
                    random_state=seed,
                )  # fmt: skip
                start = time.perf_counter()
                model.fit(X, y)
                seconds = time.perf_counter() - start
                auc = roc_auc_score(y["watched"], model.predict_proba(X)["watched"][:, 1])
                top = model.recommend(list(data.liked_clusters), k=3)
                pairs = zip(top["user_id"], top["item_id"], strict=True)
                inside = np.mean(
                    [data.item_clusters[i] in data.liked_clusters[u] for u, i in pairs]
                )
                distinct = top.loc[top["rank"] == 1, "item_id"].nunique()
                rows.append((auc, inside, distinct, seconds))
            auc, inside, distinct, seconds = np.array(rows).T
            n_users = len(data.liked_clusters)
            print(f"  {name}, history={history!s:<5}: train AUC {np.round(auc, 3)}, "
                  f"top 3 in the user's clusters {np.round(inside, 2)}, distinct top-1 items "
                  f"{distinct.astype(int)} of {n_users}, fit {seconds.mean():.1f} s",
                  flush=True)  # fmt: skip


def movielens() -> None:
    print("2. MovieLens 100K u1.base, rating + like, defaults; validation = 10% of u1.base")
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(like=(ml.frame["rating"] >= 4).astype(float))
    base = frame.iloc[ml.folds[0][0]]
    held_out = np.random.default_rng(0).uniform(size=len(base)) < 0.1
    train, valid = base[~held_out], base[held_out]
    features = ["user_id", "item_id", "age", "gender", "occupation"]
    times = {}
    for history in (False, True):
        model = MultiTaskRecommender(
            tasks={"rating": "regression", "like": "binary"}, user_col="user_id",
            item_col="item_id", categorical_features=["user_id", "item_id", "gender", "occupation"],
            interaction_history=history, random_state=0,
        )  # fmt: skip
        start = time.perf_counter()
        model.fit(train[features], train[["rating", "like"]])
        times[history] = time.perf_counter() - start
        scores = model.score_tasks(
            valid[features],
            valid[["rating", "like"]],
            metrics={"rating": "neg_root_mean_squared_error", "like": "roc_auc"},
        )
        print(f"  history={history!s:<5}: valid RMSE {-scores['rating']:.4f}, like AUC "
              f"{scores['like']:.4f}, fit {times[history]:.1f} s", flush=True)  # fmt: skip
    print(f"  history fit / plain fit: {times[True] / times[False]:.2f} (target <= 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-movielens", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    clustered(args.seeds)
    if not args.skip_movielens:
        movielens()


if __name__ == "__main__":
    main()
