"""Tensor dataset and a batch loader that cuts batches by slicing.

skorch's default ``DataLoader`` collates one sample at a time, which makes a
small tabular network 4-6x slower than a hand-written loop. Here a batch is one
fancy-indexing operation per tensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["BatchSlicer", "TensorDictDataset", "HoldoutSplit", "TableLookup"]

Batch = tuple[dict[str, torch.Tensor], torch.Tensor | None]


class TableLookup:
    """Rows of small tables gathered per batch: a feature stored as codes.

    A text column of an interaction log repeats a few thousand distinct
    titles over hundreds of thousands of rows. Storing one code per row and
    one vector per distinct text, and gathering the vectors of each batch
    only when it is cut, keeps memory and encoding time independent of how
    often a text repeats.

    Parameters
    ----------
    tables : sequence of array-like of shape (n_distinct_j, width_j)
        One table per column.
    codes : array-like of int of shape (n_samples, n_columns)
        Row of each sample in each table.
    """

    def __init__(self, tables, codes) -> None:
        self.tables = [torch.as_tensor(table, dtype=torch.float32) for table in tables]
        self.codes = torch.as_tensor(codes, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index) -> torch.Tensor:
        codes = self.codes[index]
        return torch.cat([table[codes[:, j]] for j, table in enumerate(self.tables)], dim=1)

    def subset(self, index) -> TableLookup:
        """The same tables for the samples ``index``."""
        return TableLookup(self.tables, self.codes[index])


class TensorDictDataset(Dataset):
    """Named feature tensors with an optional target tensor, indexed as a whole.

    Parameters
    ----------
    features : mapping of str to array-like
        Network inputs, each with the samples on the first axis.
    targets : array-like of shape (n_samples, n_tasks), default=None
        Encoded targets (NaN = no label).
    """

    def __init__(
        self, features: Mapping[str, np.ndarray | torch.Tensor | TableLookup], targets=None
    ) -> None:
        self.features = {
            name: value if isinstance(value, TableLookup) else torch.as_tensor(value)
            for name, value in features.items()
        }
        self.targets = None if targets is None else torch.as_tensor(targets)

    def __len__(self) -> int:
        return len(next(iter(self.features.values())))

    def __getitem__(self, index) -> Batch:
        features = {name: value[index] for name, value in self.features.items()}
        targets = None if self.targets is None else self.targets[index]
        return features, targets

    def subset(self, index: np.ndarray) -> TensorDictDataset:
        """A new dataset holding the rows ``index``."""
        index = torch.as_tensor(index, dtype=torch.long)
        features = {
            name: value.subset(index) if isinstance(value, TableLookup) else value[index]
            for name, value in self.features.items()
        }
        targets = None if self.targets is None else self.targets[index]
        return TensorDictDataset(features, targets)


class BatchSlicer:
    """Iterate over a :class:`TensorDictDataset` in batches cut by slicing.

    Used as skorch's ``iterator_train`` and ``iterator_valid``.

    Parameters
    ----------
    dataset : TensorDictDataset
    batch_size : int
    shuffle : bool, default=False
        Visit the rows in a new random order at every pass.
    random_state : numpy.random.Generator, default=None
        Source of the shuffling order. The same generator object is shared by
        the passes of one fit, so every epoch gets a new, reproducible order.
    """

    def __init__(
        self,
        dataset: TensorDictDataset,
        batch_size: int,
        shuffle: bool = False,
        random_state: np.random.Generator | None = None,
    ) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state

    def _bounds(self) -> list[tuple[int, int]]:
        n_samples, size = len(self.dataset), self.batch_size
        bounds = [(start, min(start + size, n_samples)) for start in range(0, n_samples, size)]
        if self.shuffle and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            # A training batch of one row cannot be batch-normalized: the
            # previous batch takes it in (no row is dropped).
            bounds[-2:] = [(bounds[-2][0], n_samples)]
        return bounds

    def __len__(self) -> int:
        return len(self._bounds())

    def __iter__(self) -> Iterator[Batch]:
        if self.shuffle:
            rng = self.random_state if self.random_state is not None else np.random.default_rng()
            order = torch.from_numpy(rng.permutation(len(self.dataset)))
            for start, stop in self._bounds():
                yield self.dataset[order[start:stop]]
        else:
            for start, stop in self._bounds():
                yield self.dataset[start:stop]


class HoldoutSplit:
    """skorch ``train_split`` that holds out a random fraction of the rows.

    Parameters
    ----------
    fraction : float
        Share of rows in the validation set.
    random_state : int
        Seed of the split.
    """

    def __init__(self, fraction: float, random_state: int) -> None:
        self.fraction = fraction
        self.random_state = random_state

    def __call__(self, dataset: TensorDictDataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = round(self.fraction * n_samples)
        if n_valid < 1 or n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves {n_valid} of {n_samples} rows "
                "for validation; it needs at least one row on each side."
            )
        order = np.random.default_rng(self.random_state).permutation(n_samples)
        return dataset.subset(order[n_valid:]), dataset.subset(order[:n_valid])
