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

    python examples/movielens.py
"""

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import fetch_movielens, sample_negatives
from sklearn_mtl.metrics import evaluate_leave_one_out, leave_one_out_split

ml = fetch_movielens("100k", folds=True)
frame = ml.frame.assign(
    like=(ml.frame["rating"] >= 4).astype(float),
    year=ml.frame["year"].fillna(ml.frame["year"].median()),
)
features = ["user_id", "item_id", "age", "gender", "occupation", "zip_prefix", "year"]

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

user = 42
top = model.recommend([user], k=10, rank_by={"watched": 1.0, "like": 0.5})
top = top.join(ml.movies["title"], on="item_id")
print(f"\nTop 10 for user {user} (ranked by p(watch) + 0.5 p(like)):")
print(top[["rank", "title", "watched", "like", "rating"]].round(3).to_string(index=False))

# Rating prediction on the official u1 split. Histories pooled through a
# sigmoid (AutoRec's encoder), their products with the user's and item's own
# factors, and strong weight decay predict ratings best;
# benchmarks/bench_movielens.py measures all five folds against Surprise.
train_index, test_index = ml.folds[0]
u1_train, u1_test = frame.iloc[train_index], frame.iloc[test_index]
rater = MultiTaskRecommender(
    {"rating": "regression"},
    user_col="user_id",
    item_col="item_id",
    interaction_history=True,
    history_pooling="sigmoid_sum",
    history_products=True,
    weight_decay=1e-3,
    batch_size=2048,
    lr=2e-3,
    max_epochs=12,
    random_state=0,
)
rater.fit(u1_train[features], u1_train[["rating"]])
predicted = rater.predict(u1_test[features])["rating"].clip(1, 5)
rmse = ((predicted - u1_test["rating"].to_numpy()) ** 2).mean() ** 0.5
print(f"\nu1 rating RMSE: {rmse:.3f}")
