"""explain: history reasons (exact leave-one-out) and feature reasons (Integrated Gradients)."""

import numpy as np
import pytest

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_clustered_log

COLUMNS = ["user_id", "item_id", "task", "reason_kind", "reason", "contribution",
           "approximation_error"]  # fmt: skip


@pytest.fixture(scope="module")
def clustered():
    log = make_clustered_log(random_state=0)
    frame = log.frame
    model = MultiTaskRecommender(
        {"watched": "binary"}, user_col="user_id", item_col="item_id",
        interaction_task="watched", interaction_history=True, max_epochs=15, random_state=0,
    ).fit(frame[["user_id", "item_id"]], frame[["watched"]])  # fmt: skip
    users = frame["user_id"].unique()[:60]
    return log, model, model.recommend(users, k=3)


def _top_history_reasons(log, model, recommended):
    """Every history reason, each pair's top one, and the share of tops in the item's cluster."""
    every = model.explain(recommended["user_id"], recommended["item_id"], n_reasons=10**6)
    history = every[(every.task == "score") & (every.reason_kind == "history")]
    top = history.groupby(["user_id", "item_id"], sort=False).head(1)
    in_cluster = np.mean([
        log.item_clusters[r.reason] == log.item_clusters[r.item_id] for r in top.itertuples()
    ])  # fmt: skip
    return history, top, in_cluster


def test_reasons_are_tidy_and_strongest_first(clustered):
    _, model, recommended = clustered
    table = model.explain(recommended["user_id"], recommended["item_id"], n_reasons=2)
    assert list(table.columns) == COLUMNS
    assert set(table["task"]) == {"watched", "score"}
    assert set(table["reason_kind"]) == {"history", "feature"}
    sizes = table.groupby(["user_id", "item_id", "task", "reason_kind"]).size()
    assert sizes.max() == 2
    for _, group in table.groupby(["user_id", "item_id", "task", "reason_kind"]):
        assert group["contribution"].is_monotonic_decreasing
    assert table.loc[table.reason_kind == "history", "approximation_error"].isna().all()


def test_the_top_history_reason_is_faithful(clustered):
    log, model, recommended = clustered
    history, top, in_cluster = _top_history_reasons(log, model, recommended)
    # Each user's history is half in each of two clusters: chance is about 0.5.
    assert in_cluster > 0.65
    # Taking out the top reason lowers the score more than taking out a random past item.
    mean_all = history.groupby(["user_id", "item_id"])["contribution"].mean()
    mean_top = top.set_index(["user_id", "item_id"])["contribution"]
    assert (mean_top > mean_all.loc[mean_top.index]).mean() > 0.95


def test_feature_attributions_are_complete(clustered):
    _, model, recommended = clustered
    table = model.explain(recommended["user_id"], recommended["item_id"])
    features = table[table.reason_kind == "feature"]
    scores = model.score_pairs(recommended["user_id"], recommended["item_id"])["score"]
    assert features["approximation_error"].abs().max() < 0.05 * scores.abs().max()


def test_a_model_without_history_gives_feature_reasons_only(data):
    X, y = data
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=2,
                                 random_state=0).fit(X, y)  # fmt: skip
    table = model.explain(
        X["user_id"].head(4), X["item_id"].head(4), rank_by={"click": 1, "like": 1}
    )
    assert set(table["reason_kind"]) == {"feature"}
    assert set(table["task"]) == {"click", "like", "score"}
    assert set(table["reason"]) <= set(X.columns)


def test_bad_requests_are_refused(data, clustered):
    X, y = data
    _, model, recommended = clustered
    with pytest.raises(ValueError, match="n_reasons"):
        model.explain(recommended["user_id"], recommended["item_id"], n_reasons=0)
    with pytest.raises(ValueError, match="not seen in fit"):
        model.explain(["u0"], ["no such item"])
    plain = MultiTaskRecommender(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="user_col and item_col"):
        plain.explain(X["user_id"].head(2), X["item_id"].head(2))


def test_recommend_joins_the_reasons_of_the_ranking_score(clustered):
    _, model, _ = clustered
    top = model.recommend(["u0", "u1"], k=2)
    explained = model.recommend(["u0", "u1"], k=2, explain=True, n_reasons=2)
    assert {"reason_kind", "reason", "contribution"} <= set(explained.columns)
    assert len(explained) == len(top) * 2 * 2  # two reasons of each of two kinds
    again = explained.drop_duplicates(["user_id", "item_id"])[top.columns].reset_index(drop=True)
    assert again.equals(top)


def test_a_history_reason_is_the_exact_leave_one_out():
    """The user side without item j equals what the network reads for the pair (u, j) itself,
    which leaves the scored pair out of its own history."""
    import torch

    log = make_clustered_log(n_users=40, n_items=36, n_watched=4, n_negatives=8, random_state=0)
    frame = log.frame
    model = MultiTaskRecommender(
        {"watched": "binary"}, user_col="user_id", item_col="item_id", interaction_task="watched",
        interaction_history=True, history_pooling="mean", max_epochs=1, random_state=0,
    ).fit(frame[["user_id", "item_id"]], frame[["watched"]])  # fmt: skip
    history = model.net_.module_.embeddings[0].history
    watched = frame[frame.watched == 1].head(20)
    codes = model.schema_.transform(watched[["user_id", "item_id"]])["categorical"]
    categorical = torch.as_tensor(codes)
    items = categorical[:, history.item_position]
    history.eval()
    with torch.no_grad():
        left_out = history.without_user_item(categorical, torch.zeros(len(codes)), items)
        own_pair = history(categorical, torch.ones(len(codes)))
    half = history.output_dim // 2
    torch.testing.assert_close(left_out[:, :half], own_pair[:, :half])


@pytest.mark.parametrize("architecture", ["shared_bottom", "mmoe", "ple", "esmm", "single"])
def test_every_architecture_explains(data, architecture):
    X, y = data
    extra = {"esmm_chain": ["click", "like"]} if architecture == "esmm" else {}
    model = MultiTaskRecommender(
        architecture=architecture, user_col="user_id", item_col="item_id",
        interaction_task="click", interaction_history=True, max_epochs=1, random_state=0, **extra,
    ).fit(X, y)  # fmt: skip
    table = model.explain(
        X["user_id"].head(3), X["item_id"].head(3), rank_by={"click": 1, "like": 1}
    )
    assert set(table["reason_kind"]) == {"history", "feature"}
    features = table[table.reason_kind == "feature"]
    assert np.isfinite(features["contribution"]).all()
    assert features["approximation_error"].abs().max() < 0.05


@pytest.mark.parametrize(("log_seed", "seed"), [(1, 0), (1, 1), (0, 1)])
def test_the_history_points_the_right_way_after_long_training(log_seed, seed):
    # 30 epochs at lr 3e-3, what a user tries for a higher AUC. Before the
    # factorization terms and the decay of the tables, the ids explained every
    # label, the history carried only what the leave-pair-out leaks, and its
    # top reason lay in the item's cluster for 12-45% of recommendations; at
    # 256 rows a step, embedding_dim=16 and decay 4 it did for log 1, seed 1
    # (0.16), and at history_dropout=0.5 for log 0, seed 1 (0.08).
    log = make_clustered_log(random_state=log_seed)
    frame = log.frame
    model = MultiTaskRecommender(
        {"watched": "binary"}, user_col="user_id", item_col="item_id",
        interaction_task="watched", interaction_history=True, max_epochs=30, lr=3e-3,
        early_stopping=False, random_state=seed,
    ).fit(frame[["user_id", "item_id"]], frame[["watched"]])  # fmt: skip
    recommended = model.recommend(frame["user_id"].unique()[:60], k=3)
    _, _, in_cluster = _top_history_reasons(log, model, recommended)
    assert in_cluster >= 0.75
