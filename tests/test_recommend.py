"""Users and items, interaction history, recommend() and score_pairs()."""

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks, sample_negatives, split_entity_columns
from sklearn_mtl.modules import InteractionHistory


@pytest.fixture(scope="module")
def log():
    X, y = make_recommendation_tasks(n_users=40, n_items=30, n_samples=1200, random_state=3)
    frame = pd.concat([X, y], axis=1)
    # One interaction per (user, item): a log, not impressions.
    return frame.drop_duplicates(["user_id", "item_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def recommender(log):
    X, y = log.drop(columns=["click", "like", "rating"]), log[["click", "like", "rating"]]
    return MultiTaskRecommender(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        max_epochs=3,
        lr=1e-2,
        random_state=0,
    ).fit(X, y)


def test_user_and_item_columns_are_inferred(recommender):
    catalog = recommender.catalog_
    assert catalog.user_features_ == ["age", "gender", "segment"]
    assert catalog.item_features_ == ["item_category", "price"]
    assert catalog.context_features_ == []
    assert catalog.users_.loc["u1", "gender"] in {"F", "M"}


def test_split_entity_columns_finds_interaction_columns(log):
    users, items, context = split_entity_columns(log, "user_id", "item_id")
    assert set(context) == {"click", "like", "rating"}
    assert "age" in users and "price" in items


def test_recommend_returns_top_k_unseen_items_per_user(recommender, log):
    top = recommender.recommend(["u1", "u2", "u3"], k=5)
    assert list(top.columns) == ["user_id", "item_id", "rank", "score", "click", "like", "rating"]
    assert len(top) == 15 and list(top["rank"][:5]) == [1, 2, 3, 4, 5]
    for user, group in top.groupby("user_id"):
        assert group["score"].is_monotonic_decreasing
        seen = set(log.loc[log["user_id"] == user, "item_id"])
        assert not seen & set(group["item_id"])
    # Default ranking: by the first task's positive-class probability.
    np.testing.assert_allclose(top["score"], top["click"])


def test_recommend_scores_equal_predictions_on_the_same_pairs(recommender, log):
    top = recommender.recommend(["u4"], k=3, exclude_seen=False, rank_by="rating")
    user_rows = log[log["user_id"] == "u4"].iloc[:1]
    pairs = pd.DataFrame({"user_id": ["u4"] * 3, "item_id": top["item_id"]})
    rows = pairs.join(recommender.catalog_.users_, on="user_id").join(
        recommender.catalog_.items_, on="item_id"
    )[log.columns.drop(["click", "like", "rating"])]
    predicted = recommender.predict(rows)
    np.testing.assert_allclose(top["rating"], predicted["rating"], rtol=1e-5)
    np.testing.assert_allclose(
        top["click"], recommender.predict_proba(rows)["click"][:, 1], rtol=1e-5
    )
    assert len(user_rows) == 1


def test_rank_by_fuses_task_predictions(recommender):
    top = recommender.recommend(["u5"], k=30, rank_by={"click": 2.0, "like": 1.0})
    np.testing.assert_allclose(top["score"], 2 * top["click"] + top["like"], rtol=1e-6)


def test_candidates_can_be_restricted_and_unknown_users_fall_back(recommender):
    with pytest.warns(UserWarning, match=r"1 of 2 users were never seen in fit .*'brand-new-user'"):
        top = recommender.recommend(["u6", "brand-new-user"], k=2, items=["i1", "i2", "i3"])
    assert set(top["item_id"]) <= {"i1", "i2", "i3"}
    assert (top["user_id"] == "brand-new-user").sum() == 2
    assert np.isfinite(top["score"]).all()


def test_score_pairs(recommender):
    scored = recommender.score_pairs(
        ["u1", "u1", "nobody"], ["i1", "i2", "i1"], rank_by="like", unknown="ignore"
    )
    assert list(scored.columns) == ["user_id", "item_id", "score", "click", "like", "rating"]
    np.testing.assert_allclose(scored["score"], scored["like"])


def test_recommend_all_users_over_all_items_is_batched(recommender, log):
    users = log["user_id"].unique()
    top = recommender.recommend(users, k=10)
    assert top.groupby("user_id").size().max() == 10
    assert set(top["user_id"]) == set(users)


def _toy_history(pooling: str = "mean", products: bool = True) -> InteractionHistory:
    # Two users, three items; interactions (0,1), (0,2), (1,1) in codes.
    history = InteractionHistory(
        np.array([1, 1, 2]),
        np.array([1, 2, 1]),
        n_user_codes=3,
        n_item_codes=3,
        dim=2,
        user_position=0,
        item_position=1,
        pooling=pooling,
        products=products,
    )
    with torch.no_grad():
        history.item_vectors.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        history.user_vectors.weight.copy_(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]))
        if products:
            history.user_factors.weight.copy_(torch.tensor([[0, 0], [1.0, 2.0], [3.0, 4.0]]))
            history.item_factors.weight.copy_(torch.tensor([[0, 0], [-1.0, 1.0], [2.0, 0.5]]))
    return history


TOY_PAIRS = torch.tensor([[1, 1], [1, 1], [2, 2], [0, 1]])
TOY_FLAGS = torch.tensor([1.0, 0.0, 0.0, 0.0])


def test_history_leaves_the_scored_pair_out():
    out = _toy_history()(TOY_PAIRS, TOY_FLAGS)
    assert out.shape == (4, 8)
    # Training pair (user 1, item 1): the user's history is item 2 alone,
    # the item's history is user 2 alone.
    torch.testing.assert_close(out[0, :4], torch.tensor([0.0, 1.0, 0.0, 10.0]))
    # The same ids, not a training pair: the full means.
    torch.testing.assert_close(out[1, :4], torch.tensor([0.5, 0.5, 5.0, 5.0]))
    # User 2 has seen item 1; item 2 was seen by user 1.
    torch.testing.assert_close(out[2, :4], torch.tensor([1.0, 0.0, 10.0, 0.0]))
    torch.testing.assert_close(out[3, :4], torch.tensor([0.0, 0.0, 5.0, 5.0]))  # unseen user


def test_history_products_are_factor_times_pooled_vector():
    out = _toy_history()(TOY_PAIRS, TOY_FLAGS)
    # Row 1: user 1 (factor [1, 2]) and item 1 (factor [-1, 1]), full means.
    torch.testing.assert_close(out[1, 4:6], torch.tensor([-1.0, 1.0]) * torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(out[1, 6:], torch.tensor([1.0, 2.0]) * torch.tensor([5.0, 5.0]))


def test_sigmoid_sum_pooling_keeps_the_history_length():
    out = _toy_history("sigmoid_sum")(TOY_PAIRS, TOY_FLAGS)
    # Training pair (1, 1): sums without the pair, through a sigmoid.
    torch.testing.assert_close(out[0, :4], torch.sigmoid(torch.tensor([0.0, 1.0, 0.0, 10.0])))
    # Not a training pair: the whole sums (not the means).
    torch.testing.assert_close(out[1, :4], torch.sigmoid(torch.tensor([1.0, 1.0, 10.0, 10.0])))
    # The pooled model used for export computes the same.
    pooled = _toy_history("sigmoid_sum").pooled()
    torch.testing.assert_close(pooled(TOY_PAIRS, TOY_FLAGS), out)


def test_history_without_products_is_the_two_pooled_vectors():
    with_products = _toy_history()(TOY_PAIRS, TOY_FLAGS)
    plain = _toy_history(products=False)
    assert plain.output_dim == 4
    torch.testing.assert_close(plain(TOY_PAIRS, TOY_FLAGS), with_products[:, :4])
    torch.testing.assert_close(plain.pooled()(TOY_PAIRS, TOY_FLAGS), with_products[:, :4])


def test_unknown_history_pooling_is_rejected():
    with pytest.raises(ValueError, match="pooling"):
        _toy_history("median")


def test_history_flags_mark_training_pairs(recommender, log):
    X = log.drop(columns=["click", "like", "rating"])
    features = recommender._features(X.head(5))
    assert features["in_history"].tolist() == [1.0] * 5
    new = X.head(2).assign(item_id=["i-never", "i-never"])
    assert recommender._features(new)["in_history"].tolist() == [0.0, 0.0]


def test_interaction_task_defines_what_was_seen(log):
    impressions = sample_negatives(
        log[["user_id", "item_id", "age", "price", "rating"]], n_negatives=2, random_state=0
    )
    X = impressions[["user_id", "item_id", "age", "price"]]
    model = MultiTaskRecommender(
        {"watched": "binary"},
        user_col="user_id",
        item_col="item_id",
        interaction_task="watched",
        interaction_history=True,
        max_epochs=1,
        random_state=0,
    ).fit(X, impressions[["watched"]])
    n_positive = int(impressions["watched"].sum())
    assert len(model.catalog_.interactions_) == n_positive  # negatives are not interactions
    top = model.recommend(["u1"], k=50)
    negatives = impressions.query("user_id == 'u1' and watched == 0")["item_id"]
    assert set(negatives) & set(top["item_id"])  # a sampled negative may be recommended


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.recommend(["u1"], k=0), "k must be a positive integer; got 0"),
        (lambda m: m.recommend(["u1"], rank_by="ctr"), r"rank_by names unknown tasks \['ctr'\]"),
        (lambda m: m.recommend(["u1"], rank_by={"click": -1.0}), "must be non-negative"),
        (
            lambda m: m.recommend(["u1"], items=["i1", "i-unknown"]),
            r"items holds ids not seen in fit: \['i-unknown'\]",
        ),
        (lambda m: m.score_pairs(["u1"], ["i1", "i2"]), "same length"),
    ],
)
def test_recommend_errors(recommender, call, message):
    with pytest.raises(ValueError, match=message):
        call(recommender)


def test_recommend_needs_id_columns(fitted):
    with pytest.raises(ValueError, match="recommend needs a model fitted with user_col"):
        fitted.recommend(["u1"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"interaction_history": True}, "interaction_history=True needs user_col and item_col"),
        ({"user_col": "user_id"}, "user_col and item_col must be given together"),
        ({"user_col": "uid", "item_col": "item_id"}, "user_col='uid' is not a column of X"),
        (
            {"user_col": "user_id", "item_col": "item_id", "interaction_task": "rating"},
            "interaction_task='rating' must name a binary task",
        ),
        (
            {"user_col": "user_id", "item_col": "item_id", "user_features": ["zip"]},
            r"user_features names columns that are not in X: \['zip'\]",
        ),
    ],
)
def test_id_parameter_errors(data, params, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        MultiTaskRecommender(max_epochs=1, **params).fit(X, y)


def test_context_columns_block_recommend_with_a_clear_message(log):
    X = log.drop(columns=["click", "like", "rating"]).assign(
        hour=np.arange(len(log)) % 24  # varies within users and items
    )
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=1, random_state=0
    ).fit(X, log[["click"]])
    with pytest.raises(ValueError, match=r"Columns \['hour'\] describe neither the user nor"):
        model.recommend(["u1"])


def test_sample_negatives(log):
    impressions = sample_negatives(log, n_negatives=3, random_state=0)
    assert len(impressions) == 4 * len(log)
    negatives = impressions[impressions["watched"] == 0]
    assert negatives[["click", "like", "rating"]].isna().all().all()  # interaction columns
    assert negatives[["age", "gender", "price"]].notna().all().all()  # user and item columns
    pairs = set(zip(log["user_id"], log["item_id"], strict=True))
    assert not pairs & set(zip(negatives["user_id"], negatives["item_id"], strict=True))
    again = sample_negatives(log, n_negatives=3, random_state=0)
    pd.testing.assert_frame_equal(impressions, again)
    with pytest.raises(ValueError, match="Column 'uid' is not in log"):
        sample_negatives(log, user_col="uid")


def test_refit_without_ids_forgets_the_users_and_items(log):
    X, y = log.drop(columns=["click", "like", "rating"]), log[["click"]]
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=1)
    model.fit(X, y).set_params(user_col=None, item_col=None).fit(X, y)
    assert not hasattr(model, "catalog_")
    with pytest.raises(ValueError, match="recommend needs a model fitted with user_col"):
        model.recommend(["u1"])
