"""partial_fit and warm_start: continue training, grow the vocabularies."""

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.modules.growth import load_grown_state
from sklearn_mtl.schema import UNSEEN_CODE


@pytest.fixture(scope="module")
def split_log():
    X, y = make_recommendation_tasks(n_users=80, n_items=40, n_samples=4000, random_state=0)
    old = X["user_id"].isin([f"u{i}" for i in range(60)]).to_numpy()
    return (X[old], y[old]), (X[~old], y[~old])


def make_model(**params):
    base = dict(user_col="user_id", item_col="item_id", max_epochs=5, lr=1e-2, random_state=0)
    return MultiTaskRecommender(**{**base, **params})


@pytest.mark.parametrize("history", [False, True])
def test_partial_fit_learns_new_users_and_keeps_old_ones(split_log, history):
    (X_old, y_old), (X_new, y_new) = split_log
    model = make_model(interaction_history=history).fit(X_old, y_old)
    n_users = len(model.schema_.vocabularies_["user_id"])
    codes = model.schema_.encode_categorical("user_id", X_new["user_id"])
    assert (codes == UNSEEN_CODE).all()
    before_old = model.predict_proba(X_old)["click"][:, 1]
    unseen_new = model.predict_proba(X_new)["click"][:, 1]
    weights_before = model.net_.module_.embeddings[0].embeddings[0].weight.detach().clone()

    model.partial_fit(X_new, y_new)

    codes = model.schema_.encode_categorical("user_id", X_new["user_id"])
    assert (codes != UNSEEN_CODE).all()
    assert len(model.schema_.vocabularies_["user_id"]) == n_users + X_new["user_id"].nunique()
    table = model.net_.module_.embeddings[0].embeddings[0].weight
    assert table.shape[0] == weights_before.shape[0] + X_new["user_id"].nunique()
    # New users now have their own embedding rows: their scores move.
    new_scores = model.predict_proba(X_new)["click"][:, 1]
    assert np.abs(new_scores - unseen_new).mean() > 1e-3
    # Old users' scores stay close after one epoch on other users' data.
    after_old = model.predict_proba(X_old)["click"][:, 1]
    assert np.abs(after_old - before_old).mean() < 0.1
    assert model.n_iter_ == 6
    # The catalog knows them: recommend without the cold-start fallback.
    assert set(X_new["user_id"]) <= set(model.catalog_.users_.index)
    seen = model.recommend(X_new["user_id"].iloc[:1].to_numpy(), k=40, exclude_seen=True)
    user = X_new["user_id"].iloc[0]
    assert not set(seen["item_id"]) & set(X_new.loc[X_new["user_id"] == user, "item_id"])


def test_partial_fit_from_scratch_is_one_epoch(split_log):
    (X_old, y_old), _ = split_log
    model = make_model().partial_fit(X_old, y_old)
    assert model.n_iter_ == 1
    model.partial_fit(X_old, y_old)
    assert model.n_iter_ == 2 and len(model.net_.history) == 2


def test_warm_start_continues_and_cold_fit_restarts(split_log):
    (X_old, y_old), (X_new, y_new) = split_log
    model = make_model(max_epochs=2, warm_start=True).fit(X_old, y_old)
    first = model.net_.module_
    model.fit(X_new, y_new)
    assert model.n_iter_ == 4 and model.net_.module_ is not first  # grown, not rebuilt
    model.set_params(warm_start=False).fit(X_old, y_old)
    assert model.n_iter_ == 2


def test_partial_fit_without_new_ids_keeps_the_optimizer(split_log):
    (X_old, y_old), _ = split_log
    model = make_model(max_epochs=1).fit(X_old, y_old)
    optimizer = model.net_.optimizer_
    model.partial_fit(X_old, y_old)
    assert model.net_.optimizer_ is optimizer


def test_partial_fit_refuses_what_the_first_fit_did_not_know(split_log):
    (X_old, y_old), _ = split_log
    model = make_model(max_epochs=1).fit(X_old, y_old)
    with pytest.raises(ValueError, match="tasks names"):
        model.partial_fit(X_old, y_old.drop(columns="rating"))
    with pytest.raises(ValueError, match="feature names"):
        model.partial_fit(X_old.drop(columns="age"), y_old)
    y_bad = y_old.assign(click=y_old["click"].replace({1: 7}))
    with pytest.raises(ValueError, match="Task 'click' got labels not seen in fit"):
        model.partial_fit(X_old, y_bad)


def test_load_grown_state_keeps_rows_and_refuses_other_changes():
    import torch
    from torch import nn

    old = nn.Embedding(3, 2)
    new = nn.Embedding(5, 2)
    assert load_grown_state(new, old.state_dict()) == ["weight"]
    torch.testing.assert_close(new.weight[:3], old.weight)
    with pytest.raises(ValueError, match="changed shape"):
        load_grown_state(nn.Embedding(5, 3), old.state_dict())


def test_saved_model_continues_training(split_log, tmp_path):
    (X_old, y_old), (X_new, y_new) = split_log
    model = make_model(max_epochs=1, interaction_history=True).fit(X_old, y_old)
    loaded = MultiTaskRecommender.load(model.save(tmp_path))
    loaded.partial_fit(X_new, y_new)
    assert loaded.n_iter_ == 2
    assert isinstance(loaded.predict(X_new), pd.DataFrame)
