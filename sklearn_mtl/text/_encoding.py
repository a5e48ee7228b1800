"""Text columns turned into network inputs by fitted text encoders."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..inputs import TableLookup
from ._columns import text_values

__all__ = ["embed_texts", "encode_text_columns", "fit_text_encoders"]


def fit_text_encoders(
    X: pd.DataFrame, columns: Sequence[Hashable], encoder: Any
) -> dict[Hashable, Any]:
    """One clone of ``encoder`` per text column, fitted on the column's distinct texts.

    Parameters
    ----------
    X : DataFrame
        The training rows.
    columns : sequence
        The text columns of ``X``.
    encoder : transformer
        Unfitted; a :class:`SentenceEmbedder` or any transformer of a text
        column to vectors.

    Returns
    -------
    dict
        Column → fitted encoder.
    """
    encoders = {}
    for column in columns:
        distinct = pd.unique(text_values(column, X[column]))
        encoders[column] = clone(encoder).fit(pd.DataFrame({column: distinct}))
    return encoders


def embed_texts(encoder: Any, column: Hashable, texts: np.ndarray) -> np.ndarray:
    """Vectors (float32, one row per text) of ``texts`` of ``column`` from its fitted encoder.

    Parameters
    ----------
    encoder : transformer
        The column's fitted encoder.
    column : hashable
        The column's name.
    texts : ndarray of str
        Texts of that column.

    Returns
    -------
    ndarray of shape (n_texts, width), float32
    """
    vectors = encoder.transform(pd.DataFrame({column: texts}))
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(texts):
        raise TypeError(
            f"text_encoder must return one row per text; it returned shape "
            f"{vectors.shape} for {len(texts)} texts of column {column!r}."
        )
    if not np.all(np.isfinite(vectors)):
        raise ValueError(f"text_encoder returned NaN or infinite values for {column!r}.")
    return vectors


def encode_text_columns(X: pd.DataFrame, encoders: Mapping[Hashable, Any]) -> TableLookup:
    """Each text column's distinct texts embedded once, and each row's text code.

    Parameters
    ----------
    X : DataFrame
        Rows with the text columns.
    encoders : mapping
        Column → fitted encoder, as :func:`fit_text_encoders` returns.

    Returns
    -------
    TableLookup
    """
    tables, codes = [], []
    for column, encoder in encoders.items():
        row_codes, distinct = pd.factorize(text_values(column, X[column]))
        tables.append(embed_texts(encoder, column, np.asarray(distinct, dtype=object)))
        codes.append(row_codes)
    return TableLookup(tables, np.column_stack(codes))
