"""Top-10 by predicted rating on MovieLens 100K u1: precision, rare items, the rating range.

Fits the defaults (rating + like from user, item, age, gender, occupation;
only ``tasks``, ``user_col``, ``item_col`` and the categorical columns given)
on u1.base, with and without ``interaction_history``, then for every u1.test
user with a liked test film (rating >= 4) takes ``recommend(rank_by="rating",
k=10)`` over every film, the user's u1.base films excluded. Prints, for each
model: precision@10 against the user's liked u1.test films, the share of
top-10 items with at most 5 u1.base ratings, the range of predicted ratings
over every (user, film) pair, the test RMSE (the test split is read once, for
these figures; nothing is chosen on it), and the fit time with one torch
thread (``--threads``). The no-history model is the baseline of the same run.

    python benchmarks/bench_rating_rankings.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens

FEATURES = ["user_id", "item_id", "age", "gender", "occupation"]
RARE = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads={torch.get_num_threads()}")
    ml = fetch_movielens("100k", folds=True)
    frame = ml.frame.assign(like=(ml.frame["rating"] >= 4).astype(float))
    train_rows, test_rows = ml.folds[0]
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    counts = train["item_id"].value_counts()
    liked = test[test["like"] == 1].groupby("user_id")["item_id"].agg(set)
    users = list(liked.index)
    titles = ml.frame.drop_duplicates("item_id").set_index("item_id")["title"]
    for history in (False, True):
        model = MultiTaskRecommender(
            tasks={"rating": "regression", "like": "binary"}, user_col="user_id",
            item_col="item_id", categorical_features=["user_id", "item_id", "gender", "occupation"],
            interaction_history=history, random_state=0,
        )  # fmt: skip
        start = time.perf_counter()
        model.fit(train[FEATURES], train[["rating", "like"]])
        seconds = time.perf_counter() - start
        top = model.recommend(users, k=10, rank_by="rating")
        hits = [
            item in liked[user] for user, item in zip(top["user_id"], top["item_id"], strict=True)
        ]
        rare = counts.reindex(top["item_id"]).fillna(0).to_numpy() <= RARE
        items = counts.index.to_numpy()
        pairs = model.score_pairs(np.repeat(users, len(items)), np.tile(items, len(users)))
        rating = pairs["rating"]
        rmse = float(np.sqrt(np.mean((model.predict(test[FEATURES])["rating"]
                                      - test["rating"]) ** 2)))  # fmt: skip
        print(f"  history={history!s:<5}: precision@10 {np.mean(hits):.3f}, top-10 items with "
              f"<= {RARE} ratings {np.mean(rare):.1%}, predicted ratings in "
              f"[{rating.min():.2f}, {rating.max():.2f}], test RMSE {rmse:.4f}, "
              f"{model.n_iter_} epochs, fit {seconds:.1f} s", flush=True)  # fmt: skip
        pick = top["item_id"].iloc[0]
        print(f"    user {users[0]}'s top pick: {titles[pick]} ({counts.get(pick, 0)} u1.base "
              "ratings)")  # fmt: skip


if __name__ == "__main__":
    main()
