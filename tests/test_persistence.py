"""save/load without pickle, and joblib as for every scikit-learn estimator."""

import json
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.modules import SharedBottom
from sklearn_mtl.persistence import FORMAT_VERSION


@pytest.fixture(scope="module")
def log():
    X, y = make_recommendation_tasks(n_users=40, n_items=30, n_samples=1500, random_state=2)
    return X, y


CONFIGS = {
    "plain": dict(),
    "recommender": dict(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        loss_weighting="uncertainty",
        architecture="mmoe",
        embedding_dim="auto",
    ),
    "ple-batchnorm": dict(architecture="ple", batch_norm=True, loss_weighting="gradnorm"),
    "sigmoid-sum-history": dict(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        history_pooling="sigmoid_sum",
        history_products=True,
    ),
    "resampled-negatives": dict(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        interaction_task="click",
        resample_negatives=True,
        lr_schedule="cosine",
    ),
    "esmm": dict(architecture="esmm", esmm_chain=["click", "like"], tasks=None),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_loaded_model_predicts_exactly_what_the_saved_one_did(log, tmp_path, name):
    X, y = log
    model = MultiTaskRecommender(max_epochs=2, lr=1e-2, random_state=0, **CONFIGS[name])
    model.fit(X, y)
    folder = model.save(tmp_path / "model")
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors"]
    loaded = MultiTaskRecommender.load(folder)
    assert loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    for task, proba in model.predict_proba(X).items():
        np.testing.assert_array_equal(loaded.predict_proba(X)[task], proba)
    assert loaded.score(X, y) == model.score(X, y)
    assert loaded.n_iter_ == model.n_iter_
    if model.user_col is not None:
        users = ["u1", "u2", "nobody"]
        pd.testing.assert_frame_equal(
            loaded.recommend(users, k=5, unknown="ignore"),
            model.recommend(users, k=5, unknown="ignore"),
        )


def test_array_input_and_1d_target_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    model = MultiTaskRecommender(max_epochs=2, random_state=0).fit(X, y)
    loaded = MultiTaskRecommender.load(model.save(tmp_path))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_config_records_versions_and_schema(log, tmp_path):
    X, y = log
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    config = json.loads((model.save(tmp_path) / "config.json").read_text())
    assert config["format_version"] == FORMAT_VERSION
    assert {"sklearn_mtl_version", "torch_version", "params", "fitted"} <= set(config)
    assert config["fitted"]["schema_"]["categorical_columns"][:2] == ["user_id", "item_id"]


class _Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("victim", ["config.json", "model.safetensors"])
def test_a_pickle_planted_in_either_file_is_never_run(log, tmp_path, victim):
    X, y = log
    folder = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y).save(tmp_path / "m")
    marker = tmp_path / "pwned"
    (folder / victim).write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match=f"{victim}.*not a valid"):
        MultiTaskRecommender.load(folder)
    assert not marker.exists()


def test_a_pickle_inside_the_json_is_data_not_code(log, tmp_path):
    X, y = log
    folder = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y).save(tmp_path / "m")
    marker = tmp_path / "pwned"
    config = json.loads((folder / "config.json").read_text())
    config["params"]["text_encoder"] = pickle.dumps(_Payload(marker)).decode("latin-1")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="text_encoder"):
        MultiTaskRecommender.load(folder)
    assert not marker.exists()


def test_newer_format_is_refused(log, tmp_path):
    X, y = log
    folder = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y).save(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["format_version"] = FORMAT_VERSION + 1
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=f"format version {FORMAT_VERSION + 1}.*Upgrade"):
        MultiTaskRecommender.load(folder)


def test_weights_that_do_not_match_the_config_are_refused(log, tmp_path):
    X, y = log
    small = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y).save(tmp_path / "a")
    wide = MultiTaskRecommender(max_epochs=1, shared_units=(8,), random_state=0).fit(X, y)
    os.replace(wide.save(tmp_path / "b") / "model.safetensors", small / "model.safetensors")
    with pytest.raises(ValueError, match="does not match the network"):
        MultiTaskRecommender.load(small)


def test_save_errors(log, tmp_path):
    X, y = log
    with pytest.raises(NotFittedError):
        MultiTaskRecommender().save(tmp_path)
    custom = MultiTaskRecommender(architecture=SharedBottom, max_epochs=1).fit(X, y)
    with pytest.raises(TypeError, match=r"architecture=.*joblib"):
        custom.save(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        MultiTaskRecommender.load(tmp_path / "nothing-here")


def test_joblib_still_works(log, tmp_path):
    X, y = log
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    pd.testing.assert_frame_equal(
        joblib.load(tmp_path / "model.joblib").predict(X), model.predict(X)
    )


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_model_saved_by_sklearn_mtl_0_1_0_loads_and_predicts_as_it_did():
    """tests/fixtures/make_legacy_model.py wrote it before the issue-12 refactoring."""
    expected = json.loads((FIXTURES / "legacy_expected.json").read_text())
    rows = pd.read_csv(FIXTURES / "legacy_rows.csv")
    model = MultiTaskRecommender.load(FIXTURES / "legacy_model")
    predicted = model.predict(rows)
    for task, values in expected["predict"].items():
        if task == "rating":
            np.testing.assert_allclose(predicted[task], values, rtol=1e-6)
        else:
            assert predicted[task].tolist() == values
    for task, proba in expected["predict_proba"].items():
        np.testing.assert_allclose(model.predict_proba(rows)[task], proba, rtol=1e-6)
    top = model.recommend(["u1", "u2"], k=3, rank_by={"click": 1.0, "like": 0.5})
    for column, values in expected["recommend"].items():
        if top[column].dtype.kind == "f":
            np.testing.assert_allclose(top[column], values, rtol=1e-6)
        else:
            assert top[column].tolist() == values
    # Written before the optimizer state was saved: training continues from fresh moments.
    model.partial_fit(rows, pd.DataFrame({t: [np.nan] * len(rows) for t in model.tasks_}))


@pytest.mark.parametrize("loss_weighting", ["equal", "dwa"])
def test_partial_fit_after_load_continues_adam_where_it_stopped(log, tmp_path, loss_weighting):
    X, y = log
    params = dict(max_epochs=3, lr=1e-2, random_state=0, loss_weighting=loss_weighting)
    direct = MultiTaskRecommender(**params).fit(X, y)
    loaded = MultiTaskRecommender.load(
        MultiTaskRecommender(**params).fit(X, y).save(tmp_path / "model")
    )
    assert loaded.net_.optimizer_.state_dict()["state"], "Adam's moments were not restored"
    assert len(loaded.net_.history) == 3
    assert loaded.net_.history[:, "train_loss"] == direct.net_.history[:, "train_loss"]
    direct.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for (name, a), (_, b) in zip(
        direct.net_.module_.state_dict().items(),
        loaded.net_.module_.state_dict().items(),
        strict=True,
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert direct.n_iter_ == loaded.n_iter_ == 4


def test_a_restarted_optimizer_would_differ(log, tmp_path):
    """The round-trip test above can fail: without the saved moments the weights differ."""
    X, y = log
    params = dict(max_epochs=3, lr=1e-2, random_state=0)
    direct = MultiTaskRecommender(**params).fit(X, y)
    folder = MultiTaskRecommender(**params).fit(X, y).save(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    del config["fitted"]["optimizer"]
    (folder / "config.json").write_text(json.dumps(config))
    restarted = MultiTaskRecommender.load(folder)
    direct.partial_fit(X, y)
    restarted.partial_fit(X, y)
    first = next(iter(direct.net_.module_.state_dict()))
    assert not torch.equal(
        direct.net_.module_.state_dict()[first], restarted.net_.module_.state_dict()[first]
    )


def test_a_format_1_mixture_of_experts_loads_with_its_expert_tensors_renamed(log, tmp_path):
    """Format 1 kept each expert layer in ``experts.weights.<k>``/``experts.biases.<k>``."""
    import safetensors.torch

    X, y = log
    model = MultiTaskRecommender(architecture="ple", max_epochs=1, random_state=0).fit(X, y)
    folder = model.save(tmp_path / "model")
    tensors = safetensors.torch.load_file(str(folder / "model.safetensors"))
    old = {}
    for key, value in tensors.items():
        for name, kind in (("weight", "weights"), ("bias", "biases")):
            if ".layers." in key and key.endswith(f".{name}") and "experts" in key:
                prefix, rest = key.split(".layers.")
                key = f"{prefix}.{kind}.{rest.split('.')[0]}"
        old[key] = value
    assert any(".weights." in key for key in old)
    safetensors.torch.save_file(old, str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    config["format_version"] = 1
    (folder / "config.json").write_text(json.dumps(config))

    loaded = MultiTaskRecommender.load(folder)
    pd.testing.assert_frame_equal(loaded.predict(X.head(50)), model.predict(X.head(50)))
    # The moments no longer line up with the parameters: training restarts them.
    loaded.partial_fit(X, y)


# ------------------------------------------------- saved without the behaviour log

FROZEN_CONFIGS = {
    "mean-history": dict(interaction_history=True),
    "sigmoid-products-mmoe": dict(
        interaction_history=True, history_pooling="sigmoid_sum", history_products=True,
        architecture="mmoe",
    ),
    "single-separate-embeddings": dict(interaction_history=True, architecture="single"),
    "no-history": dict(),
}  # fmt: skip


@pytest.mark.parametrize("name", list(FROZEN_CONFIGS))
def test_a_model_saved_without_interactions_holds_no_pair_and_recommends_the_same(
    log, tmp_path, name
):
    import safetensors.torch

    X, y = log
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=2, random_state=0,
        **FROZEN_CONFIGS[name],
    ).fit(X, y)  # fmt: skip
    folder = model.save(tmp_path / "model", include_interactions=False)
    tensors = safetensors.torch.load_file(str(folder / "model.safetensors"))
    # No interaction keys, no optimizer moments, no integer tensor of any kind.
    assert not [key for key in tensors if "interactions" in key or key.startswith("optimizer.")]
    assert all(value.is_floating_point() for value in tensors.values())
    config = json.loads((folder / "config.json").read_text())
    assert config["fitted"]["interactions"] is False

    loaded = MultiTaskRecommender.load(folder)
    users = X["user_id"].unique()[:10]
    seen = X[["user_id", "item_id"]]
    pd.testing.assert_frame_equal(
        loaded.recommend(users, k=5, seen=seen), model.recommend(users, k=5)
    )
    # A pair that is not an interaction is scored exactly as before; an
    # interaction is now scored as a candidate (its pair stays in the pools).
    pairs = pd.MultiIndex.from_product([users, X["item_id"].unique()]).to_frame(index=False)
    fresh = ~pairs.set_index([0, 1]).index.isin(seen.set_index(["user_id", "item_id"]).index)
    pd.testing.assert_frame_equal(
        loaded.score_pairs(pairs[0][fresh], pairs[1][fresh]),
        model.score_pairs(pairs[0][fresh], pairs[1][fresh]),
    )
    with pytest.raises(ValueError, match=r"pass those pairs as seen="):
        loaded.recommend(users, k=5)
    with pytest.raises(ValueError, match="training further needs the interactions"):
        loaded.partial_fit(X, y)
    with pytest.raises(ValueError, match="save it again with include_interactions=False"):
        loaded.save(tmp_path / "again")
    loaded.save(tmp_path / "again", include_interactions=False)


def test_a_frozen_history_explains_by_features_and_refuses_to_forget(log, tmp_path):
    X, y = log
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", interaction_history=True, max_epochs=1,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "m", include_interactions=False))
    reasons = loaded.explain(X["user_id"][:3], X["item_id"][:3])
    assert set(reasons["reason_kind"]) == {"feature"}
    with pytest.raises(ValueError, match="frozen sums"):
        loaded.forget(users=[X["user_id"][0]])


def test_a_model_without_history_forgets_after_a_save_without_interactions(log, tmp_path):
    X, y = log
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=1, random_state=0
    ).fit(X, y)
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "m", include_interactions=False))
    user = X["user_id"][0]
    loaded.forget(users=[user])
    assert user not in loaded.catalog_.users_.index


def test_seen_pairs_are_left_out_of_recommendations(log):
    X, y = log
    model = MultiTaskRecommender(
        user_col="user_id", item_col="item_id", max_epochs=1, random_state=0
    ).fit(X, y)
    users = ["u1", "u2", "u1"]  # a user asked for twice gets the same list twice
    top = model.recommend(users, k=3)
    seen = top[top["rank"] == 1][["user_id", "item_id"]].drop_duplicates()
    again = model.recommend(users, k=3, seen=seen)
    for user, item in seen.itertuples(index=False):
        assert item not in set(again.loc[again["user_id"] == user, "item_id"])
    assert len(again) == len(top)
    with pytest.raises(ValueError, match="needs exclude_seen=True"):
        model.recommend(users, seen=seen, exclude_seen=False)
    with pytest.raises(ValueError, match=r"seen must be a DataFrame with the columns"):
        model.recommend(users, seen=seen.rename(columns={"item_id": "movie"}))


def test_history_frame_has_one_row_per_epoch_across_calls_and_a_save(log, tmp_path):
    X, y = log
    model = MultiTaskRecommender(
        max_epochs=2, validation_fraction=0.2, loss_weighting="uncertainty", random_state=0
    ).fit(X, y)
    model.partial_fit(X, y)
    frame = model.history_frame()
    assert frame.index.tolist() == [1, 2, 3] and frame.index.name == "epoch"
    for task in ("click", "like", "rating"):
        assert {f"train_{task}_loss", f"valid_{task}_loss", f"weight_{task}"} <= set(frame)
    assert {"valid_click_roc_auc", "valid_rating_r2", "dur", "train_loss"} <= set(frame)
    assert not [c for c in frame if c.endswith("_best") or c == "batches"]
    assert frame["train_click_loss"].tolist() == model.net_.history[:, "train_click_loss"]
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.history_frame(), frame)
    with pytest.raises(NotFittedError):
        MultiTaskRecommender().history_frame()
