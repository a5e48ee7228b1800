import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.inputs import TensorDictDataset


def test_predict_returns_one_column_per_task_with_the_index_of_x(data, fitted):
    X, _ = data
    X_new = X.iloc[10:20]
    pred = fitted.predict(X_new)
    assert isinstance(pred, pd.DataFrame)
    assert list(pred.columns) == ["click", "like", "rating"]
    assert pred.index.equals(X_new.index)
    assert set(pred["click"]) <= {0, 1}
    assert pred["rating"].dtype == np.float64


def test_tasks_are_inferred_from_y(fitted):
    assert {name: t.task_type for name, t in fitted.tasks_.items()} == {
        "click": "binary",
        "like": "binary",
        "rating": "regression",
    }
    assert set(fitted.classes_) == {"click", "like"}


def test_predict_proba_is_a_dict_of_probabilities(data, fitted):
    X, _ = data
    proba = fitted.predict_proba(X.head(7))
    assert set(proba) == {"click", "like"}
    for p in proba.values():
        assert p.shape == (7, 2)
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    labels = fitted.predict(X.head(7))["like"].to_numpy()
    np.testing.assert_array_equal(labels, fitted.classes_["like"][proba["like"].argmax(1)])


def test_regression_predictions_are_on_the_scale_of_the_target(data, fitted):
    X, y = data
    pred = fitted.predict(X)["rating"]
    assert abs(pred.mean() - y["rating"].mean()) < 0.3
    assert fitted.tasks_["rating"].scale_ == pytest.approx(y["rating"].std(ddof=0))


def test_score_is_the_mean_of_the_task_defaults(data, fitted):
    X, y = data
    per_task = fitted.score_tasks(X, y)
    assert fitted.score(X, y) == pytest.approx(np.mean(list(per_task.values())))
    # Trained three epochs on these rows: better than chance on every task.
    assert per_task["click"] > 0.55 and per_task["like"] > 0.55 and per_task["rating"] > 0


def test_string_and_bool_labels_and_multiclass(data):
    X, y = data
    labels = pd.DataFrame(
        {
            "liked": np.where(y["click"] == 1, "yes", "no"),
            "bucket": pd.cut(
                y["rating"].fillna(3), [0, 2.5, 3.5, 6], labels=["lo", "mid", "hi"]
            ).astype(str),
            "flag": y["click"].astype(bool),
        }
    )
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, labels)
    assert {n: t.task_type for n, t in model.tasks_.items()} == {
        "liked": "binary",
        "bucket": "multiclass",
        "flag": "binary",
    }
    pred = model.predict(X.head(5))
    assert set(pred["liked"]) <= {"yes", "no"}
    assert pred["flag"].dtype == bool
    assert model.predict_proba(X.head(5))["bucket"].shape == (5, 3)
    np.testing.assert_array_equal(model.classes_["bucket"], ["hi", "lo", "mid"])


def test_one_dimensional_target_gives_plain_arrays(data):
    X, y = data
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y["click"].to_numpy())
    assert model.predict(X.head(4)).shape == (4,)
    assert model.predict_proba(X.head(4)).shape == (4, 2)


def test_two_dimensional_array_target_follows_the_tasks_order(data):
    X, y = data
    tasks = {"rating": "regression", "click": "binary"}
    model = MultiTaskRecommender(tasks, max_epochs=1, random_state=0)
    model.fit(X, y[["rating", "click"]].to_numpy())
    pred = model.predict(X.head(3))
    assert pred.shape == (3, 2)
    assert list(model.tasks_) == ["rating", "click"]
    assert set(pred[:, 1]) <= {0.0, 1.0}


def test_same_random_state_gives_identical_predictions(data):
    X, y = data
    params = dict(max_epochs=2, dropout=0.2, random_state=42)
    a = MultiTaskRecommender(**params).fit(X, y).predict(X)
    b = MultiTaskRecommender(**params).fit(X, y).predict(X)
    c = MultiTaskRecommender(**{**params, "random_state": 7}).fit(X, y).predict(X)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["rating"], c["rating"])


def test_fit_does_not_touch_the_global_torch_random_state(data):
    X, y = data
    before = torch.get_rng_state()
    MultiTaskRecommender(max_epochs=1, random_state=0).fit(X.head(100), y.head(100))
    assert torch.equal(before, torch.get_rng_state())


@pytest.mark.parametrize("n_samples, batch_size", [(7, 1), (257, 256), (1, 4)])
def test_batch_of_one_row(data, n_samples, batch_size):
    X, y = data
    X_small, y_small = X.head(n_samples), y[["rating"]].fillna(3.0).head(n_samples)
    model = MultiTaskRecommender(max_epochs=1, batch_size=batch_size, random_state=0)
    model.fit(X_small, y_small)
    assert model.predict(X_small.head(1)).shape == (1, 1)


def test_unseen_categories_are_scored(data, fitted):
    X, _ = data
    new = X.head(3).copy()
    new["user_id"] = ["new-user-1", "new-user-2", None]
    new["item_id"] = ["new-item", "i0", "i1"]
    pred = fitted.predict(new)
    assert np.isfinite(pred["rating"]).all()
    codes = fitted.schema_.transform(new)["categorical"]
    user_col = fitted.schema_.categorical_columns_.index("user_id")
    np.testing.assert_array_equal(codes[:, user_col], [0, 0, 0])


def test_integer_ids_listed_as_categorical_stay_integer_codes(data):
    X, y = data
    X_int = X.assign(
        user_id=X["user_id"].str[1:].astype(int), item_id=X["item_id"].str[1:].astype(int)
    )
    cats = ["user_id", "item_id", "gender", "segment", "item_category"]
    model = MultiTaskRecommender(max_epochs=1, categorical_features=cats, random_state=0)
    model.fit(X_int, y)
    assert model.schema_.categorical_columns_ == cats
    assert model.schema_.numeric_columns_ == ["age", "price"]
    assert model.schema_.vocabularies_["user_id"].dtype.kind in "iO"
    # An id is a category, never a number: each gets its own embedding row.
    assert (
        model.net_.module_.embeddings[0].embeddings[0].num_embeddings == X["user_id"].nunique() + 1
    )


def test_columns_in_another_order_are_aligned(data, fitted):
    X, _ = data
    shuffled = X[list(reversed(X.columns))].head(20)
    pd.testing.assert_frame_equal(fitted.predict(shuffled), fitted.predict(X.head(20)))


def test_numeric_array_input(data):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2]]).astype(float)
    model = MultiTaskRecommender(max_epochs=20, random_state=0).fit(X, y)
    assert model.n_features_in_ == 4 and not hasattr(model, "feature_names_in_")
    assert model.score_tasks(X, y)["y0"] > 0.9


def test_task_weights_scale_each_task_loss(data):
    X, y = data
    weights = {"click": 2.0, "like": 0.0, "rating": 0.5}
    model = MultiTaskRecommender(max_epochs=1, task_weights=weights, random_state=0).fit(X, y)
    batch = model.net_.history[-1, "batches", 0]
    expected = sum(w * batch[f"train_{t}_loss"] for t, w in weights.items())
    assert batch["train_loss"] == pytest.approx(expected, rel=1e-5)


def test_early_stopping_stops_and_restores_the_best_epoch(data):
    X, y = data
    model = MultiTaskRecommender(
        max_epochs=60, lr=0.05, early_stopping=True, n_iter_no_change=2, random_state=0
    ).fit(X, y)
    assert model.n_iter_ < 60
    history = model.net_.history
    best = int(np.argmin(history[:, "valid_loss"]))
    assert best == model.n_iter_ - 1 - 2  # patience epochs after the best one
    # The weights in use are the best epoch's: the validation loss recomputed
    # now (150 rows, one batch) is the best one recorded, not the last.
    dataset = TensorDictDataset(model.schema_.transform(X), model._encode_targets(y))
    _, valid = model.net_.get_split_datasets(dataset)
    with torch.no_grad():
        loss = model.net_.get_loss(model.net_.forward(valid), valid.targets).item()
    assert loss == pytest.approx(history[best, "valid_loss"], rel=1e-5)
    assert loss < history[-1, "valid_loss"]


def test_validation_fraction_without_early_stopping_only_monitors(data):
    X, y = data
    model = MultiTaskRecommender(max_epochs=2, validation_fraction=0.2, random_state=0)
    model.fit(X, y)
    assert model.n_iter_ == 2
    assert 0.0 <= model.net_.history[-1, "valid_click_roc_auc"] <= 1.0
    assert np.isfinite(model.net_.history[-1, "valid_rating_r2"])


def test_verbose_prints_one_line_per_epoch_with_task_metrics(data, capsys):
    X, y = data
    MultiTaskRecommender(max_epochs=2, validation_fraction=0.2, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_click_roc_auc" in out and "valid_rating_r2" in out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 2


def test_series_target_names_the_task(data):
    X, y = data
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y["click"])
    assert list(model.tasks_) == ["click"]
    assert model.predict(X.head(3)).shape == (3,)
    unnamed = MultiTaskRecommender(max_epochs=1, random_state=0).fit(
        X, pd.Series(y["rating"].to_numpy())
    )
    assert list(unnamed.tasks_) == ["y"]
    assert np.isfinite(unnamed.score(X, y["rating"]))


def test_batch_norm_trains_with_a_trailing_batch_of_one_row(data):
    X, y = data
    model = MultiTaskRecommender(batch_norm=True, batch_size=16, max_epochs=1, random_state=0)
    model.fit(X.head(33), y.head(33))  # batches of 16, 16 and 1: the last joins the one before
    assert model.net_.history[-1, "train_batch_count"] == 2
    assert np.isfinite(model.predict(X.head(1))["rating"]).all()
    with pytest.raises(ValueError, match="batch_norm=True needs batch_size >= 2"):
        MultiTaskRecommender(batch_norm=True, batch_size=1).fit(X.head(4), y.head(4))


def test_cosine_lr_schedule_decays_within_each_fit(data):
    X, y = data
    lr, epochs = 0.01, 4
    model = MultiTaskRecommender(
        lr=lr, lr_schedule="cosine", max_epochs=epochs, warm_start=True, random_state=0
    )
    expected = [lr * (1 + np.cos(np.pi * e / epochs)) / 2 for e in range(epochs)]
    np.testing.assert_allclose(model.fit(X, y).net_.history[:, "event_lr"], expected)
    # A warm-start fit starts the schedule again; partial_fit trains at lr.
    np.testing.assert_allclose(model.fit(X, y).net_.history[-epochs:, "event_lr"], expected)
    assert model.partial_fit(X, y).net_.history[-1, "event_lr"] == pytest.approx(lr)
    constant = MultiTaskRecommender(lr=lr, max_epochs=2).fit(X, y)
    assert "event_lr" not in constant.net_.history[-1]
