"""Checking what users pass as ``X`` and ``y``, with errors that name the problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

__all__ = ["check_features", "check_targets", "format_like_targets"]


def check_features(estimator: Any, X: Any, *, reset: bool) -> pd.DataFrame:
    """Check ``X`` for ``estimator`` and return it as a DataFrame.

    Arrays get integer column labels. ``reset=True`` (in ``fit``) records
    ``n_features_in_`` and ``feature_names_in_`` through scikit-learn's
    ``validate_data``; otherwise ``X`` is checked against them, and a frame
    with the fitted columns in another order is reordered.
    """
    if isinstance(X, pd.DataFrame):
        if X.columns.has_duplicates:
            raise ValueError(f"X has duplicate columns: {list(X.columns[X.columns.duplicated()])}.")
        if not reset and hasattr(estimator, "feature_names_in_"):
            X = _fitted_column_order(X, list(estimator.feature_names_in_))
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        if X.shape[1] == 0:
            raise ValueError("X has no columns; at least one feature is required.")
        return X
    if (
        not reset
        and estimator.schema_.categorical_columns_
        and hasattr(estimator, "feature_names_in_")
    ):
        # An array cannot say which of its columns hold the categories.
        raise ValueError(
            f"X is a {type(X).__name__}, but this model was fitted on a DataFrame with "
            f"columns {list(estimator.feature_names_in_)}; pass X as such a DataFrame."
        )
    _refuse_text_in_array(X)
    array = validate_data(estimator, X, dtype="numeric", reset=reset)
    return pd.DataFrame(array)


def _refuse_text_in_array(X: Any) -> None:
    """A clear error for an object array with text (what a ColumnTransformer hands on)."""
    if not (isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2):
        return
    for j in range(X.shape[1]):
        column = pd.Series(X[:, j])
        text = pd.to_numeric(column, errors="coerce").isna() & column.notna()
        if text.any():
            raise ValueError(
                f"X is a NumPy array of dtype object whose column {j} holds text "
                f"({column[text].iloc[0]!r}): an array loses which columns are categorical. "
                "A ColumnTransformer (or another transformer) hands its output on as such an "
                "array; call .set_output(transform='pandas') on it, or on the Pipeline, to "
                "keep the column names and types (with verbose_feature_names_out=False to "
                "keep the original names), or pass a DataFrame."
            )


def _fitted_column_order(X: pd.DataFrame, expected: list) -> pd.DataFrame:
    # Same columns in another order is the same data: align it rather than fail.
    if list(X.columns) != expected and set(X.columns) == set(expected):
        return X[expected]
    return X


def check_targets(
    y: Any, *, n_samples: int, tasks: Iterable | None, name: str
) -> tuple[pd.DataFrame, str]:
    """``y`` as a DataFrame with one column per task, and the layout it came in.

    Parameters
    ----------
    y : DataFrame, Series or array-like
    n_samples : int
        Rows of ``X``.
    tasks : iterable or None
        The task names ``y`` must hold, in order (e.g. the ``tasks`` dict);
        ``None`` (a first fit with ``tasks=None``) takes them from ``y``.
    name : str
        The estimator's name, for the error when ``y`` is None.

    Returns
    -------
    Y : DataFrame
        Columns named after the tasks, in task order, with a fresh RangeIndex.
    layout : {"frame", "1d", "2d"}
        A DataFrame, a 1-D target, or a 2-D array: predictions come back in
        the same layout.
    """
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    if tasks is not None and not list(tasks):
        raise ValueError("tasks is empty; give at least one task or pass None.")
    if isinstance(y, pd.DataFrame):
        layout, Y = "frame", y.copy()
    elif isinstance(y, pd.Series):
        layout, Y = "1d", y.to_frame(name=y.name if y.name is not None else None)
    else:
        array = np.asarray(y)
        if array.dtype.kind == "c":
            raise ValueError("Complex data not supported for y.")
        if array.ndim == 1:
            layout, Y = "1d", pd.DataFrame({None: array})
        elif array.ndim == 2:
            layout, Y = "2d", pd.DataFrame(array)
        else:
            raise ValueError(f"y must be 1-D or 2-D; got an array of shape {array.shape}.")
    if len(Y) != n_samples:
        raise ValueError(f"X and y have inconsistent numbers of samples: {n_samples} and {len(Y)}.")
    Y.index = pd.RangeIndex(len(Y))
    names = _task_columns(Y, layout, None if tasks is None else list(tasks))
    if layout == "frame":
        Y = Y[names]
    else:
        Y.columns = names
    return Y, layout


def _task_columns(Y: pd.DataFrame, layout: str, expected: list | None) -> list:
    """The task of each column of ``Y``, in task order; checks them against ``expected``."""
    if layout == "frame":
        columns = list(Y.columns)
        if expected is None:
            return columns
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        if missing:
            raise ValueError(
                f"tasks names {missing}, which are not columns of y (y has {columns})."
            )
        if extra:
            raise ValueError(
                f"y has columns {extra} that are not in tasks ({expected}); drop "
                "them or add them to tasks."
            )
        return expected
    if expected is None:
        if layout == "1d":
            name = Y.columns[0]
            return ["y" if name is None else name]
        return [f"y{j}" for j in range(Y.shape[1])]
    if Y.shape[1] != len(expected):
        raise ValueError(f"y has {Y.shape[1]} column(s) but tasks has {len(expected)}: {expected}.")
    return expected


def format_like_targets(
    per_task: Mapping[str, np.ndarray], layout: str, index: pd.Index | None = None
) -> Any:
    """Lay out per-task predictions the way ``y`` was given to ``fit`` (``layout``).

    A DataFrame with one column per task (``"frame"``), the single column
    (``"1d"``), or a 2-D array with columns in task order (``"2d"``; object
    dtype when the tasks' predictions have different kinds).
    """
    if layout == "frame":
        return pd.DataFrame(dict(per_task), index=index)
    columns = list(per_task.values())
    if layout == "1d":
        return columns[0]
    if len({c.dtype.kind for c in columns}) == 1:
        return np.column_stack(columns)
    return np.column_stack([c.astype(object) for c in columns])
