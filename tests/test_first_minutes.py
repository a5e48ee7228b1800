"""The traps a new user fell into, each tried as that user would hit it."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.datasets import make_recommendation_tasks
from sklearn_mtl.training import callbacks

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def ratings():
    """A MovieLens-like log: integer ids and integer 1-5 ratings."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"user_id": rng.integers(1, 60, 2000), "item_id": rng.integers(1, 40, 2000)})
    y = pd.DataFrame({"rating": rng.integers(1, 6, 2000)})
    return X, y


def test_integer_ratings_inferred_as_classes_get_a_warning_that_says_how_to_choose(ratings):
    X, y = ratings
    with pytest.warns(UserWarning, match=r"'rating' holds 5 integer levels \(1\.\.5\)") as caught:
        model = MultiTaskRecommender(max_epochs=1).fit(X, y)
    message = str(caught[0].message)
    assert "'regression'" in message and "'multiclass'" in message
    assert caught[0].filename == __file__  # it points at the user's own line
    assert model.tasks_["rating"].task_type == "multiclass"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MultiTaskRecommender({"rating": "regression"}, max_epochs=1).fit(X, y)
        MultiTaskRecommender({"rating": "multiclass"}, max_epochs=1).fit(X, y)
        MultiTaskRecommender(max_epochs=1).fit(X, y.assign(rating=y["rating"] % 3))  # 3 levels


def test_verbose_says_which_task_types_were_inferred(ratings, capsys):
    X, y = ratings
    MultiTaskRecommender(max_epochs=1, verbose=1).fit(X, y.assign(rating=y["rating"] * 1.0))
    out = capsys.readouterr().out
    assert "Tasks (inferred from y; set tasks= to choose):" in out
    assert "rating: regression, mean" in out


def test_ids_that_spell_a_fitted_id_in_another_type_are_that_id(ratings):
    X, y = ratings
    model = MultiTaskRecommender(
        {"rating": "regression"}, user_col="user_id", item_col="item_id", max_epochs=1,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "1" is user 1: no warning
        as_text = model.recommend(["1"], k=3)
    pd.testing.assert_frame_equal(as_text, model.recommend([1], k=3))
    pd.testing.assert_frame_equal(model.score_pairs(["1"], ["2"]), model.score_pairs([1], [2]))


def test_users_never_seen_in_fit_are_announced_or_refused(ratings):
    X, y = ratings
    model = MultiTaskRecommender(
        {"rating": "regression"}, user_col="user_id", item_col="item_id", max_epochs=1
    ).fit(X, y)
    with pytest.warns(UserWarning, match=r"1 of 2 users were never seen in fit \(e\.g\. \[99999\]"):
        model.recommend([1, 99999], k=3)
    with pytest.raises(ValueError, match=r"1 of 1 users were never seen in fit"):
        model.recommend([99999], k=3, unknown="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.recommend([99999], k=3, unknown="ignore")
    with pytest.raises(ValueError, match="unknown must be 'warn', 'error' or 'ignore'"):
        model.recommend([1], unknown="skip")


def test_string_ids_are_matched_from_integers():
    X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    X = X.assign(user_id=X["user_id"].str[1:])  # "12": digits as text
    model = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=1).fit(X, y)
    user = int(X["user_id"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        top = model.recommend([user], k=2)
    assert top["user_id"].tolist() == [str(user)] * 2


def test_a_column_transformer_without_pandas_output_gets_an_error_that_says_what_to_do():
    X, y = make_recommendation_tasks(n_samples=500, random_state=0)
    scale = ColumnTransformer(
        [("num", StandardScaler(), ["price", "age"])], remainder="passthrough"
    )
    pipe = Pipeline([("ct", scale), ("mtl", MultiTaskRecommender(max_epochs=1))])
    with pytest.raises(ValueError, match=r"column 2 holds text \('u\d+'\).*set_output"):
        pipe.fit(X, y)
    scale.set_params(verbose_feature_names_out=False).set_output(transform="pandas")
    mtl = MultiTaskRecommender(user_col="user_id", item_col="item_id", max_epochs=1)
    pipe = Pipeline([("ct", scale), ("mtl", mtl)]).fit(X, y)
    assert pipe.predict(X.head(3)).shape == (3, 3)


def test_verbose_training_prints_each_epoch_without_colour_codes_off_a_terminal(capsys):
    X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    MultiTaskRecommender(max_epochs=3, validation_fraction=0.2, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if re.match(r"\s+\d+\s", line)]
    assert len(lines) == 3
    assert not ANSI.search(captured.out)
    assert captured.err == ""  # short epochs: no progress bar
    MultiTaskRecommender(max_epochs=1).fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0 prints nothing


def test_an_epoch_that_runs_long_shows_a_progress_bar_on_a_terminal(monkeypatch, capsys):
    import sys

    X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    monkeypatch.setattr(callbacks, "PROGRESS_BAR_DELAY", 0.0)  # every epoch is "long"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    MultiTaskRecommender(max_epochs=1, batch_size=32, verbose=1).fit(X, y)
    assert "it/s" in capsys.readouterr().err


def test_the_install_instructions_are_pinned_and_say_when_movielens_tests_run():
    guide = (ROOT / "docs" / "getting_started.rst").read_text()
    assert "pip install torch==2.13.0" in guide
    assert not re.search(r"pip install torch\s*$", guide, flags=re.MULTILINE)
    for extra in ("text", "onnx", "plot", "privacy", "dask", "distributed", "parquet"):
        assert f"``{extra}``" in guide
    readme = (ROOT / "README.md").read_text()
    tests_section = readme.split("Install and run the tests:")[1].split("## ")[0]
    assert "SKLEARN_MTL_DATA" in tests_section and "skip" in tests_section


def test_a_fitted_model_describes_itself_in_print_and_in_a_notebook():
    from sklearn.base import BaseEstimator

    X, y = make_recommendation_tasks(n_samples=600, random_state=0)
    model = MultiTaskRecommender(architecture="mmoe", max_epochs=2, validation_fraction=0.2)
    assert str(model) == repr(model)  # nothing fitted, nothing more to say
    model.fit(X, y)
    assert repr(model) == BaseEstimator.__repr__(model)  # a Pipeline's repr is unchanged
    text = str(model)
    for expected in (
        "Tasks:", "click   binary, 2 classes [0, 1]", "rating  regression, mean",
        "Trainable parameters:", "shared (mmoe)", "epochs trained      2",
        "Last validation metric:", "like    roc_auc 0.",
    ):  # fmt: skip
        assert expected in text, expected
    total = sum(p.numel() for p in model.net_.module_.parameters())
    assert f"total          {total:,}" in text
    page = model._repr_html_()
    assert "sklearn-mtl-description" in page and "roc_auc" in page and "mmoe" in page
    assert "Last validation metric" not in str(MultiTaskRecommender(max_epochs=1).fit(X, y))
