"""export_onnx: the graph run by onnxruntime matches predict."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
pytest.importorskip("onnxscript", reason="the onnx extra is not installed")


class HashText(TransformerMixin, BaseEstimator):
    """A tiny deterministic text encoder (no language model needed here)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        texts = np.asarray(X).reshape(-1)
        return np.array(
            [[(hash(t) >> s) % 7 / 7 for s in range(5)] for t in texts], dtype=np.float32
        )


@pytest.fixture(scope="module")
def data():
    X, y = make_recommendation_tasks(n_users=40, n_items=30, n_samples=1500, random_state=4)
    X = X.assign(title="item " + X["item_id"])
    y = y.assign(segment=X["segment"])  # a multiclass task too
    return X, y


CONFIGS = {
    "shared-bottom": dict(),
    "mmoe-history": dict(
        user_col="user_id", item_col="item_id", interaction_history=True, architecture="mmoe"
    ),
    "sigmoid-sum-history": dict(
        user_col="user_id",
        item_col="item_id",
        interaction_history=True,
        history_pooling="sigmoid_sum",
        history_products=True,
    ),
    "ple-batchnorm-text": dict(architecture="ple", batch_norm=True, text_features=["title"]),
    "single": dict(architecture="single"),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_onnx_graph_matches_predict(data, tmp_path, name):
    X, y = data
    params = CONFIGS[name]
    if "text_features" in params:
        params = {**params, "text_encoder": HashText()}
    else:
        X = X.drop(columns="title")
    model = MultiTaskRecommender(max_epochs=2, lr=1e-2, random_state=0, **params).fit(X, y)
    path = model.export_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path))
    inputs = model.onnx_inputs(X)
    assert [i.name for i in session.get_inputs()] == list(inputs)
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, inputs), strict=True))
    assert list(outputs) == ["click", "like", "rating", "segment"]

    proba, predicted = model.predict_proba(X), model.predict(X)
    np.testing.assert_allclose(outputs["click"], proba["click"][:, 1], atol=1e-5)
    np.testing.assert_allclose(outputs["like"], proba["like"][:, 1], atol=1e-5)
    np.testing.assert_allclose(outputs["segment"], proba["segment"], atol=1e-5)
    np.testing.assert_allclose(outputs["rating"], predicted["rating"], atol=1e-5)
    # Any batch size: one row, and unseen ids (code 0).
    one = X.head(1).assign(user_id="stranger", item_id="novelty")
    single = session.run(None, model.onnx_inputs(one))
    np.testing.assert_allclose(single[2], model.predict(one)["rating"], atol=1e-5)


def test_onnx_inputs_are_codes_and_raw_numbers(data):
    X, y = data
    X = X.drop(columns="title")
    model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
    inputs = model.onnx_inputs(X.head(3))
    assert inputs["categorical"].dtype == np.int64
    assert inputs["numeric"].dtype == np.float32
    np.testing.assert_allclose(inputs["numeric"][:, 0], X["age"].head(3), rtol=1e-6)


def test_export_without_the_extra_says_how_to_install(data, tmp_path, monkeypatch):
    X, y = data
    model = MultiTaskRecommender(max_epochs=1).fit(X.drop(columns="title"), y)
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(ImportError, match=r"sklearn-mtl\[onnx\]"):
        model.export_onnx(tmp_path / "m.onnx")


def test_onnx_inputs_checks_x_like_predict(data):
    X, y = data
    model = MultiTaskRecommender(max_epochs=1).fit(X.drop(columns="title"), y)
    with pytest.raises(ValueError, match="feature names"):
        model.onnx_inputs(pd.DataFrame({"other": [1.0]}))


def test_model_fitted_on_arrays_exports(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.c_[X[:, 0] > 0, X[:, 1]]
    model = MultiTaskRecommender({0: "binary", 1: "regression"}, max_epochs=1).fit(X, y)
    session = ort.InferenceSession(str(model.export_onnx(tmp_path / "m.onnx")))
    assert [i.name for i in session.get_inputs()] == ["numeric"]
    _, value = session.run(None, model.onnx_inputs(X))
    np.testing.assert_allclose(value, model.predict(X)[:, 1].astype(float), atol=1e-5)
