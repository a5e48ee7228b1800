"""Bad input gets a scikit-learn style error that names the parameter, task or column."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_mtl import MultiTaskRecommender

FAST = dict(max_epochs=1, random_state=0)


def small():
    X = pd.DataFrame(
        {"user": ["a", "b", "c", "a", "b", "c"], "age": [20.0, 30.0, 40.0, 20.0, 30.0, 40.0]}
    )
    y = pd.DataFrame({"click": [0, 1, 0, 1, 1, 0], "rating": [1.0, 2, 3, 4, 5, np.nan]})
    return X, y


def test_unknown_task_type():
    X, y = small()
    with pytest.raises(ValueError, match=r"Unknown type 'ranking' for task 'click'.*'tasks'"):
        MultiTaskRecommender({"click": "ranking", "rating": "regression"}, **FAST).fit(X, y)


def test_tasks_key_missing_from_y():
    X, y = small()
    tasks = {"click": "binary", "rating": "regression", "like": "binary"}
    with pytest.raises(ValueError, match=r"tasks names \['like'\], which are not columns of y"):
        MultiTaskRecommender(tasks, **FAST).fit(X, y)


def test_y_column_not_in_tasks():
    X, y = small()
    with pytest.raises(ValueError, match=r"y has columns \['rating'\] that are not in tasks"):
        MultiTaskRecommender({"click": "binary"}, **FAST).fit(X, y)


def test_array_y_with_wrong_number_of_columns():
    X, y = small()
    with pytest.raises(ValueError, match=r"y has 2 column\(s\) but tasks has 1"):
        MultiTaskRecommender({"click": "binary"}, **FAST).fit(X, y.to_numpy())


def test_x_and_y_of_different_lengths():
    X, y = small()
    with pytest.raises(ValueError, match="inconsistent numbers of samples: 6 and 5"):
        MultiTaskRecommender(**FAST).fit(X, y.head(5))


def test_empty_x():
    X, y = small()
    with pytest.raises(ValueError, match="0 sample"):
        MultiTaskRecommender(**FAST).fit(X.head(0), y.head(0))
    with pytest.raises(ValueError, match="no columns"):
        MultiTaskRecommender(**FAST).fit(X[[]], y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_numeric_feature(bad):
    X, y = small()
    X.loc[2, "age"] = bad
    with pytest.raises(ValueError, match="Column 'age' holds NaN or infinite values"):
        MultiTaskRecommender(**FAST).fit(X, y)


def test_nan_in_a_numeric_feature_at_predict_time():
    X, y = small()
    model = MultiTaskRecommender(**FAST).fit(X, y)
    X.loc[0, "age"] = np.nan
    with pytest.raises(ValueError, match="Column 'age'"):
        model.predict(X)


def test_classification_task_with_one_class():
    X, y = small()
    y["click"] = 1
    with pytest.raises(ValueError, match="Task 'click' is a classification task but y holds 1"):
        MultiTaskRecommender(**FAST).fit(X, y)


def test_task_without_any_label():
    X, y = small()
    y["rating"] = np.nan
    with pytest.raises(ValueError, match="Task 'rating' has no labelled row"):
        MultiTaskRecommender({"click": "binary", "rating": "regression"}, **FAST).fit(X, y)


def test_regression_task_with_non_numeric_labels():
    X, y = small()
    y["rating"] = ["good", "bad", "good", "bad", "good", "bad"]
    with pytest.raises(ValueError, match="Task 'rating' is a regression task but y holds non-num"):
        MultiTaskRecommender({"click": "binary", "rating": "regression"}, **FAST).fit(X, y)


def test_binary_task_with_three_classes():
    X, y = small()
    y["click"] = [0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError, match="Task 'click' is binary but y holds 3 classes"):
        MultiTaskRecommender({"click": "binary", "rating": "regression"}, **FAST).fit(X, y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_predict_before_fit(method):
    X, y = small()
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(MultiTaskRecommender(), method)(*args)


def test_predict_with_missing_or_extra_columns():
    X, y = small()
    model = MultiTaskRecommender(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"missing:\n- age"):
        model.predict(X[["user"]])
    with pytest.raises(ValueError, match=r"unseen at fit time:\n- extra"):
        model.predict(X.assign(extra=1.0))


def test_non_numeric_column_not_listed_as_categorical():
    X, y = small()
    with pytest.raises(TypeError, match="Column 'user' is not numeric"):
        MultiTaskRecommender(categorical_features=["age"], **FAST).fit(X, y)


def test_categorical_features_naming_an_unknown_column():
    X, y = small()
    with pytest.raises(ValueError, match=r"categorical_features names columns .*\['zip'\]"):
        MultiTaskRecommender(categorical_features=["zip"], **FAST).fit(X, y)


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"likes": 1.0}, r"task_weights names tasks .*\['likes'\]"),
        ({"click": -1.0}, "task_weights must be finite and non-negative"),
    ],
)
def test_bad_task_weights(weights, message):
    X, y = small()
    with pytest.raises(ValueError, match=message):
        MultiTaskRecommender(task_weights=weights, **FAST).fit(X, y)


@pytest.mark.parametrize(
    "param, value",
    [
        ("architecture", "transformer"),
        ("batch_size", 0),
        ("dropout", 1.0),
        ("lr", -1.0),
        ("embedding_dim", "big"),
        ("validation_fraction", 1.0),
        ("history_pooling", "median"),
        ("history_products", "yes"),
        ("resample_negatives", "yes"),
        ("lr_schedule", "linear"),
    ],
)
def test_invalid_parameters_name_the_parameter(param, value):
    X, y = small()
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        MultiTaskRecommender(**{param: value}, **FAST).fit(X, y)


def test_unknown_label_at_score_time():
    X, y = small()
    model = MultiTaskRecommender(**FAST).fit(X, y)
    y["click"] = [0, 1, 2, 0, 1, 0]
    with pytest.raises(ValueError, match=r"Task 'click' got labels not seen in fit: \[2\]"):
        model.score(X, y)


def test_validation_fraction_too_small_for_the_data():
    X, y = small()
    with pytest.raises(ValueError, match=r"validation_fraction=0\.01 leaves 0 of 6 rows"):
        MultiTaskRecommender(early_stopping=True, validation_fraction=0.01, **FAST).fit(X, y)


def test_complex_numbers_are_refused_not_truncated():
    X, y = small()
    with pytest.raises(TypeError, match="Column 'age' holds complex numbers"):
        MultiTaskRecommender(**FAST).fit(X.assign(age=X["age"] + 1j), y)


def test_unhashable_categories_name_the_column():
    X, y = small()
    bad = X.assign(user=[["a"], ["b"], ["c"]] * 2)
    with pytest.raises(TypeError, match="Column 'user' is categorical"):
        MultiTaskRecommender(**FAST).fit(bad, y)
    model = MultiTaskRecommender(**FAST).fit(X, y)
    with pytest.raises(TypeError, match="Column 'user'"):
        model.predict(bad)


def test_duplicate_columns():
    X, y = small()
    with pytest.raises(ValueError, match=r"duplicate columns: \['age'\]"):
        MultiTaskRecommender(**FAST).fit(pd.concat([X, X[["age"]]], axis=1), y)


def test_array_for_a_model_fitted_on_a_frame_with_categories():
    X, y = small()
    model = MultiTaskRecommender(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"fitted on a DataFrame with columns \['user', 'age'\]"):
        model.predict(X.to_numpy())
