import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.metrics import task_scorer

# No expected failures: every check scikit-learn runs on a general estimator passes.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks(
    [MultiTaskRecommender(max_epochs=3, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_and_params_round_trip():
    model = MultiTaskRecommender(
        {"click": "binary"}, shared_units=(8,), task_weights={"click": 2.0}, random_state=3
    )
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    copy.set_params(lr=0.1, tower_units=(4, 2))
    assert copy.lr == 0.1 and copy.tower_units == (4, 2) and model.lr == "auto"


def test_pipeline_with_a_pandas_column_transformer(data):
    X, y = data
    encode = ColumnTransformer(
        [("segment", OneHotEncoder(sparse_output=False), ["segment"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = make_pipeline(encode, MultiTaskRecommender(max_epochs=1, random_state=0))
    pipe.fit(X, y)
    model = pipe[-1]
    assert "segment_power" in model.feature_names_in_
    assert "user_id" in model.schema_.categorical_columns_
    assert list(pipe.predict(X.head(3)).columns) == ["click", "like", "rating"]


def test_grid_search_with_per_task_scorers_and_refit(data):
    X, y = data
    search = GridSearchCV(
        MultiTaskRecommender(max_epochs=5, random_state=0),
        {"lr": [1e-4, 3e-2]},
        scoring={
            "click_auc": task_scorer("click", "roc_auc"),
            "rating_rmse": task_scorer("rating", "neg_root_mean_squared_error"),
        },
        refit="click_auc",
        cv=KFold(2, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    results = pd.DataFrame(search.cv_results_)
    assert results["mean_test_click_auc"].notna().all()
    assert (results["mean_test_rating_rmse"] < 0).all()
    # A learning rate of 1e-4 barely moves in five epochs; 3e-2 learns.
    assert search.best_params_ == {"lr": 3e-2}
    assert search.best_estimator_.predict(X.head(2)).shape == (2, 3)


def test_cross_validate_default_score(data):
    X, y = data
    scores = cross_validate(MultiTaskRecommender(max_epochs=2, random_state=0), X, y, cv=3)
    assert np.all(np.isfinite(scores["test_score"]))


def test_joblib_round_trip_in_a_fresh_process(data, fitted, tmp_path):
    X, _ = data
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    X.head(50).to_pickle(tmp_path / "X.pkl")
    expected = fitted.predict(X.head(50))
    script = textwrap.dedent(
        f"""
        import joblib, pandas as pd
        model = joblib.load({str(path)!r})
        model.predict(pd.read_pickle({str(tmp_path / "X.pkl")!r})).to_pickle(
            {str(tmp_path / "pred.pkl")!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "pred.pkl"), expected)


def test_unfitted_clone_keeps_task_objects_independent():
    from sklearn_mtl.tasks import BinaryTask

    task = BinaryTask()
    model = MultiTaskRecommender({"click": task})
    X = pd.DataFrame({"u": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]})
    model.fit(X, pd.DataFrame({"click": [0, 1, 0, 1]}))
    assert not hasattr(task, "classes_"), "fit must not mutate the Task passed by the user"
    assert model.tasks_["click"] is not task


def test_clone_of_a_fitted_model_is_unfitted(fitted):
    copy = clone(fitted)
    assert not hasattr(copy, "net_") and not hasattr(copy, "tasks_")
    assert copy.get_params() == fitted.get_params()
