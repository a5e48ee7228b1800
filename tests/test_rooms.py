"""Unit tests of the rooms the estimator drives, each on its own, without the estimator.

FeatureSchema (column roles and codes), Catalog (users, items, interactions),
BatchSlicer and HoldoutSplit (skorch's iterator and train_split) and
MultiTaskNet (the skorch net with its default callbacks).
"""

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl.builder import NetworkSpec, build_net
from sklearn_mtl.catalog import Catalog, interaction_rows
from sklearn_mtl.inputs import CATEGORICAL, NUMERIC, TEXT, TableLookup, TensorDictDataset
from sklearn_mtl.schema import UNSEEN_CODE, FeatureSchema
from sklearn_mtl.tasks import BinaryTask, RegressionTask
from sklearn_mtl.training import BatchSlicer, HoldoutSplit, MultiTaskNet

# ----------------------------------------------------------------- FeatureSchema


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "user": ["a", "b", "a", "c"],
            "item": [10, 20, 20, 30],
            "age": [20.0, 30.0, 20.0, 50.0],
            "title": ["x", "y", "y", "z"],
            "liked": [True, False, True, True],
        }
    )


def test_schema_roles_from_dtype_with_forced_ids_and_text(frame):
    schema = FeatureSchema(always_categorical=["item"], text_features=["title"]).fit(frame)
    assert schema.categorical_columns_ == ["user", "item", "liked"]
    assert schema.numeric_columns_ == ["age"]
    assert schema.text_columns_ == ["title"]
    assert schema.cardinalities_ == [4, 4, 3]  # vocabulary + the unseen code


def test_schema_codes_start_at_one_in_order_of_appearance_and_zero_is_unseen(frame):
    schema = FeatureSchema(always_categorical=["item"], text_features=["title"]).fit(frame)
    new = frame.assign(user=["c", "zed", None, "a"])
    codes = schema.transform(new)[CATEGORICAL]
    assert codes[:, 0].tolist() == [3, UNSEEN_CODE, UNSEEN_CODE, 1]


def test_schema_standardizes_with_training_statistics(frame):
    schema = FeatureSchema(always_categorical=["item"], text_features=["title"]).fit(frame)
    numeric = schema.transform(frame)[NUMERIC]
    np.testing.assert_allclose(numeric.mean(), 0.0, atol=1e-6)
    np.testing.assert_allclose(numeric.std(), 1.0, atol=1e-6)
    assert numeric.dtype == np.float32


def test_schema_extend_appends_codes_and_keeps_the_old_ones(frame):
    schema = FeatureSchema(always_categorical=["item"], text_features=["title"]).fit(frame)
    before = schema.transform(frame)[CATEGORICAL]
    added = schema.extend(frame.assign(user=["d", "a", "e", "d"]))
    assert added == 2
    assert schema.encode_categorical("user", pd.Series(["d", "e"])).tolist() == [4, 5]
    np.testing.assert_array_equal(schema.transform(frame)[CATEGORICAL], before)


def test_schema_refuses_non_finite_numbers_by_column(frame):
    schema = FeatureSchema(always_categorical=["item"], text_features=["title"]).fit(frame)
    with pytest.raises(ValueError, match="Column 'age' holds NaN"):
        schema.transform(frame.assign(age=[1.0, np.nan, 2.0, 3.0]))


# ------------------------------------------------------------------------ Catalog


@pytest.fixture
def catalog_and_schema(frame):
    X = frame.drop(columns=["title", "liked"])
    schema = FeatureSchema(always_categorical=["user", "item"]).fit(X)
    return Catalog("user", "item").fit(X, schema, np.ones(len(X), dtype=bool)), schema, X


def test_catalog_infers_who_each_column_describes(catalog_and_schema):
    catalog, _, _ = catalog_and_schema
    assert catalog.user_features_ == ["age"] and catalog.item_features_ == []
    assert catalog.users_.loc["c", "age"] == 50.0


def test_catalog_flags_training_interactions(catalog_and_schema):
    catalog, schema, _ = catalog_and_schema
    users = schema.encode_categorical("user", pd.Series(["a", "a", "b", "c"]))
    items = schema.encode_categorical("item", pd.Series([10, 30, 20, 30]))
    assert catalog.in_history(users, items).tolist() == [True, False, True, True]


def test_catalog_assembles_pairs_from_ids(catalog_and_schema):
    catalog, schema, _ = catalog_and_schema
    users = catalog.encode_users(np.array(["c", "nobody"], dtype=object))
    items = catalog.encode_items(np.array([20]))
    inputs = catalog.assemble(users, items, np.array([0, 1]), np.array([0, 0]))
    assert inputs[CATEGORICAL].tolist() == [[3, 2], [UNSEEN_CODE, 2]]
    # The unknown user gets the training mean: 0 once standardized.
    expected_c = schema.standardize("age", pd.Series([50.0]))[0]
    np.testing.assert_allclose(inputs[NUMERIC][:, 0], [expected_c, 0.0], atol=1e-6)


def test_catalog_update_grows_users_and_interactions(catalog_and_schema):
    catalog, schema, _ = catalog_and_schema
    new = pd.DataFrame({"user": ["d"], "item": [10], "age": [35.0]})
    schema.extend(new)
    assert catalog.update(new, schema, np.ones(1, dtype=bool))
    code = schema.encode_categorical("user", pd.Series(["d"]))
    assert catalog.in_history(code, schema.encode_categorical("item", pd.Series([10]))).all()
    assert "d" in catalog.users_.index
    assert not catalog.update(new, schema, np.ones(1, dtype=bool))  # nothing new


def test_interaction_rows_needs_a_binary_task():
    Y = pd.DataFrame({"watched": [1, 0, 1], "rating": [4.0, np.nan, 2.0]})
    tasks = {"watched": BinaryTask("watched").fit(Y["watched"])}
    tasks["rating"] = RegressionTask("rating").fit(Y["rating"])
    assert interaction_rows(tasks, "watched", Y).tolist() == [True, False, True]
    assert interaction_rows(tasks, None, Y).all()
    with pytest.raises(ValueError, match="interaction_task='rating' must name a binary task"):
        interaction_rows(tasks, "rating", Y)


# ------------------------------------------------------------ BatchSlicer, split


@pytest.fixture
def dataset():
    n = 10
    return TensorDictDataset(
        {
            NUMERIC: np.arange(n, dtype=np.float32)[:, None],
            TEXT: TableLookup([np.eye(3, dtype=np.float32)], (np.arange(n) % 3)[:, None]),
        },
        np.arange(n, dtype=np.float32)[:, None],
    )


def _rows(slicer):
    return [batch[NUMERIC][:, 0].tolist() for batch, _ in slicer]


def test_batch_slicer_keeps_the_order_without_shuffle(dataset):
    assert _rows(BatchSlicer(dataset, batch_size=4)) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]


def test_batch_slicer_shuffles_by_seed_and_epoch(dataset):
    def order(epoch, seed=0):
        slicer = BatchSlicer(dataset, batch_size=3, shuffle=True, random_state=seed, epoch=epoch)
        return [row for rows in _rows(slicer) for row in rows]

    assert sorted(order(1)) == list(range(10))  # every row once
    assert order(1) == order(1)  # reproducible: the order depends on (seed, epoch) only
    assert order(1) != order(2) and order(1, seed=0) != order(1, seed=1)


def test_batch_slicer_never_leaves_a_training_batch_of_one_row(dataset):
    slicer = BatchSlicer(dataset, batch_size=3, shuffle=True, random_state=0)
    assert [len(rows) for rows in _rows(slicer)] == [3, 3, 4]
    assert len(slicer) == 3


def test_batches_gather_text_vectors_with_their_rows(dataset):
    for batch, targets in BatchSlicer(dataset, batch_size=4, shuffle=True, random_state=0):
        codes = batch[NUMERIC][:, 0].long() % 3
        torch.testing.assert_close(batch[TEXT], torch.eye(3)[codes])
        torch.testing.assert_close(targets[:, 0], batch[NUMERIC][:, 0])


def test_holdout_split_is_disjoint_complete_and_seeded(dataset):
    train, valid = HoldoutSplit(0.3, random_state=0)(dataset)
    seen = train.features[NUMERIC][:, 0].tolist() + valid.features[NUMERIC][:, 0].tolist()
    assert len(valid) == 3 and sorted(seen) == list(range(10))
    again = HoldoutSplit(0.3, random_state=0)(dataset)[1]
    assert torch.equal(again.features[NUMERIC], valid.features[NUMERIC])
    with pytest.raises(ValueError, match=r"validation_fraction=0\.01 leaves 0 of 10 rows"):
        HoldoutSplit(0.01, random_state=0)(dataset)


# ------------------------------------------------------------------- MultiTaskNet


def _net(validation_fraction=None) -> tuple[MultiTaskNet, TensorDictDataset]:
    torch.manual_seed(0)  # the weights' initialization: not the order tests ran in
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"user": rng.choice(list("abcdef"), 200), "x": rng.normal(size=200)})
    Y = pd.DataFrame({"click": (X["x"] > 0).astype(float), "score": 2 * X["x"] + 1})
    Y.loc[:50, "score"] = np.nan  # rows without a label for one task
    schema = FeatureSchema().fit(X)
    tasks = {"click": BinaryTask("click").fit(Y["click"])}
    tasks["score"] = RegressionTask("score").fit(Y["score"])
    params = dict(
        architecture="shared_bottom", shared_units=(8,), tower_units=(4,), embedding_dim=4,
        dropout=0.0, batch_norm=False, interaction_history=False, loss_weighting="equal",
        task_weights=None, lr=1e-2, weight_decay=0.0, batch_size=32, max_epochs=3,
        validation_fraction=validation_fraction, early_stopping=False, resample_negatives=False,
        lr_schedule="constant", max_grad_norm=None, device="cpu", verbose=0,
        record_task_affinity=False, dp_epsilon=None, factorization_terms=False,
        embedding_decay=0.0, user_col=None,
    )  # fmt: skip
    net = build_net(NetworkSpec(params, schema, tasks, None), seed=0).initialize()
    targets = np.column_stack([task.encode(Y[name]) for name, task in tasks.items()])
    return net, TensorDictDataset(schema.transform(X), targets)


def test_net_logs_each_tasks_loss_and_weight_through_its_default_callbacks():
    net, dataset = _net()
    names = [name for name, _ in net.callbacks_]
    assert {"train_click_loss", "train_score_loss", "loss_weighting", "print_log"} <= set(names)
    assert "task_metrics" not in names  # no validation split, nothing to score
    assert net.callbacks == []  # nothing optional was switched on
    net.partial_fit(dataset, y=None)
    last = net.history[-1]
    assert {"train_click_loss", "train_score_loss", "weight_click", "weight_score"} <= set(last)
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]


def test_net_scores_each_task_on_the_validation_split():
    net, dataset = _net(validation_fraction=0.2)
    net.partial_fit(dataset, y=None)
    last = net.history[-1]
    assert {"valid_click_loss", "valid_score_loss", "valid_click_roc_auc", "valid_score_r2"} <= set(
        last
    )
    assert last["valid_click_roc_auc"] > 0.8


def test_net_stops_on_a_diverged_loss_naming_the_task():
    net, dataset = _net()
    dataset.targets[3, 1] = float("inf")
    with pytest.raises(ValueError, match=r"Training diverged in epoch 1: .*task 'score'"):
        net.partial_fit(dataset, y=None)


def test_net_training_is_reproducible_from_its_seed():
    torch.manual_seed(0)
    first, dataset = _net()
    first.partial_fit(dataset, y=None)
    torch.manual_seed(0)
    second, dataset = _net()
    second.partial_fit(dataset, y=None)
    assert first.history[:, "train_loss"] == second.history[:, "train_loss"]


def test_schema_never_writes_into_the_callers_frame():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 5.0, 9.0]})
    before = X.copy()
    schema = FeatureSchema().fit(X)
    schema.transform(X)
    schema.numeric_values(X)[:] = 0.0
    pd.testing.assert_frame_equal(X, before)
