"""The two-head model of multi-task recommendation: did they rate it, and what genre is it
==========================================================================================

The model that introductions to multi-task recommendation draw: from
``user_id``, ``item_id`` and ``timestamp`` alone, one network with a 64-unit
shared layer and two heads predicts a binary label (did the user rate the
film) and a softmax over the film's genre. Here it is one
:class:`~sklearn_mtl.MultiTaskRecommender`: each rating of MovieLens 100K's
u1 split is a positive, four films the user never rated are negatives (with a
timestamp drawn from the user's own), and every row is labelled with the
film's first genre.

Uses MovieLens 100K when it is in the data home (``$SKLEARN_MTL_DATA``), else a
synthetic log whose item category stands in for the genre, and says which.
About 25 s on two cores (4 epochs).

    python examples/two_heads.py
"""

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_recommendation_tasks, sample_negatives
from sklearn_mtl.plot import plot_training_curves

FEATURES = ["user_id", "item_id", "timestamp"]


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) rated rows with user_id, item_id, timestamp and genre."""
    home = Path(os.environ.get("SKLEARN_MTL_DATA", Path.home() / "sklearn_mtl_data"))
    if (home / "ml-100k" / "u.data").is_file():
        ml = fetch_movielens("100k", folds=True)
        frame = ml.frame.assign(genre=ml.frame["genres"].str.split("|").str[0])
        train, test = (frame.iloc[rows] for rows in ml.folds[0])
        print(f"MovieLens 100K u1: {len(train)} training and {len(test)} test ratings")
    else:
        X, _ = make_recommendation_tasks(n_samples=40_000, random_state=0)
        frame = X.assign(timestamp=np.arange(len(X)), genre=X["item_category"])
        train, test = frame.iloc[: len(X) * 4 // 5], frame.iloc[len(X) * 4 // 5 :]
        print(f"MovieLens 100K is not in the data home: a synthetic log of {len(train)} rows")
    return train[[*FEATURES, "genre"]], test[[*FEATURES, "genre"]]


def with_negatives(rated: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each rating plus four unrated films of the same user, each labelled with its genre."""
    rows = sample_negatives(rated, n_negatives=4, random_state=seed)
    rows = rows.rename(columns={"watched": "rated"})
    genre = rated.drop_duplicates("item_id").set_index("item_id")["genre"]
    rows["genre"] = rows["item_id"].map(genre)
    # A negative has no timestamp of its own: one of the user's rating times.
    rng = np.random.default_rng(seed)
    times = rated.groupby("user_id")["timestamp"].apply(np.asarray)
    missing = rows["timestamp"].isna()
    rows.loc[missing, "timestamp"] = [
        rng.choice(times[user]) for user in rows.loc[missing, "user_id"]
    ]
    return rows


train, test = load()
train_rows, test_rows = with_negatives(train, seed=0), with_negatives(test, seed=1)
test_rows = test_rows[test_rows["item_id"].isin(train["item_id"])]  # films the model knows

model = MultiTaskRecommender(
    {"rated": "binary", "genre": "multiclass"},
    user_col="user_id",
    item_col="item_id",
    shared_units=(64,),
    tower_units=(),
    batch_size=1024,
    lr=3e-3,
    max_epochs=4,
    validation_fraction=0.1,
    random_state=0,
    verbose=1,
)
model.fit(train_rows[FEATURES], train_rows[["rated", "genre"]])

# %%
# Held-out metrics: ROC AUC of "rated", accuracy of the genre head. The genre
# head reads the film's id, so on films seen in training it is all but exact:
# the point is the shape of the model, one shared layer under two heads.
print(model.score_tasks(test_rows[FEATURES], test_rows[["rated", "genre"]]))
print(model)

# %%
# Each head's training and validation loss per epoch, from ``history_frame``.
print(model.history_frame()[["train_rated_loss", "valid_rated_loss", "valid_genre_loss"]])
fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
plot_training_curves(model, ax=ax)

# %%
# One user's top 5 unrated films at the time of their last rating, with the
# genre head's answer for each. ``timestamp`` describes neither the user nor the
# film, so ``recommend`` cannot fill it in: the candidate rows are built here
# and scored with ``predict_outputs``.
user = train["user_id"].iloc[0]
seen = set(train.loc[train["user_id"] == user, "item_id"])
films = [film for film in train["item_id"].unique() if film not in seen]
candidates = pd.DataFrame(
    {"user_id": user, "item_id": films, "timestamp": train["timestamp"].max()}
)
scored = candidates.assign(
    p_rated=model.predict_outputs(candidates)["rated"],
    genre=model.predict(candidates)["genre"],
)
print(scored.nlargest(5, "p_rated").to_string(index=False))
