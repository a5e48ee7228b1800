"""Checking text columns: strings, with NaN and None read as empty text."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

__all__ = ["text_values"]


def text_values(column: Hashable, values: pd.Series | np.ndarray) -> np.ndarray:
    """The values of a text column as an object array of ``str``.

    Missing values (NaN, None) become the empty string, which is embedded
    like any other text. Anything else that is not a string is refused: a
    number in a text column is almost always a column mix-up.

    Parameters
    ----------
    column : hashable
        Name of the column, for error messages.
    values : Series or ndarray
        The column.

    Returns
    -------
    ndarray of object
        One ``str`` per row.

    Raises
    ------
    TypeError
        If a value is neither a string nor missing.
    """
    series = pd.Series(
        np.asarray(values, dtype=object)
        if not isinstance(values, pd.Series)
        else values.astype(object),
        copy=False,
    )
    missing = series.isna().to_numpy()
    present = series.to_numpy()[~missing]
    is_text = np.fromiter((isinstance(v, str) for v in present), dtype=bool, count=len(present))
    if not is_text.all():
        example = present[~is_text][0]
        raise TypeError(
            f"Text column {column!r} must hold strings (or NaN for no text); found "
            f"{type(example).__name__} value {example!r}. Convert it with .astype(str) or "
            "leave it out of text_features."
        )
    out = series.to_numpy(dtype=object, copy=True)
    out[missing] = ""
    return out
