"""The network's inputs: one name per tensor, and the containers that hold them.

Every stage that produces or consumes network inputs (the schema, the catalog,
batching, negative resampling, the interaction history, ONNX export) uses the
names below, so a batch is always a mapping from these names to tensors and
:meth:`~sklearn_mtl.modules.MultiTaskNetwork.forward` takes them as keywords:

- :data:`CATEGORICAL`: int64 codes, one column per categorical column (0 =
  missing or unseen);
- :data:`NUMERIC`: float32, one column per numeric column (standardized);
- :data:`IN_HISTORY`: float32, 1.0 where the (user, item) pair of the row is a
  training interaction, i.e. is in the interaction history. It is the one
  name for that flag: the history leaves such a pair out of its own pools,
  ``recommend`` leaves such items out when ``exclude_seen``;
- :data:`TEXT`: float32 language-model vectors of the text columns, stored as
  a :class:`TableLookup` (one vector per distinct text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypedDict

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = [
    "CATEGORICAL",
    "INPUT_NAMES",
    "IN_HISTORY",
    "NUMERIC",
    "TEXT",
    "NetworkInputs",
    "TableLookup",
    "TensorDictDataset",
]

CATEGORICAL: Final = "categorical"
NUMERIC: Final = "numeric"
IN_HISTORY: Final = "in_history"
TEXT: Final = "text"
#: The inputs in the order of ``MultiTaskNetwork.forward`` and of the ONNX graph.
INPUT_NAMES: Final = (CATEGORICAL, NUMERIC, IN_HISTORY, TEXT)


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

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.inputs import TableLookup
    >>> lookup = TableLookup([np.array([[0.0], [1.0]])], np.array([[1], [1], [0]]))
    >>> lookup[:2].tolist()
    [[1.0], [1.0]]
    """

    def __init__(self, tables, codes) -> None:
        self.tables = [torch.as_tensor(table, dtype=torch.float32) for table in tables]
        self.codes = torch.as_tensor(codes, dtype=torch.long)

    @property
    def width(self) -> int:
        """Width of the gathered rows: the tables' widths added up."""
        return sum(table.shape[1] for table in self.tables)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index) -> torch.Tensor:
        codes = self.codes[index]
        return torch.cat([table[codes[:, j]] for j, table in enumerate(self.tables)], dim=1)

    def subset(self, index) -> TableLookup:
        """The same tables for the samples ``index``.

        Parameters
        ----------
        index : ndarray of int
            Sample positions.

        Returns
        -------
        TableLookup
        """
        return TableLookup(self.tables, self.codes[index])


class NetworkInputs(TypedDict, total=False):
    """The encoded rows of ``X`` (or of candidate pairs), keyed by input name."""

    categorical: np.ndarray
    numeric: np.ndarray
    in_history: np.ndarray
    text: TableLookup


Batch = tuple[dict[str, torch.Tensor], torch.Tensor | None]


class TensorDictDataset(Dataset):
    """Named feature tensors with an optional target tensor, indexed as a whole.

    Parameters
    ----------
    features : mapping of str to array-like
        Network inputs, each with the samples on the first axis.
    targets : array-like of shape (n_samples, n_tasks), default=None
        Encoded targets (NaN = no label).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.inputs import TensorDictDataset
    >>> dataset = TensorDictDataset({"numeric": np.zeros((4, 2))}, np.ones((4, 1)))
    >>> features, targets = dataset[1:3]
    >>> features["numeric"].shape, targets.shape
    (torch.Size([2, 2]), torch.Size([2, 1]))
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
        if isinstance(index, torch.Tensor):
            # A shuffled batch: index_select gathers rows ~4x faster than
            # advanced indexing on CPU.
            features = {
                name: value[index]
                if isinstance(value, TableLookup)
                else value.index_select(0, index)
                for name, value in self.features.items()
            }
            targets = None if self.targets is None else self.targets.index_select(0, index)
            return features, targets
        features = {name: value[index] for name, value in self.features.items()}
        targets = None if self.targets is None else self.targets[index]
        return features, targets

    def subset(self, index: np.ndarray) -> TensorDictDataset:
        """A new dataset holding the rows ``index``.

        Parameters
        ----------
        index : ndarray of int
            Sample positions.

        Returns
        -------
        TensorDictDataset
        """
        index = torch.as_tensor(index, dtype=torch.long)
        features = {
            name: value.subset(index) if isinstance(value, TableLookup) else value[index]
            for name, value in self.features.items()
        }
        targets = None if self.targets is None else self.targets[index]
        return TensorDictDataset(features, targets)
