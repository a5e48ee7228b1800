"""The CUDA path: skipped on machines without a CUDA GPU (CI has none)."""

import numpy as np
import pytest
import torch

from sklearn_mtl import MultiTaskRecommender

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


@pytest.mark.parametrize("weighting", ["equal", "uncertainty", "dwa", "gradnorm", "pcgrad"])
@pytest.mark.parametrize("architecture", ["shared_bottom", "mmoe", "ple", "esmm", "single"])
def test_fit_and_predict_on_cuda_match_cpu(data, architecture, weighting):
    X, y = data
    params = dict(
        architecture=architecture,
        loss_weighting=weighting,
        esmm_chain=["click", "like"],
        max_epochs=2,
        lr=1e-2,
        batch_norm=True,
        random_state=0,
    )
    cuda = MultiTaskRecommender(device="cuda", **params).fit(X, y)
    assert all(p.is_cuda for p in cuda.net_.module_.parameters())
    cpu = MultiTaskRecommender(device="cpu", **params).fit(X, y)
    pred_cuda, pred_cpu = cuda.predict(X), cpu.predict(X)
    assert np.isfinite(pred_cuda["rating"]).all()
    # Same initialization and batch order: only float rounding differs, which
    # two epochs at lr=1e-2 amplify to about 0.02 on the 1-5 rating scale.
    np.testing.assert_allclose(pred_cuda["rating"], pred_cpu["rating"], atol=0.05)
    proba_cuda, proba_cpu = cuda.predict_proba(X), cpu.predict_proba(X)
    np.testing.assert_allclose(proba_cuda["click"], proba_cpu["click"], atol=0.05)


def test_expert_usage_and_early_stopping_on_cuda(data):
    X, y = data
    model = MultiTaskRecommender(
        architecture="mmoe",
        device="cuda",
        early_stopping=True,
        max_epochs=30,
        n_iter_no_change=2,
        lr=3e-2,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 30
    np.testing.assert_allclose(model.expert_usage(X).sum(axis=1), 1.0, rtol=1e-5)


def _trained_on_cuda(data, **params):
    X, y = data
    base = dict(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        architecture="mmoe",
        batch_norm=True,
        max_epochs=2,
        lr=1e-2,
        random_state=0,
        device="cuda",
    )
    return MultiTaskRecommender(**{**base, **params}).fit(X, y)


def test_cuda_model_saved_and_loaded_on_cpu_predicts_the_same(data, tmp_path):
    X, _ = data
    model = _trained_on_cuda(data)
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "m"), device="cpu")
    assert all(not p.is_cuda for p in loaded.net_.module_.parameters())
    assert loaded.device == "cpu"
    np.testing.assert_allclose(loaded.predict(X)["rating"], model.predict(X)["rating"], atol=1e-5)
    top_cpu, top_cuda = loaded.recommend(["u1", "u2"], k=5), model.recommend(["u1", "u2"], k=5)
    np.testing.assert_allclose(top_cpu["score"], top_cuda["score"], atol=1e-5)
    # Adam's saved moments follow the weights to the CPU: training continues there.
    state = loaded.net_.optimizer_.state_dict()["state"]
    assert state and all(not t.is_cuda for s in state.values() for t in s.values())
    loaded.partial_fit(X, data[1])
    assert np.isfinite(loaded.predict(X)["rating"]).all()


def test_cuda_model_loads_in_a_process_without_cuda(data, tmp_path):
    import os
    import subprocess
    import sys

    import joblib

    X, _ = data
    model = _trained_on_cuda(data)
    model.save(tmp_path / "saved")
    joblib.dump(model, tmp_path / "model.joblib")
    X.to_csv(tmp_path / "X.csv", index=False)
    np.save(tmp_path / "expected.npy", model.predict(X)["rating"].to_numpy())
    script = f"""
import warnings, joblib, numpy as np, pandas as pd, torch
from sklearn_mtl import MultiTaskRecommender
assert not torch.cuda.is_available()
X = pd.read_csv({str(tmp_path / "X.csv")!r}, dtype={{"user_id": str, "item_id": str,
    "gender": str, "segment": str, "item_category": str}})
expected = np.load({str(tmp_path / "expected.npy")!r})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loaded = MultiTaskRecommender.load({str(tmp_path / "saved")!r})
assert any("CUDA is not available" in str(w.message) for w in caught)
np.testing.assert_allclose(loaded.predict(X)["rating"], expected, atol=1e-5)
pickled = joblib.load({str(tmp_path / "model.joblib")!r})
np.testing.assert_allclose(pickled.predict(X)["rating"], expected, atol=1e-5)
print(len(pickled.recommend(["u1"], k=3)), "OK")
"""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("3 OK")


def test_partial_fit_text_and_export_on_cuda(data, tmp_path):
    from sklearn.base import BaseEstimator, TransformerMixin

    class Letters(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            texts = np.asarray(X).reshape(-1)
            return np.array([[t.count(c) for c in "0123456789"] for t in texts], np.float32)

    X, y = data
    X = X.assign(title="item " + X["item_id"])
    old = X["user_id"].isin([f"u{i}" for i in range(40)]).to_numpy()
    model = _trained_on_cuda((X[old], y[old]), text_features=["title"], text_encoder=Letters())
    model.partial_fit(X[~old], y[~old])
    assert all(p.is_cuda for p in model.net_.module_.parameters())
    assert (model.schema_.encode_categorical("user_id", X.loc[~old, "user_id"]) > 0).all()
    assert np.isfinite(model.predict(X)["rating"]).all()
    new_items = X.drop_duplicates("item_id").head(3).assign(item_id=["n1", "n2", "n3"])
    assert len(model.recommend(["u50"], k=2, items=new_items)) == 2
    try:
        import onnxruntime
        import onnxscript  # noqa: F401
    except ImportError:
        return
    path = model.export_onnx(tmp_path / "m.onnx")
    outputs = onnxruntime.InferenceSession(str(path)).run(None, model.onnx_inputs(X))
    np.testing.assert_allclose(outputs[2], model.predict(X)["rating"], atol=1e-4)
