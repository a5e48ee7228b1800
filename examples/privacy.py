"""Privacy: training with differential privacy, forgetting a user, saving without the log
======================================================================================

1. An epsilon sweep: the same multi-task model (rating + like) trained with
   DP-SGD at epsilon 1, 3 and 8 and without it; held-out rating RMSE and like
   AUC, and the epsilon each fit spent.
2. A deletion request: one user is forgotten (and the model trained one more
   epoch on the remaining rows); afterwards that user is recommended exactly
   what a never-seen user is, and the saved model neither lists nor
   describes them.
3. A model file without the behaviour log: ``save(include_interactions=False)``
   holds no (user, item) pair; the loaded model recommends with the pairs to
   leave out passed as ``seen=``.

Uses MovieLens 100K (u1 split) when it is in the data home
(``$SKLEARN_MTL_DATA``), else a synthetic log (``make_recommendation_tasks``),
and says which. Needs ``pip install "sklearn-mtl[privacy]"``. About 20 s on
two cores.

    python examples/privacy.py
"""

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_recommendation_tasks

TASKS = {"rating": "regression", "like": "binary"}


def load():
    """(train, test, feature columns) from MovieLens when present, else synthetic."""
    home = Path(os.environ.get("SKLEARN_MTL_DATA", Path.home() / "sklearn_mtl_data"))
    if (home / "ml-100k" / "u.data").is_file():
        ml = fetch_movielens("100k", folds=True)
        frame = ml.frame.assign(
            like=(ml.frame["rating"] >= 4).astype(float),
            year=ml.frame["year"].fillna(ml.frame["year"].median()),
        )
        train, test = (frame.iloc[rows] for rows in ml.folds[0])
        features = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]
        print(f"MovieLens 100K u1: {len(train)} training and {len(test)} test ratings")
        return train, test, features
    X, y = make_recommendation_tasks(n_samples=40_000, random_state=0)
    frame = X.join(y[["rating"]]).dropna(subset=["rating"])
    frame = frame.assign(like=(frame["rating"] >= 4).astype(float))
    train, test = train_test_split(frame, test_size=0.2, random_state=0)
    print(f"MovieLens 100K is not in the data home: a synthetic log of {len(train)} rows")
    return train, test, list(X.columns)


def model(epsilon=None, **params):
    # Large batches, a high learning rate and 10 epochs: near the best that
    # benchmarks/bench_privacy.py found on validation for every epsilon.
    defaults = dict(
        user_col="user_id", item_col="item_id", batch_size=4096, lr=1e-2, max_epochs=10,
        random_state=0,
    )  # fmt: skip
    return MultiTaskRecommender(TASKS, dp_epsilon=epsilon, **{**defaults, **params})


def main() -> None:
    torch.set_num_threads(1)
    train, test, features = load()

    print("\n1. Epsilon sweep (privacy unit: one rating)")
    for epsilon in (1.0, 3.0, 8.0, None):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Optimal order is the")
            fitted = model(epsilon).fit(train[features], train[list(TASKS)])
        out = fitted.predict_outputs(test[features])
        rmse = np.sqrt(np.mean((np.clip(out["rating"], 1, 5) - test["rating"]) ** 2))
        auc = roc_auc_score(test["like"], out["like"])
        spent = (
            f"spent epsilon={fitted.privacy_spent_[0]:.2f} at delta={fitted.privacy_spent_[1]:g}"
            if epsilon is not None
            else "no privacy guarantee"
        )
        name = "no DP" if epsilon is None else f"epsilon={epsilon:g}"
        print(f"  {name:<12} RMSE {rmse:.4f}  like AUC {auc:.4f}  ({spent})")

    print("\n2. Forgetting a user")
    fitted = model(max_epochs=3, verbose=1).fit(train[features], train[list(TASKS)])
    user = train["user_id"].iloc[0]
    rest = train[train["user_id"] != user]
    fitted.forget(users=[user], X=rest[features], y=rest[list(TASKS)], refit_epochs=1)
    forgotten = fitted.recommend([user], k=5, rank_by="rating", unknown="ignore")
    stranger = fitted.recommend([-1], k=5, rank_by="rating", unknown="ignore")
    forgotten, stranger = (top.drop(columns="user_id") for top in (forgotten, stranger))
    print(f"  user {user} now gets what a never-seen user gets: {forgotten.equals(stranger)}")
    with tempfile.TemporaryDirectory() as folder:
        loaded = MultiTaskRecommender.load(fitted.save(folder))
        known = user in loaded.schema_.vocabularies_["user_id"]
        described = user in loaded.catalog_.users_.index
        print(f"  the saved model lists user {user}: {known}; describes them: {described}")

    print("\n3. Saving without the behaviour log")
    with tempfile.TemporaryDirectory() as folder:
        fitted.save(folder, include_interactions=False)
        names = sorted(path.name for path in Path(folder).iterdir())
        loaded = MultiTaskRecommender.load(folder)
        print(f"  {names}; interactions kept: {loaded.catalog_.interactions_ is not None}")
        someone = rest["user_id"].iloc[0]
        seen = rest.loc[rest["user_id"] == someone, ["user_id", "item_id"]]
        top = loaded.recommend([someone], k=5, rank_by="rating", seen=seen)
        print(f"  top 5 for user {someone}, their {len(seen)} rated items left out:")
        print(top[["item_id", "rank", "rating", "like"]].to_string(index=False))


if __name__ == "__main__":
    main()
