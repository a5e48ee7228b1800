"""forget(users, items): forgotten ids are scored as never-seen ids and leave no byte in a save."""

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

FORGOTTEN_USER, FORGOTTEN_ITEM = "user-to-forget", "item-to-forget"


@pytest.fixture(scope="module")
def log():
    X, y = make_recommendation_tasks(n_users=40, n_items=30, n_samples=2000, random_state=1)
    # Distinctive ids, so that searching a file's bytes for them cannot hit another id.
    X = X.replace({"user_id": {"u3": FORGOTTEN_USER}, "item_id": {"i4": FORGOTTEN_ITEM}})
    return X, y


def fitted(X, y, **params):
    defaults = dict(
        user_col="user_id", item_col="item_id", interaction_history=True, max_epochs=2,
        random_state=0,
    )  # fmt: skip
    return MultiTaskRecommender(**{**defaults, **params}).fit(X, y)


def rows_of(X, column, value, stand_in):
    rows = X[X[column] == value]
    return rows, rows.assign(**{column: stand_in})


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(history_pooling="sigmoid_sum", history_products=True, architecture="mmoe"),
        dict(architecture="single", embedding_dim="auto"),
    ],
    ids=["shared_bottom", "mmoe-products", "single-auto"],
)
def test_a_forgotten_user_is_scored_exactly_as_a_never_seen_id(log, params):
    X, y = log
    model = fitted(X, y, **params)
    rows, as_new = rows_of(X, "user_id", FORGOTTEN_USER, "never-seen-user")
    assert not model.predict(rows).equals(model.predict(as_new))  # the test can fail
    assert model.forget(users=[FORGOTTEN_USER]) is model
    pd.testing.assert_frame_equal(model.predict(rows), model.predict(as_new))
    # Both are now users the model never saw: each gets the warning that says so.
    with pytest.warns(UserWarning, match="never seen in fit"):
        top = model.recommend([FORGOTTEN_USER], k=5)
    new = model.recommend(["never-seen-user"], k=5, unknown="ignore")
    pd.testing.assert_frame_equal(
        top.drop(columns="user_id"), new.drop(columns="user_id"), check_exact=True
    )


def test_a_forgotten_item_is_scored_as_a_never_seen_one_and_never_recommended(log):
    X, y = log
    model = fitted(X, y).forget(items=[FORGOTTEN_ITEM])
    rows, as_new = rows_of(X, "item_id", FORGOTTEN_ITEM, "never-seen-item")
    pd.testing.assert_frame_equal(model.predict(rows), model.predict(as_new))
    top = model.recommend(X["user_id"].unique(), k=30, exclude_seen=False)
    assert FORGOTTEN_ITEM not in set(top["item_id"])
    assert len(top["item_id"].unique()) == 29


def test_forgetting_takes_the_user_out_of_every_item_history(log):
    X, y = log
    model = fitted(X, y)
    history = model.net_.module_.embeddings[0].history
    counts_before = history.item_counts.clone()
    n_before = len(model.catalog_.interactions_)
    touched = X.loc[X["user_id"] == FORGOTTEN_USER, "item_id"].unique()
    model.forget(users=[FORGOTTEN_USER])
    history = model.net_.module_.embeddings[0].history
    assert len(model.catalog_.interactions_) == n_before - len(touched)
    # Item codes are unchanged (no item was forgotten): one user fewer in each it touched.
    codes = model.schema_.encode_categorical("item_id", pd.Series(touched))
    np.testing.assert_array_equal(history.item_counts[codes], counts_before[codes] - 1)
    assert FORGOTTEN_USER not in model.catalog_.users_.index


def test_without_history_the_others_predictions_do_not_move(log):
    X, y = log
    model = fitted(X, y, interaction_history=False)
    others = X[(X["user_id"] != FORGOTTEN_USER) & (X["item_id"] != FORGOTTEN_ITEM)]
    before = model.predict(others)
    model.forget(users=[FORGOTTEN_USER], items=[FORGOTTEN_ITEM])
    # Every code after them moved up; their weights moved with them.
    pd.testing.assert_frame_equal(model.predict(others), before)


def test_a_saved_model_holds_no_byte_of_the_forgotten_ids(log, tmp_path):
    X, y = log
    categories = {"user_id": sorted(X["user_id"].unique())}
    model = fitted(X, y, categories=categories)
    folder = model.save(tmp_path / "before")
    token_user, token_item = f'"{FORGOTTEN_USER}"'.encode(), f'"{FORGOTTEN_ITEM}"'.encode()
    assert token_user in (folder / "config.json").read_bytes()  # the search can find them

    model.forget(users=[FORGOTTEN_USER], items=[FORGOTTEN_ITEM])
    folder = model.save(tmp_path / "after")
    for name in ("config.json", "model.safetensors"):
        data = (folder / name).read_bytes()
        assert FORGOTTEN_USER.encode() not in data and FORGOTTEN_ITEM.encode() not in data
        assert token_user not in data and token_item not in data
    assert FORGOTTEN_USER not in model.get_params()["categories"]["user_id"]
    loaded = MultiTaskRecommender.load(folder)
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))


def test_refit_epochs_train_on_the_remaining_rows(log):
    X, y = log
    model = fitted(X, y)
    keep = (X["user_id"] != FORGOTTEN_USER).to_numpy()
    n_iter = model.n_iter_
    model.forget(users=[FORGOTTEN_USER], X=X[keep], y=y[keep], refit_epochs=2)
    assert model.n_iter_ == n_iter + 2
    assert FORGOTTEN_USER not in model.schema_.vocabularies_["user_id"]
    with pytest.raises(ValueError, match=r"X holds \d+ rows of the forgotten ids in column"):
        fitted(X, y).forget(users=[FORGOTTEN_USER], X=X, y=y, refit_epochs=1)


def test_a_private_model_forgets_and_the_refit_spends_budget(log):
    pytest.importorskip("opacus")
    X, y = log
    model = fitted(X, y, interaction_history=False, dp_epsilon=8.0, max_epochs=2)
    spent = model.privacy_spent_[0]
    keep = (X["item_id"] != FORGOTTEN_ITEM).to_numpy()
    with pytest.warns(UserWarning, match="more than dp_epsilon"):
        model.forget(items=[FORGOTTEN_ITEM], X=X[keep], y=y[keep], refit_epochs=1)
    assert model.privacy_spent_[0] > spent


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(users=["nobody"]), r"users holds 1 ids that the model does not know"),
        (dict(items=[FORGOTTEN_ITEM, "nothing"]), r"items holds 1 ids .*'nothing'"),
        (dict(), "forget needs users or items"),
        (dict(users=[FORGOTTEN_USER], refit_epochs=2), "give both or neither"),
        (dict(users=[FORGOTTEN_USER], refit_epochs=-1), "refit_epochs must be"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_forgotten(log, kwargs, message):
    X, y = log
    model = fitted(X, y)
    n_users = len(model.schema_.vocabularies_["user_id"])
    with pytest.raises(ValueError, match=message):
        model.forget(**kwargs)
    assert len(model.schema_.vocabularies_["user_id"]) == n_users
    model.forget(users=[FORGOTTEN_USER])
    with pytest.raises(ValueError, match="already forgotten"):
        model.forget(users=[FORGOTTEN_USER])


def test_forget_needs_a_fitted_recommender(log):
    from sklearn.exceptions import NotFittedError

    X, y = log
    with pytest.raises(NotFittedError):
        MultiTaskRecommender().forget(users=["a"])
    plain = MultiTaskRecommender(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="forget needs a model fitted with user_col"):
        plain.forget(users=["a"])
