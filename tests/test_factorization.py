"""Factorization terms beside the MLP, weight decay by parameter family, clipped regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.inputs import TensorDictDataset
from sklearn_mtl.modules import FactorizationTerms, InteractionHistory
from sklearn_mtl.tasks import RegressionTask

IDS = dict(user_col="user_id", item_col="item_id")


@pytest.fixture(scope="module")
def log():
    return make_recommendation_tasks(n_samples=1500, random_state=0)


def _model(**params) -> MultiTaskRecommender:
    defaults = dict(max_epochs=2, random_state=0, factorization_terms=True, **IDS)
    return MultiTaskRecommender(**{**defaults, **params})


def test_terms_add_biases_and_each_tasks_scaled_dot_product():
    terms = FactorizationTerms(
        copy_width=7, user_slices=[(0, 2)], item_slices=[(4, 2)], bias_slices=[(2, 2)],
        n_outputs=[1, 1],
    )  # fmt: skip
    with torch.no_grad():
        terms.dot_scale.weight.copy_(torch.tensor([1.0, -2.0]))
    x = torch.tensor([[1.0, 2.0, 0.5, 0.25, 3.0, 4.0, 9.0]])
    features, (first, second) = terms(x)
    dot = 1 * 3 + 2 * 4
    assert first.item() == pytest.approx(0.5 + dot)
    assert second.item() == pytest.approx(0.25 - 2 * dot)
    # The architecture reads everything but the biases, then p * q.
    assert features[0].tolist() == [1.0, 2.0, 3.0, 4.0, 9.0, 3.0, 8.0]


def test_terms_need_both_sides():
    with pytest.raises(ValueError, match="both sides"):
        FactorizationTerms(4, [], [(0, 2)], [], [1])


@pytest.mark.parametrize("architecture", ["shared_bottom", "mmoe", "ple", "single", "esmm"])
def test_every_architecture_trains_with_the_terms_and_round_trips(log, tmp_path, architecture):
    X, y = log
    extra = {"esmm_chain": ["click", "like"]} if architecture == "esmm" else {}
    model = _model(architecture=architecture, interaction_history=True, **extra).fit(X, y)
    network = model.net_.module_
    assert network.factorization is not None
    assert np.isfinite(model.predict(X.head(20)).to_numpy(dtype=float)).all()
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.predict(X.head(50)), model.predict(X.head(50)))


def test_the_terms_start_the_model_as_a_factorization(log):
    X, y = log
    # At a vanishing learning rate the weights stay as built: towers at zero.
    model = _model(max_epochs=1, lr=1e-12).fit(X, y)
    network = model.net_.module_.eval()
    assert all(float(tower.head.weight.detach().abs().max()) < 1e-9 for tower in network.towers)
    batch = TensorDictDataset(model._features(X.head(5)))[0:5][0]
    with torch.no_grad():
        embedded = network.embed(**batch)
        _, linear = network.factorization(embedded)
        for output, term in zip(network.head(embedded), linear, strict=True):
            torch.testing.assert_close(output, term[:, 0], atol=1e-6, rtol=0)


def test_no_terms_without_ids(log):
    X, y = log
    model = MultiTaskRecommender(max_epochs=1, factorization_terms=True, random_state=0)
    model.fit(X.drop(columns=["user_id", "item_id"]), y)
    assert model.net_.module_.factorization is None


def test_terms_work_with_forget_explain_and_recommend(log):
    X, y = log
    model = _model(interaction_history=True).fit(X, y)
    user = X["user_id"].iloc[0]
    reasons = model.explain([user], [X["item_id"].iloc[1]], rank_by="click")
    feature = reasons[reasons["reason_kind"] == "feature"]
    # Integrated Gradients stay complete with the biases inside each column's piece.
    assert np.abs(feature["approximation_error"]).max() < 0.05
    assert len(model.recommend([user], k=3)) == 3
    model.forget(users=[user])
    assert len(model.recommend([X["user_id"].iloc[1]], k=2)) == 2


def test_embedding_decay_groups_and_shrinks_rare_rows(log):
    X, y = log
    model = _model(embedding_decay=100.0, weight_decay=1e-4).fit(X, y)
    groups = model.net_.optimizer_.param_groups
    decoupled = [g for g in groups if g.get("decoupled_weight_decay")]
    assert decoupled and all(g["weight_decay"] == 100.0 for g in decoupled)
    names = dict(model.net_.module_.named_parameters())
    by_id = {id(p): n for n, p in names.items()}
    for group in groups:
        for parameter in group["params"]:
            name = by_id.get(id(parameter), "")
            if "biases" in name or name.startswith("factorization"):
                assert group["weight_decay"] == 0.0, name
            if ".embeddings." in name and "biases" not in name:
                assert group.get("decoupled_weight_decay"), name
    plain = _model().fit(X, y)
    table = "embeddings.0.embeddings.{}.weight"
    position = model.schema_.categorical_columns_.index("item_id")
    decayed = model.net_.module_.state_dict()[table.format(position)].norm()
    undecayed = plain.net_.module_.state_dict()[table.format(position)].norm()
    assert decayed < 0.5 * undecayed


def test_sqrt_pooling_divides_by_the_root_of_the_history_length():
    history = InteractionHistory(
        np.array([1, 1, 1, 1]), np.array([1, 2, 3, 4]), 2, 5, dim=3,
        user_position=0, item_position=1, pooling="sqrt",
    ).eval()  # fmt: skip
    codes = torch.tensor([[1, 2]])
    out = history(codes, torch.tensor([0.0]))
    expected = history.item_vectors.weight[1:5].sum(dim=0) / 2.0
    torch.testing.assert_close(out[0, :3], expected)


def test_regression_predictions_stay_in_the_training_range(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=400)})
    y = pd.DataFrame({"score": np.clip(3 + 2 * X["x"], 1, 5)})
    wide = pd.DataFrame({"x": [-10.0, 0.0, 10.0]})
    model = MultiTaskRecommender(max_epochs=20, lr=1e-2, random_state=0).fit(X, y)
    predicted = model.predict(wide)["score"]
    assert predicted.min() >= 1.0 and predicted.max() <= 5.0
    assert predicted.iloc[2] == 5.0
    free = MultiTaskRecommender(
        tasks={"score": RegressionTask(clip=False)}, max_epochs=20, lr=1e-2, random_state=0
    ).fit(X, y)
    assert free.predict(wide)["score"].iloc[2] > 5.0
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "model"))
    assert loaded.tasks_["score"].max_ == 5.0
    pd.testing.assert_frame_equal(loaded.predict(wide), model.predict(wide))


def test_a_sigmoid_pooled_history_stays_out_of_the_factors():
    # sigmoid(sum) is 0.5 for an empty history: added to the factors it would
    # put a constant into every dot product.
    X, y = make_recommendation_tasks(n_users=20, n_items=15, n_samples=400, random_state=0)
    sides = {}
    for pooling in ("sqrt", "sigmoid_sum"):
        model = MultiTaskRecommender(
            user_col="user_id", item_col="item_id", interaction_history=True,
            history_pooling=pooling, max_epochs=1, random_state=0,
        ).fit(X, y)  # fmt: skip
        terms = model.net_.module_.factorization
        sides[pooling] = (len(terms.user_slices), len(terms.item_slices))
    assert sides["sqrt"] == (sides["sigmoid_sum"][0] + 1, sides["sigmoid_sum"][1] + 1)


@pytest.mark.parametrize(("n_samples", "stops"), [(2_000, False), (12_000, True)])
def test_early_stopping_auto_stops_on_large_fits_only(n_samples, stops):
    X, y = make_recommendation_tasks(n_users=60, n_items=40, n_samples=n_samples,
                                     random_state=0)  # fmt: skip
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=2,
                                 random_state=0).fit(X, y)  # fmt: skip
    assert model.early_stopping_ is stops
    assert ("valid_loss" in model.history_frame().columns) is stops
    # One epoch per call has no epoch to choose: partial_fit never holds rows out.
    first = MultiTaskRecommender(user_col="user_id", item_col="item_id", random_state=0)
    assert first.partial_fit(X, y).early_stopping_ is False


def test_early_stopping_decided_at_fit_survives_save_and_load(tmp_path):
    X, y = make_recommendation_tasks(n_users=60, n_items=40, n_samples=12_000, random_state=0)
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=2,
                                 random_state=0).fit(X, y)  # fmt: skip
    model.save(tmp_path / "m")
    loaded = MultiTaskRecommender.load(tmp_path / "m")
    assert loaded.early_stopping == "auto" and loaded.early_stopping_ is True
    assert "early_stopping" in dict(loaded.net_.callbacks_)


@pytest.mark.parametrize(("batch_size", "n_samples", "in_force"), [
    ("auto", 2_000, 256),
    ("auto", 21_000, 1024),  # an epoch still makes 20 steps of 1024 rows
    (500, 21_000, 500),
])  # fmt: skip
def test_batch_size_auto_grows_with_the_rows(batch_size, n_samples, in_force):
    X, y = make_recommendation_tasks(n_users=60, n_items=40, n_samples=n_samples,
                                     random_state=0)  # fmt: skip
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=1, batch_size=batch_size,
        early_stopping=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert model.batch_size == batch_size  # the parameter stays as given
    assert model.batch_size_ == in_force
    assert len(model.net_.history[-1]["batches"]) == -(-n_samples // in_force)


def test_batch_size_decided_at_fit_survives_save_and_load(tmp_path):
    X, y = make_recommendation_tasks(n_users=60, n_items=40, n_samples=21_000, random_state=0)
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=1,
                                 random_state=0).fit(X, y)  # fmt: skip
    model.save(tmp_path / "m")
    loaded = MultiTaskRecommender.load(tmp_path / "m")
    assert loaded.batch_size == "auto" and loaded.batch_size_ == 1024
    assert loaded.net_.batch_size == 1024
    # partial_fit keeps the first fit's batch size, whatever the new rows.
    assert loaded.partial_fit(X.head(500), y.head(500)).batch_size_ == 1024


@pytest.mark.parametrize(("lr", "history", "in_force"), [
    ("auto", True, 1e-3),
    ("auto", False, 2e-3),
    (5e-3, True, 5e-3),
])  # fmt: skip
def test_lr_auto_is_lower_with_history(log, tmp_path, lr, history, in_force):
    X, y = log
    model = _model(max_epochs=1, lr=lr, interaction_history=history).fit(X, y)
    assert model.lr == lr  # the parameter stays as given
    assert [g["lr"] for g in model.net_.optimizer_.param_groups] == [in_force] * len(
        model.net_.optimizer_.param_groups
    )
    model.save(tmp_path / "m")
    loaded = MultiTaskRecommender.load(tmp_path / "m").partial_fit(X, y)
    assert {g["lr"] for g in loaded.net_.optimizer_.param_groups} == {in_force}
