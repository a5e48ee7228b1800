"""MovieLens 100K end to end: fetch, build tasks, fit, evaluate, recommend
=======================================================================

Downloads MovieLens 100K from GroupLens on first use (checksum-verified, cached
in ``$SKLEARN_MTL_DATA`` or ``~/sklearn_mtl_data``), turns the ratings into
impressions with sampled negatives (``watched`` 1/0; ``rating`` and ``like``
exist only on watched rows), trains one model for the three tasks with the
users' and items' interaction histories (the negatives drawn afresh every
epoch, the learning rate decaying along a cosine), evaluates it with the leave-one-out
protocol, prints one user's top 10 with the titles, and finally predicts ratings
on the official u1 split with ``history_pooling="sigmoid_sum"``. Epochs and
batch sizes are trimmed so that it runs in under a minute on two cores;
``benchmarks/bench_movielens.py`` trains the settings tuned on validation.

When MovieLens is not in the data home (``fetch_movielens("100k")`` downloads
it), the example runs on a synthetic log from
:func:`~sklearn_mtl.datasets.make_recommendation_tasks` instead, and says so:
its "films" are items named by their category, and its u1 split is the last
fifth of the log.

    python examples/movielens.py
"""

import numpy as np

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, make_recommendation_tasks, sample_negatives
from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split


def load():
    """(ratings with titles, feature columns, u1 train and test rows), MovieLens or synthetic."""
    try:
        ml = fetch_movielens("100k", folds=True, download_if_missing=False)
    except OSError:
        X, y = make_recommendation_tasks(n_samples=40_000, random_state=0)
        frame = X.join(y[["rating"]]).dropna(subset=["rating"]).reset_index(drop=True)
        frame = frame.assign(
            timestamp=np.arange(len(frame)),
            title=frame["item_id"] + " (" + frame["item_category"] + ")",
        )
        cut = len(frame) * 4 // 5
        print(f"MovieLens 100K is not in the data home: a synthetic log of {len(frame)} ratings")
        features = ["user_id", "item_id", "age", "gender", "segment", "price"]
        return frame, features, (np.arange(cut), np.arange(cut, len(frame)))
    frame = ml.frame.assign(year=ml.frame["year"].fillna(ml.frame["year"].median()))
    print(f"MovieLens 100K: {len(frame)} ratings")
    features = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]
    return frame, features, ml.folds[0]


frame, features, u1 = load()
frame["like"] = (frame["rating"] >= 4).astype(float)

# Each user's latest rating is held out; the rest trains the model.
train, test = leave_one_out_split(frame)
impressions = sample_negatives(train[[*features, "rating", "like"]], n_negatives=4, random_state=0)
print(
    f"{len(train)} ratings → {len(impressions)} impressions "
    f"({impressions['watched'].mean():.0%} watched)"
)

model = MultiTaskRecommender(
    {"watched": "binary", "like": "binary", "rating": "regression"},
    user_col="user_id",
    item_col="item_id",
    interaction_task="watched",
    interaction_history=True,
    resample_negatives=True,
    lr_schedule="cosine",
    embedding_dim=32,
    shared_units=(64, 32),
    batch_size=2048,
    lr=3e-3,
    max_epochs=6,
    random_state=0,
    verbose=1,
)
model.fit(impressions[features], impressions[["watched", "like", "rating"]])

result = evaluate_leave_one_out(model, train, test, rank_by="watched", random_state=0)
print(
    f"\nleave-one-out: HR@10 {result['hit_rate@10']:.3f}, NDCG@10 {result['ndcg@10']:.3f} "
    f"over {result['n_users']} users"
)

user = frame["user_id"].iloc[0]
top = model.recommend([user], k=10, rank_by={"watched": 1.0, "like": 0.5})
top = top.join(frame.drop_duplicates("item_id").set_index("item_id")["title"], on="item_id")
print(f"\nTop 10 for user {user} (ranked by p(watch) + 0.5 p(like)):")
print(top[["rank", "title", "watched", "like", "rating"]].round(3).to_string(index=False))

# Rating prediction on the official u1 split: the defaults with the users'
# and items' interaction histories (SVD++'s implicit feedback, both sides)
# beside the factorization terms, early stopping choosing the epoch;
# benchmarks/bench_movielens.py measures all five folds against Surprise.
train_index, test_index = u1
u1_train, u1_test = frame.iloc[train_index], frame.iloc[test_index]
rater = MultiTaskRecommender(
    {"rating": "regression"},
    user_col="user_id",
    item_col="item_id",
    interaction_history=True,
    random_state=0,
)
rater.fit(u1_train[features], u1_train[["rating"]])
predicted = rater.predict(u1_test[features])["rating"]  # within [1, 5]: clip=True
rmse = ((predicted - u1_test["rating"].to_numpy()) ** 2).mean() ** 0.5
print(f"\nu1 rating RMSE: {rmse:.3f}")
