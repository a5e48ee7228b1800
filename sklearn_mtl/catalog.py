"""What a fitted model knows about its users and items.

The catalog learns, from the training rows, which columns describe a user
and which an item, the latest value of those columns for every id, and which
(user, item) pairs are interactions. From that it builds the network inputs
of any (user, item) pair given the ids alone, which is what ``recommend``
needs, and it marks the pairs that are interactions (for the interaction
history, and to leave seen items out of recommendations).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .inputs import CATEGORICAL, NUMERIC, TEXT, NetworkInputs, TableLookup
from .schema import FeatureSchema
from .tasks import Task, is_binary
from .text import text_values

__all__ = ["Catalog", "SideBlock", "fit_catalog", "interaction_rows", "split_entity_columns"]


def split_entity_columns(
    frame: pd.DataFrame, user_col: str, item_col: str
) -> tuple[list[str], list[str], list[str]]:
    """Which columns describe the user, which the item, and which neither.

    A column is a user column when it never varies within one user, an item
    column when it never varies within one item (a column constant in both
    counts as a user column); the rest describe the interaction itself.

    Parameters
    ----------
    frame : DataFrame
        Interactions with the side columns of their user and item.
    user_col : str
        Column of ``frame`` with the user ids.
    item_col : str
        Column of ``frame`` with the item ids.

    Returns
    -------
    user_columns, item_columns, interaction_columns : list of str
    """
    others = [c for c in frame.columns if c not in (user_col, item_col)]
    if not others:
        return [], [], []
    # nunique(dropna=False) > 1 within any group → varies.
    per_user = frame.groupby(user_col, sort=False)[others].nunique(dropna=False).max()
    per_item = frame.groupby(item_col, sort=False)[others].nunique(dropna=False).max()
    user_columns = [c for c in others if per_user[c] <= 1]
    item_columns = [c for c in others if c not in user_columns and per_item[c] <= 1]
    interaction_columns = [c for c in others if c not in user_columns + item_columns]
    return user_columns, item_columns, interaction_columns


def interaction_rows(
    tasks: Mapping[str, Task], interaction_task: str | None, Y: pd.DataFrame
) -> np.ndarray:
    """Which rows of the targets ``Y`` are interactions.

    Every row when ``interaction_task`` is None; else the rows whose label of
    that binary task is the positive class.
    """
    if interaction_task is None:
        return np.ones(len(Y), dtype=bool)
    task = tasks.get(interaction_task)
    if task is None or not is_binary(task):
        raise ValueError(
            f"interaction_task={interaction_task!r} must name a binary task; "
            f"tasks are {list(tasks)}."
        )
    return task.encode(Y[interaction_task]) == 1


def fit_catalog(
    params: Mapping[str, Any],
    X: pd.DataFrame,
    schema: FeatureSchema,
    tasks: Mapping[str, Task],
    Y: pd.DataFrame,
) -> Catalog | None:
    """The catalog of a fit from the estimator's parameters, or None without id columns.

    Checks that ``user_col`` and ``item_col`` come together and that
    ``interaction_history`` has them; ``interaction_task`` says which rows
    are interactions.
    """
    user_col, item_col = params["user_col"], params["item_col"]
    if (user_col is None) != (item_col is None):
        raise ValueError("user_col and item_col must be given together.")
    if user_col is None:
        if params["interaction_history"]:
            raise ValueError("interaction_history=True needs user_col and item_col.")
        return None
    catalog = Catalog(user_col, item_col, params["user_features"], params["item_features"])
    return catalog.fit(X, schema, interaction_rows(tasks, params["interaction_task"], Y))


class SideBlock(NamedTuple):
    """The encoded columns of distinct users (or items), one row per id."""

    categorical: dict
    numeric: dict
    text: dict
    codes: np.ndarray


class Catalog:
    """Users, items and interactions learned from a training frame.

    Parameters
    ----------
    user_col, item_col : str
        The id columns.
    user_features, item_features : list of str or None
        The columns that describe users and items; ``None`` infers them as
        the columns that never vary within one user or one item.

    Attributes
    ----------
    user_features_, item_features_ : list of str
    users_, items_ : DataFrame
        Latest value of each user's (item's) columns, indexed by id.
    interactions_ : ndarray of int64 or None
        Sorted keys ``user_code * n_item_codes + item_code`` of the
        interactions; None in a model saved without them (no pair is then
        known to be an interaction).
    schema_ : FeatureSchema
        The schema that encodes the ids and features (extended by ``update``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mtl.catalog import Catalog
    >>> from sklearn_mtl.schema import FeatureSchema
    >>> X = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "x"],
    ...                   "age": [30.0, 30.0, 40.0]})
    >>> schema = FeatureSchema(always_categorical=["user", "item"]).fit(X)
    >>> catalog = Catalog("user", "item").fit(X, schema, np.ones(3, dtype=bool))
    >>> catalog.user_features_, catalog.item_features_
    (['age'], [])
    >>> catalog.in_history(np.array([2, 2]), np.array([1, 2])).tolist()  # (b, x), (b, y)
    [True, False]
    """

    def __init__(
        self,
        user_col: Hashable,
        item_col: Hashable,
        user_features: Sequence[Hashable] | None = None,
        item_features: Sequence[Hashable] | None = None,
    ) -> None:
        self.user_col = user_col
        self.item_col = item_col
        self.user_features = user_features
        self.item_features = item_features

    def fit(self, X: pd.DataFrame, schema: FeatureSchema, interactions: np.ndarray) -> Catalog:
        """Learn from ``X`` (already checked by ``schema``); ``interactions`` masks its rows.

        Parameters
        ----------
        X : DataFrame
            The training rows.
        schema : FeatureSchema
            The fitted schema of ``X``.
        interactions : ndarray of bool of shape (n_samples,)
            Which rows are interactions (for the histories and ``exclude_seen``).

        Returns
        -------
        self : Catalog
        """
        for name, column in (("user_col", self.user_col), ("item_col", self.item_col)):
            if column not in X.columns:
                raise ValueError(f"{name}={column!r} is not a column of X.")
        if self.user_col == self.item_col:
            raise ValueError("user_col and item_col must be different columns.")
        inferred_users, inferred_items, _ = split_entity_columns(X, self.user_col, self.item_col)
        self.user_features_ = self._columns(X, "user_features", self.user_features, inferred_users)
        self.item_features_ = self._columns(X, "item_features", self.item_features, inferred_items)
        overlap = set(self.user_features_) & set(self.item_features_)
        if overlap:
            raise ValueError(f"Columns {sorted(overlap)} are both user and item features.")
        described = {self.user_col, self.item_col, *self.user_features_, *self.item_features_}
        self.context_features_ = [c for c in X.columns if c not in described]

        # The latest row of each id holds its current description.
        self.users_ = X.groupby(self.user_col, sort=False)[self.user_features_].last()
        self.items_ = X.groupby(self.item_col, sort=False)[self.item_features_].last()

        self.n_item_codes_ = len(schema.vocabularies_[self.item_col]) + 1
        self.interactions_ = np.unique(self._keys(X, schema, interactions))
        self.schema_ = schema
        return self

    def update(self, X: pd.DataFrame, schema: FeatureSchema, interactions: np.ndarray) -> bool:
        """Take in new rows: new users and items, newer descriptions, new interactions.

        ``schema`` has already been extended with the new ids. Returns whether
        the set of interactions changed.

        Parameters
        ----------
        X : DataFrame
            The new rows.
        schema : FeatureSchema
            The schema, extended with the new ids.
        interactions : ndarray of bool of shape (n_samples,)
            Which rows are interactions.

        Returns
        -------
        bool
        """
        for side, id_col, features in (
            ("users_", self.user_col, self.user_features_),
            ("items_", self.item_col, self.item_features_),
        ):
            latest = X.groupby(id_col, sort=False)[features].last()
            table = getattr(self, side)
            known = latest.index.isin(table.index)
            table = table.copy()
            table.loc[latest.index[known]] = latest[known]
            setattr(self, side, pd.concat([table, latest[~known]]))

        # Keys depend on the number of item codes, which may have grown.
        old_users, old_items = self.interaction_codes()
        self.n_item_codes_ = len(schema.vocabularies_[self.item_col]) + 1
        old_keys = old_users * self.n_item_codes_ + old_items
        keys = np.union1d(old_keys, self._keys(X, schema, interactions))
        changed = len(keys) != len(old_keys)
        self.interactions_ = keys
        self.schema_ = schema
        return changed

    def forget(
        self,
        users: Sequence[Hashable],
        items: Sequence[Hashable],
        new_user_codes: np.ndarray,
        new_item_codes: np.ndarray,
        schema: FeatureSchema,
    ) -> None:
        """Drop ``users`` and ``items``: their descriptions and every interaction they had.

        ``schema`` has already removed them from its vocabularies;
        ``new_user_codes`` and ``new_item_codes`` map each old code to its new
        one (-1 for the removed).

        Parameters
        ----------
        users, items : sequence
            Ids to drop.
        new_user_codes, new_item_codes : ndarray of int
            Each old code's new code, -1 for the removed.
        schema : FeatureSchema
            The schema, with the ids already removed.
        """
        self.users_ = self.users_[~self.users_.index.isin(list(users))]
        self.items_ = self.items_[~self.items_.index.isin(list(items))]
        self.schema_ = schema
        if self.interactions_ is None:
            self.n_item_codes_ = len(schema.vocabularies_[self.item_col]) + 1
            return
        old_users, old_items = self.interaction_codes()
        user_codes, item_codes = new_user_codes[old_users], new_item_codes[old_items]
        kept = (user_codes >= 0) & (item_codes >= 0)
        self.n_item_codes_ = len(schema.vocabularies_[self.item_col]) + 1
        self.interactions_ = np.unique(user_codes[kept] * self.n_item_codes_ + item_codes[kept])

    def _keys(self, X: pd.DataFrame, schema: FeatureSchema, interactions: np.ndarray) -> np.ndarray:
        """Keys ``user_code * n_item_codes_ + item_code`` of the interaction rows of ``X``."""
        users = schema.encode_categorical(self.user_col, X[self.user_col])[interactions]
        items = schema.encode_categorical(self.item_col, X[self.item_col])[interactions]
        return users * self.n_item_codes_ + items

    @staticmethod
    def _columns(X, name, given, inferred) -> list:
        if given is None:
            return list(inferred)
        unknown = [c for c in given if c not in X.columns]
        if unknown:
            raise ValueError(f"{name} names columns that are not in X: {unknown}.")
        return list(given)

    # ----------------------------------------------------------- interactions

    def interaction_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(user codes, item codes) of the distinct interactions."""
        return self.interactions_ // self.n_item_codes_, self.interactions_ % self.n_item_codes_

    def rows_in_history(self, categorical: np.ndarray) -> np.ndarray:
        """:meth:`in_history` of rows encoded by ``schema_`` (their categorical codes).

        Parameters
        ----------
        categorical : ndarray of shape (n_rows, n_categorical), int
            The rows' category codes.

        Returns
        -------
        ndarray of bool
        """
        columns = self.schema_.categorical_columns_
        users = categorical[:, columns.index(self.user_col)]
        items = categorical[:, columns.index(self.item_col)]
        return self.in_history(users, items)

    def in_history(self, user_codes: np.ndarray, item_codes: np.ndarray) -> np.ndarray:
        """Whether each (user code, item code) pair is a training interaction.

        The :data:`~sklearn_mtl.inputs.IN_HISTORY` flag of those pairs;
        always False in a model saved without its interactions.

        Parameters
        ----------
        user_codes, item_codes : ndarray of int
            The pairs' codes.

        Returns
        -------
        ndarray of bool
        """
        keys = np.asarray(user_codes, np.int64) * self.n_item_codes_ + np.asarray(item_codes)
        if self.interactions_ is None:
            return np.zeros(keys.shape, dtype=bool)
        position = np.searchsorted(self.interactions_, keys)
        position = np.minimum(position, len(self.interactions_) - 1)
        return self.interactions_[position] == keys

    # ------------------------------------------------------- pair encoding

    def _encode_side(
        self, ids: np.ndarray, id_col: Hashable, features: list, table: pd.DataFrame
    ) -> SideBlock:
        """The encoded columns of one side, looked up by id in ``table``.

        Ids without a row get the unseen code, the training mean (0 once
        standardized) and empty text: the cold-start fallback.
        """
        schema = self.schema_
        known = table.index.get_indexer(ids) >= 0
        rows = table.reindex(ids)
        categorical, numeric, text = {}, {}, {}
        codes = schema.encode_categorical(id_col, pd.Series(ids))
        categorical[id_col] = codes
        for column in features:
            values = rows[column]
            if column in schema.vocabularies_:
                categorical[column] = schema.encode_categorical(column, values)
            elif column in schema.text_columns_:
                text[column] = text_values(column, values)
            else:
                mean = schema.mean_[schema.numeric_columns_.index(column)]
                filled = values.astype(np.float64).where(known, mean)
                numeric[column] = schema.standardize(column, filled)
        return SideBlock(categorical, numeric, text, codes)

    def encode_users(self, ids: np.ndarray) -> SideBlock:
        """Encode users by id, with the features learned for each.

        Parameters
        ----------
        ids : ndarray
            User ids; unknown ids get the unseen code and missing features.

        Returns
        -------
        SideBlock
        """
        return self._encode_side(ids, self.user_col, self.user_features_, self.users_)

    def encode_items(self, ids: np.ndarray, described: pd.DataFrame | None = None) -> SideBlock:
        """Encode items by id; ``described`` (indexed by id) replaces what was learned.

        Parameters
        ----------
        ids : ndarray
            Item ids; unknown ids get the unseen code and missing features.
        described : DataFrame, default=None
            Item features indexed by id, as :meth:`check_described_items` returns.

        Returns
        -------
        SideBlock
        """
        table = self.items_ if described is None else described
        return self._encode_side(ids, self.item_col, self.item_features_, table)

    def check_described_items(self, items: pd.DataFrame) -> pd.DataFrame:
        """Candidate items given as rows (id and item features), indexed by id.

        Parameters
        ----------
        items : DataFrame
            The item id column and every item feature column seen in ``fit``.

        Returns
        -------
        DataFrame
        """
        needed = [self.item_col, *self.item_features_]
        missing = [c for c in needed if c not in items.columns]
        if missing:
            raise ValueError(
                f"items is a DataFrame without the columns {missing}; a described item "
                f"needs {needed}."
            )
        if items[self.item_col].duplicated().any():
            raise ValueError(f"items has duplicate ids in column {self.item_col!r}.")
        return items.set_index(self.item_col)[self.item_features_]

    def assemble(
        self,
        users: SideBlock,
        items: SideBlock,
        user_index: np.ndarray,
        item_index: np.ndarray,
        embed_text: Callable[[Hashable, np.ndarray], np.ndarray] | None = None,
    ) -> NetworkInputs:
        """Network inputs of the pairs (users[user_index[k]], items[item_index[k]]).

        ``embed_text(column, texts)`` turns one side's texts into a table of
        vectors; each pair then reads its row of that table.

        Parameters
        ----------
        users, items : SideBlock
            The encoded users and items.
        user_index, item_index : ndarray of int
            Each pair's row in ``users`` and in ``items``.
        embed_text : callable, default=None
            Needed when the sides have text columns.

        Returns
        -------
        NetworkInputs
        """
        if self.context_features_:
            raise ValueError(
                f"Columns {self.context_features_} describe neither the user nor the item "
                "(they vary within users and within items), so they cannot be filled in "
                "for recommendations; drop them from X or name user_features/item_features."
            )
        schema = self.schema_
        n = len(user_index)
        categorical = np.empty((n, len(schema.categorical_columns_)), dtype=np.int64)
        numeric = np.empty((n, len(schema.numeric_columns_)), dtype=np.float32)
        tables, codes = {}, {}
        for side, index in ((users, user_index), (items, item_index)):
            for column, values in side.categorical.items():
                categorical[:, schema.categorical_columns_.index(column)] = values[index]
            for column, values in side.numeric.items():
                numeric[:, schema.numeric_columns_.index(column)] = values[index]
            for column, values in side.text.items():
                tables[column], codes[column] = embed_text(column, values), index
        features: NetworkInputs = {CATEGORICAL: categorical, NUMERIC: numeric}
        if schema.text_columns_:
            columns = schema.text_columns_
            features[TEXT] = TableLookup(
                [tables[c] for c in columns], np.column_stack([codes[c] for c in columns])
            )
        return features
