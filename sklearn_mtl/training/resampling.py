"""Fresh negatives at every epoch: the sampling protocol of neural collaborative filtering.

Negatives sampled once before ``fit`` show the network the same few
non-interacted items of each user at every epoch, and it learns to push
exactly those down. Drawing them again at every epoch (He et al., NCF, 2017)
shows it many more, at the cost of one vectorised draw per epoch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from skorch.callbacks import Callback

from ..inputs import CATEGORICAL, IN_HISTORY, TEXT, TensorDictDataset

__all__ = ["NegativeResampling"]

# Rejection rounds before a row keeps its previous item: only a user who has
# interacted with nearly every item gets there.
_MAX_ROUNDS = 64


class NegativeResampling(Callback):
    """Draw the items of the negative rows afresh at the start of every epoch.

    Negative rows are the rows whose ``task_index`` target is 0. From the
    second epoch of each training call on, each of them gets a new item,
    drawn uniformly among the training items that its user never interacted
    with, together with that item's feature values (those of the item's last
    training row). The user's columns, the other columns and the targets stay.

    Parameters
    ----------
    task_index : int
        Column of the targets that marks interactions (1) and negatives (0).
    user_position, item_position : int
        Columns of the user and item ids among the categorical features.
    item_columns : dict of str to list of int
        For each network input (:data:`~sklearn_mtl.inputs.CATEGORICAL`,
        ``NUMERIC``, ``TEXT``), the columns that describe the item and move
        with it.
    in_history : callable
        ``in_history(user_codes, item_codes)`` → boolean array, True where the
        pair is a training interaction.
    random_state : int
        Seed of the draws.
    """

    def __init__(
        self,
        task_index: int,
        user_position: int,
        item_position: int,
        item_columns: dict[str, list[int]],
        in_history: Callable[[np.ndarray, np.ndarray], np.ndarray],
        random_state: int,
    ) -> None:
        self.task_index = task_index
        self.user_position = user_position
        self.item_position = item_position
        self.item_columns = item_columns
        self.in_history = in_history
        self.random_state = random_state

    def on_train_begin(self, net, X=None, **kwargs) -> None:
        # The item table is copied out of the training data, which the draws
        # overwrite; one table per training call follows the items it brings.
        dataset: TensorDictDataset = X
        item_codes = dataset.features[CATEGORICAL][:, self.item_position].numpy()
        reversed_codes = item_codes[::-1]
        self._items, first_from_end = np.unique(reversed_codes, return_index=True)
        last_rows = torch.from_numpy(len(item_codes) - 1 - first_from_end)
        self._tables = {
            name: _columns(dataset, name)[last_rows][:, columns].clone()
            for name, columns in self.item_columns.items()
            if columns
        }
        self._rng = np.random.default_rng([self.random_state, len(net.history)])
        self._first_epoch = len(net.history) + 1

    def on_epoch_begin(self, net, dataset_train=None, **kwargs) -> None:
        if len(net.history) <= self._first_epoch:
            return  # The first epoch trains on the negatives as given.
        rows = torch.nonzero(dataset_train.targets[:, self.task_index] == 0).flatten()
        if not len(rows):
            return
        users = dataset_train.features[CATEGORICAL][rows, self.user_position].numpy()
        drawn, found = self._draw(users)
        rows, drawn = rows[found], torch.from_numpy(drawn[found])
        for name, table in self._tables.items():
            columns = torch.as_tensor(self.item_columns[name])
            target = _columns(dataset_train, name)
            target[rows[:, None], columns] = table[drawn].to(target.dtype)
        if IN_HISTORY in dataset_train.features:
            dataset_train.features[IN_HISTORY][rows] = 0

    def _draw(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A non-interacted item (its position in the table) for each user, and which were found."""
        n_items = len(self._items)
        drawn = self._rng.integers(n_items, size=len(users))
        pending = np.arange(len(users))
        for _ in range(_MAX_ROUNDS):
            in_history = self.in_history(users[pending], self._items[drawn[pending]])
            pending = pending[in_history]
            if not len(pending):
                break
            drawn[pending] = self._rng.integers(n_items, size=len(pending))
        found = np.ones(len(users), dtype=bool)
        found[pending] = False
        return drawn, found

    def on_train_end(self, net, **kwargs) -> None:
        # Nothing of the training data outlives the call (or gets pickled).
        for name in ("_items", "_tables", "_rng"):
            self.__dict__.pop(name, None)


def _columns(dataset: TensorDictDataset, name: str) -> torch.Tensor:
    """The tensor of feature ``name``; text features are stored as table codes."""
    value = dataset.features[name]
    return value.codes if name == TEXT else value
