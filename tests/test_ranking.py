"""Ranking metrics against hand-computed cases, the ranking scorer and leave-one-out."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.metrics import (
    evaluate_leave_one_out,
    hit_rate_at_k,
    leave_one_out_split,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    ranking_scorer,
    recall_at_k,
)

# Two users, five candidates. User 0 ranks relevant items at positions 2 and 4,
# user 1 ranks its single relevant item at position 1.
Y_TRUE = np.array([[0, 1, 0, 1, 0], [1, 0, 0, 0, 0]])
Y_SCORE = np.array([[0.9, 0.8, 0.7, 0.6, 0.5], [0.9, 0.1, 0.2, 0.3, 0.4]])


def test_hand_computed_cases():
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=1) == 0.5
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=2) == 1.0
    assert precision_at_k(Y_TRUE, Y_SCORE, k=4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert recall_at_k(Y_TRUE, Y_SCORE, k=2) == pytest.approx((1 / 2 + 1) / 2)
    user0 = (1 / np.log2(3) + 1 / np.log2(5)) / (1 + 1 / np.log2(3))
    assert ndcg_at_k(Y_TRUE, Y_SCORE, k=5) == pytest.approx((user0 + 1) / 2)
    assert map_at_k(Y_TRUE, Y_SCORE, k=5) == pytest.approx(((1 / 2 + 2 / 4) / 2 + 1) / 2)
    assert mrr(Y_TRUE, Y_SCORE) == pytest.approx((1 / 2 + 1) / 2)
    assert mrr(Y_TRUE, Y_SCORE, k=1) == pytest.approx(0.5)


def test_ndcg_agrees_with_scikit_learn_on_graded_relevance():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=(20, 15))
    y_score = rng.normal(size=(20, 15))
    for k in (1, 5, 15):
        assert ndcg_at_k(y_true, y_score, k) == pytest.approx(ndcg_score(y_true, y_score, k=k))


def test_queries_without_relevant_items_are_left_out_of_ndcg_recall_and_map():
    y_true = np.array([[0, 0, 0], [0, 1, 0]])
    y_score = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    assert ndcg_at_k(y_true, y_score, 3) == pytest.approx(1 / np.log2(3))
    assert recall_at_k(y_true, y_score, 1) == 0.0
    assert hit_rate_at_k(y_true, y_score, 3) == 0.5  # counts every query


@pytest.mark.parametrize("function", [hit_rate_at_k, ndcg_at_k, precision_at_k, map_at_k])
def test_metric_errors(function):
    with pytest.raises(ValueError, match="same 2-D shape"):
        function([[1, 0]], [[0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match="k must be a positive integer; got 0"):
        function([[1, 0]], [[0.1, 0.2]], k=0)
    with pytest.raises(ValueError, match="must not hold NaN"):
        function([[1, 0]], [[np.nan, 0.2]])


@pytest.fixture(scope="module")
def impressions():
    X, y = make_recommendation_tasks(n_users=50, n_items=40, n_samples=4000, random_state=0)
    return X, y


def test_ranking_scorer_groups_rows_by_user(impressions):
    X, y = impressions
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=3, lr=1e-2, random_state=0
    ).fit(X, y)
    scorer = ranking_scorer("ndcg", task="click", k=5)
    value = scorer(model, X, y)
    # By hand: each user's rows ranked by predicted click probability.
    proba = model.predict_proba(X)["click"][:, 1]
    frame = pd.DataFrame({"user": X["user_id"], "p": proba, "y": y["click"]})
    by_user = []
    for _, group in frame.groupby("user"):
        by_user.append(ndcg_at_k(group["y"].to_numpy()[None], group["p"].to_numpy()[None], 5))
    expected = np.nanmean(by_user)
    assert value == pytest.approx(expected)
    assert ranking_scorer("hit_rate", task="like", rank_by="click")(model, X, y) > 0.5
    with pytest.raises(ValueError, match="Unknown ranking metric 'auc'"):
        ranking_scorer("auc", task="click")


def test_leave_one_out_split_holds_out_each_users_latest():
    log = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 3],
            "item_id": [10, 11, 12, 10, 13, 10],
            "timestamp": [5, 9, 7, 1, 2, 4],
        }
    )
    train, test = leave_one_out_split(log)
    assert sorted(zip(test["user_id"], test["item_id"], strict=True)) == [(1, 11), (2, 13)]
    assert len(train) == 4 and 3 in set(train["user_id"])  # one interaction: kept in train


def test_evaluate_leave_one_out_with_a_perfect_and_a_useless_scorer():
    rng = np.random.default_rng(0)
    rows = [(u, i, t) for u in range(60) for t, i in enumerate(rng.choice(2000, 5, replace=False))]
    log = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    train, test = leave_one_out_split(log)
    held_out = set(zip(test["user_id"], test["item_id"], strict=True))

    def oracle(users, items):
        return np.array([(u, i) in held_out for u, i in zip(users, items, strict=True)], float)

    perfect = evaluate_leave_one_out(oracle, train, test, n_negatives=99, random_state=0)
    assert perfect["hit_rate@10"] == 1.0 and perfect["ndcg@10"] == 1.0
    constant = evaluate_leave_one_out(
        lambda u, i: np.zeros(len(u)), train, test, n_negatives=99, random_state=0
    )
    # All tied: the shuffled order puts the positive in the top 10 one time in ten.
    assert 0.0 <= constant["hit_rate@10"] <= 0.3
    assert perfect["n_users"] + perfect["n_skipped"] == 60


def test_evaluate_leave_one_out_with_the_estimator():
    X, y = make_recommendation_tasks(n_users=50, n_items=200, n_samples=2000, random_state=0)
    log = pd.concat([X, y], axis=1).drop_duplicates(["user_id", "item_id"])
    log = log.assign(timestamp=np.arange(len(log)))
    train, test = leave_one_out_split(log)
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=2, random_state=0
    )
    model.fit(train[X.columns], train[["click", "like", "rating"]])
    result = evaluate_leave_one_out(model, train, test, n_negatives=20, k=5, random_state=0)
    assert set(result) == {"hit_rate@5", "ndcg@5", "n_users", "n_skipped"}
    assert 0 <= result["ndcg@5"] <= result["hit_rate@5"] <= 1
