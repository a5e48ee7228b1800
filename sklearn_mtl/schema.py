"""Feature schema: which input columns are categorical or numeric, and how to encode them.

Categorical columns become integer codes ``1..V`` in the order their values
were first seen in ``fit``; code ``0`` is reserved for missing values and for
values never seen in ``fit``, so new users and items can always be scored.
Numeric columns are standardized with the training mean and standard
deviation and must be finite.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from .inputs import CATEGORICAL, NUMERIC, NetworkInputs

__all__ = ["FeatureSchema", "UNSEEN_CODE"]

#: Integer code of a missing or unseen category (row 0 of every embedding table).
UNSEEN_CODE = 0


def _is_categorical_dtype(column: pd.Series) -> bool:
    # pandas 3 stores text as the ``str`` dtype: only ``is_numeric_dtype`` tells
    # numbers apart reliably, and booleans count as categories, not numbers.
    return pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column)


def _finite_numbers(column: Hashable, values: pd.Series) -> np.ndarray:
    """A numeric column as float64, refusing text and non-finite values by name."""
    if _is_categorical_dtype(values):
        raise TypeError(
            f"Column {column!r} is not numeric (dtype {values.dtype}); list it "
            "in categorical_features or convert it to numbers."
        )
    if pd.api.types.is_complex_dtype(values):
        raise TypeError(f"Column {column!r} holds complex numbers; features must be real numbers.")
    as_float = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.all(np.isfinite(as_float)):
        raise ValueError(
            f"Column {column!r} holds NaN or infinite values; numeric features "
            "must be finite (impute them first, e.g. with SimpleImputer)."
        )
    return as_float


def _plain_numbers(X: pd.DataFrame, columns: list) -> bool:
    """Whether ``columns`` of ``X`` are all plain float or integer columns."""
    return bool(columns) and all(
        pd.api.types.is_float_dtype(X[c]) or pd.api.types.is_integer_dtype(X[c]) for c in columns
    )


def _categories(column: Hashable, values: pd.Series) -> np.ndarray:
    """The distinct non-missing values of a categorical column, in order of appearance."""
    try:
        observed = values[~pd.isna(values)]
        return pd.unique(observed.to_numpy(dtype=object))
    except (TypeError, ValueError):
        kinds = sorted({type(v).__name__ for v in values})
        raise TypeError(
            f"Column {column!r} is categorical but holds values that cannot be "
            f"categories (types {kinds}); categories must be hashable scalars such "
            "as strings or integers."
        ) from None


def _given_vocabulary(column: Hashable, values: Sequence) -> pd.Index:
    """The vocabulary ``categories`` gives ``column``: distinct, without missing values."""
    vocabulary = pd.Index(list(values), dtype=object)
    if vocabulary.hasnans:
        raise ValueError(f"categories[{column!r}] holds a missing value.")
    if not vocabulary.is_unique:
        duplicated = list(vocabulary[vocabulary.duplicated()][:5])
        raise ValueError(f"categories[{column!r}] lists values twice: {duplicated}.")
    return vocabulary


def _spelled_as(value: object, kinds: set[type]) -> object:
    """``value`` converted to the one type of the categories it may spell, else None."""
    if len(kinds) != 1:
        return None  # mixed categories: no conversion is unambiguous
    (kind,) = kinds
    if issubclass(kind, (int, np.integer)) and not issubclass(kind, bool):
        text = value.strip() if isinstance(value, str) else None
        if text and text.lstrip("+-").isdigit():
            return kind(int(text))
        return None
    if issubclass(kind, str) and isinstance(value, (int, np.integer)):
        return str(int(value))
    return None


class FeatureSchema:
    """Learns column roles and encodings from a training frame.

    Parameters
    ----------
    categorical_features : "from_dtype" or sequence of column labels
        ``"from_dtype"`` treats string, object, category and bool columns as
        categorical and every other column as numeric. A sequence names the
        categorical columns explicitly (for example integer id columns); every
        other column must then be numeric.
    always_categorical : sequence of column labels, default=()
        Columns that are categorical whatever their dtype (user and item ids).
    text_features : sequence of column labels, default=()
        Free-text columns, encoded elsewhere (by a language model): they are
        neither categorical nor numeric here.
    categories : mapping of column label to sequence, default=None
        The complete vocabulary of some categorical columns, known beforehand
        (e.g. from :meth:`~sklearn_mtl.datasets.ParquetLog.categories`): those
        columns are categorical, their codes follow this order, and a value
        outside it is an error in ``fit`` and ``extend`` (which never grows
        them), as in ``OneHotEncoder(categories=...)``.

    Attributes
    ----------
    categorical_columns_ : list
        Categorical columns, in input order.
    numeric_columns_ : list
        Numeric columns, in input order.
    text_columns_ : list
        Text columns, in the order of ``text_features``.
    vocabularies_ : dict
        Column → ``pandas.Index`` of the categories seen in ``fit``; category
        ``vocabularies_[c][i]`` has code ``i + 1``.
    mean_, scale_ : ndarray of shape (n_numeric,)
        Standardization of the numeric columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.schema import FeatureSchema
    >>> X = pd.DataFrame({"user": ["a", "b", "a"], "age": [20.0, 30.0, 40.0]})
    >>> schema = FeatureSchema("from_dtype").fit(X)
    >>> schema.transform(pd.DataFrame({"user": ["b", "z"], "age": [30.0, 30.0]}))["categorical"]
    array([[2],
           [0]])
    """

    def __init__(
        self,
        categorical_features: str | Sequence[Hashable] = "from_dtype",
        always_categorical: Sequence[Hashable] = (),
        text_features: Sequence[Hashable] = (),
        categories: Mapping[Hashable, Sequence] | None = None,
    ) -> None:
        self.categorical_features = categorical_features
        self.always_categorical = always_categorical
        self.text_features = text_features
        self.categories = categories

    def fit(self, X: pd.DataFrame) -> FeatureSchema:
        """Learn each column's kind, the vocabularies and the numeric scalers.

        Parameters
        ----------
        X : DataFrame
            The training features.

        Returns
        -------
        self : FeatureSchema
        """
        text = list(self.text_features)
        unknown = [c for c in text if c not in X.columns]
        if unknown:
            raise ValueError(f"text_features names columns that are not in X: {unknown}.")
        clash = [c for c in text if c in set(self.always_categorical)]
        if clash:
            raise ValueError(f"Columns {clash} are ids; they cannot also be text_features.")
        self.text_columns_ = text
        if isinstance(self.categorical_features, str):
            categorical = [
                c for c in X.columns if c not in set(text) and _is_categorical_dtype(X[c])
            ]
        else:
            requested = list(self.categorical_features)
            unknown = [c for c in requested if c not in X.columns]
            if unknown:
                raise ValueError(
                    f"categorical_features names columns that are not in X: {unknown}."
                )
            overlap = [c for c in requested if c in set(text)]
            if overlap:
                raise ValueError(
                    f"Columns {overlap} are in both categorical_features and text_features."
                )
            categorical = [c for c in X.columns if c in set(requested)]
        given = dict(self.categories or {})
        unknown = [c for c in given if c not in X.columns]
        if unknown:
            raise ValueError(f"categories names columns that are not in X: {unknown}.")
        clash = [c for c in given if c in set(text)]
        if clash:
            raise ValueError(f"Columns {clash} are text_features; they cannot have categories.")
        forced = set(self.always_categorical) | set(given)
        categorical = [c for c in X.columns if c in set(categorical) or c in forced]
        self.categorical_columns_ = categorical
        self.numeric_columns_ = [
            c for c in X.columns if c not in set(categorical) and c not in set(text)
        ]

        self.vocabularies_ = {}
        for column in self.categorical_columns_:
            if column in given:
                self.vocabularies_[column] = _given_vocabulary(column, given[column])
                self._check_known(column, X[column])
            else:
                self.vocabularies_[column] = pd.Index(_categories(column, X[column]))

        numeric = self._finite_block(X)
        if len(numeric):
            self.mean_ = numeric.mean(axis=0)
            # Column by column over the column-major view: no centered copy
            # of the whole block (large fresh arrays are slow to fault in).
            by_column = numeric.T
            scale = np.array(
                [
                    np.sqrt(np.mean(np.square(values - m)))
                    for values, m in zip(by_column, self.mean_, strict=True)
                ]
            )
        else:
            self.mean_, scale = np.zeros(numeric.shape[1]), np.ones(numeric.shape[1])
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def extend(self, X: pd.DataFrame) -> int:
        """Append the categories of ``X`` never seen before to the vocabularies.

        Existing codes never change, so embedding rows stay valid; new
        categories get the next codes, in the order they appear. Numeric
        scalers are kept (changing them would move every input).

        Parameters
        ----------
        X : DataFrame
            Rows with the schema's columns.

        Returns
        -------
        int
            Number of categories added over all columns.
        """
        added = 0
        given = self.categories or {}
        for column in self.categorical_columns_:
            if column in given:
                self._check_known(column, X[column])  # a fixed vocabulary
                continue
            observed = _categories(column, X[column])
            vocabulary = self.vocabularies_[column]
            new = observed[vocabulary.get_indexer(observed) < 0]
            if len(new):
                self.vocabularies_[column] = vocabulary.append(pd.Index(new, dtype=object))
                added += len(new)
        return added

    def _check_known(self, column: Hashable, values: pd.Series) -> None:
        """Refuse values of ``column`` outside its given ``categories``."""
        observed = _categories(column, values)
        unknown = observed[self.vocabularies_[column].get_indexer(observed) < 0]
        if len(unknown):
            raise ValueError(
                f"Column {column!r} holds {len(unknown)} values that are not in its "
                f"categories, e.g. {list(unknown[:5])}; categories must list them all."
            )

    def match_categories(self, column: Hashable, values: Sequence) -> np.ndarray:
        """``values`` with each one that is not a category replaced by the category it spells.

        A value matches after an unambiguous type conversion: the string
        ``"12"`` where the categories are integers (``12``), the integer
        ``12`` where they are strings (``"12"``). Others are left as they are
        (and encode as unseen).

        Parameters
        ----------
        column : hashable
            A categorical column of the schema.
        values : sequence
            Values of that column.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_mtl.schema import FeatureSchema
        >>> schema = FeatureSchema(["user"]).fit(pd.DataFrame({"user": [1, 2, 3]}))
        >>> schema.match_categories("user", ["2", 3, "x"]).tolist()
        [2, 3, 'x']
        """
        vocabulary = self.vocabularies_[column]
        values = np.array(values, dtype=object).reshape(-1)
        unmatched = vocabulary.get_indexer(pd.Index(values, dtype=object)) < 0
        if not unmatched.any():
            return values
        kinds = {type(v) for v in vocabulary[: min(len(vocabulary), 1000)]}
        for position in np.flatnonzero(unmatched):
            candidate = _spelled_as(values[position], kinds)
            if candidate is not None and candidate in vocabulary:
                values[position] = candidate
        return values

    def remove_categories(self, column: Hashable, values: Sequence) -> np.ndarray:
        """Take ``values`` out of the vocabulary of ``column``, as if never seen.

        The other categories keep their order and move up to close the gaps
        (and leave ``categories``, when it lists the column). Every value must
        be in the vocabulary.

        Parameters
        ----------
        column : hashable
            A categorical column of the schema.
        values : sequence
            Values of that column.

        Returns
        -------
        ndarray of int64
            The new code of each old code (0, the unseen code, stays 0; a
            removed category's is -1).
        """
        vocabulary = self.vocabularies_[column]
        position = vocabulary.get_indexer(pd.Index(values, dtype=object))
        if (position < 0).any():
            raise ValueError(f"Column {column!r} has no categories {list(values)[:5]}.")
        kept = np.ones(len(vocabulary), dtype=bool)
        kept[position] = False
        self.vocabularies_[column] = vocabulary[kept]
        if self.categories and column in self.categories:
            removed = set(vocabulary[~kept])
            given = [value for value in self.categories[column] if value not in removed]
            self.categories = {**self.categories, column: given}
        new_codes = np.full(len(vocabulary) + 1, -1, dtype=np.int64)
        new_codes[0] = 0
        new_codes[1:][kept] = np.arange(1, kept.sum() + 1)
        return new_codes

    @property
    def cardinalities_(self) -> list[int]:
        """Rows of each embedding table: the vocabulary plus the unseen code."""
        return [len(self.vocabularies_[c]) + 1 for c in self.categorical_columns_]

    def numeric_values(self, X: pd.DataFrame) -> np.ndarray:
        """The numeric columns of ``X`` as a new float64 array, unscaled (each must be finite).

        Parameters
        ----------
        X : DataFrame
            Rows with the schema's columns.
        """
        return np.array(self._finite_block(X), dtype=np.float64, copy=True)

    def _finite_block(self, X: pd.DataFrame) -> np.ndarray:
        """The numeric columns of ``X`` as float64, a read-only view where pandas allows one."""
        columns = self.numeric_columns_
        if _plain_numbers(X, columns):
            # One float64 block is handed out without a copy; one finiteness check.
            block = X[columns].to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isfinite(block).all():
                return block
        # Something to refuse, or mixed dtypes: column by column, naming the culprit.
        block = np.empty((len(X), len(columns)), dtype=np.float64)
        for j, column in enumerate(columns):
            block[:, j] = _finite_numbers(column, X[column])
        return block

    def encode_categorical(self, column: Hashable, values: pd.Series) -> np.ndarray:
        """Codes of one categorical column; unseen and missing values get ``UNSEEN_CODE``.

        Parameters
        ----------
        column : hashable
            A column of the schema.
        values : Series
            That column's values.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        try:
            index = self.vocabularies_[column].get_indexer(values.to_numpy(dtype=object))
        except TypeError:
            raise TypeError(
                f"Column {column!r} holds values that cannot be categories (not hashable)."
            ) from None
        return (index + 1).astype(np.int64)

    def standardize(self, column: Hashable, values: pd.Series) -> np.ndarray:
        """Standardized float32 values of one numeric column (which must be finite).

        Parameters
        ----------
        column : hashable
            A column of the schema.
        values : Series
            That column's values.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        j = self.numeric_columns_.index(column)
        return ((_finite_numbers(column, values) - self.mean_[j]) / self.scale_[j]).astype(
            np.float32
        )

    def transform(self, X: pd.DataFrame) -> NetworkInputs:
        """Encode ``X`` into the arrays the network reads.

        Parameters
        ----------
        X : DataFrame
            Rows with the schema's columns.

        Returns
        -------
        dict
            :data:`~sklearn_mtl.inputs.CATEGORICAL`: int64 codes of shape
            (n_samples, n_categorical); :data:`~sklearn_mtl.inputs.NUMERIC`:
            standardized float32 of shape (n_samples, n_numeric).
        """
        categorical = np.zeros((len(X), len(self.categorical_columns_)), dtype=np.int64)
        for j, column in enumerate(self.categorical_columns_):
            categorical[:, j] = self.encode_categorical(column, X[column])
        return {CATEGORICAL: categorical, NUMERIC: self._standardized(X)}

    def _standardized(self, X: pd.DataFrame) -> np.ndarray:
        """The numeric columns standardized, as the network's row-major float32."""
        numeric = self._finite_block(X)  # refuses what is not finite, by column
        # Written straight into one row-major float32 array: training gathers
        # rows (~2x faster than from pandas' column-major block), and no
        # float64 temporary of the whole block is made.
        block = np.empty(numeric.shape, dtype=np.float32)
        np.subtract(numeric, self.mean_, out=block, casting="same_kind")
        block /= self.scale_.astype(np.float32)
        return block
