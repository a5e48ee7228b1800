"""Cutting batches by slicing, and the hold-out split of skorch's ``train_split``.

skorch's default ``DataLoader`` collates one sample at a time, which makes a
small tabular network 4-6x slower than a hand-written loop. Here a batch is one
fancy-indexing operation per tensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import torch

from ..inputs import Batch, TableLookup, TensorDictDataset

__all__ = ["BatchSlicer", "HoldoutSplit", "inference_batches"]


class BatchSlicer:
    """Iterate over a :class:`~sklearn_mtl.inputs.TensorDictDataset` in batches cut by slicing.

    Used as skorch's ``iterator_train`` and ``iterator_valid``.

    Parameters
    ----------
    dataset : TensorDictDataset
    batch_size : int
    shuffle : bool, default=False
        Visit the rows in a random order.
    random_state : int, default=None
        Seed of the shuffling order, together with ``epoch``: each epoch gets
        its own order, and the order of epoch ``e`` does not depend on what
        ran before it (so a model loaded from disk continues with the orders
        it would have had). ``None`` draws unreproducible orders.
    epoch : int, default=0
        The training epoch this pass belongs to; :class:`MultiTaskNet` sets
        it before every training pass.
    n_shards : int, default=1
        Data-parallel training: the number of processes that share each pass.
        Every process cuts the same batches (the same ``random_state`` gives
        the same order) and takes every ``n_shards``-th of them; each takes
        ``ceil(n_batches / n_shards)`` batches, the last ones wrapping around to
        the first batches, so that every process makes the same number of
        steps (as ``DistributedSampler`` pads its shards).
    shard : int, default=0
        This process's shard, in ``range(n_shards)``.
    n_steps : int, default=None
        Exactly this many batches per pass, the pass cycling back to its
        first batches when it has fewer: processes that train on different
        rows (each its own part of a Parquet log) must all make the same
        number of steps. ``None``: every batch once.
    poisson : bool, default=False
        Poisson sampling, which the privacy accounting of DP-SGD assumes: an
        epoch makes ``ceil(n_samples / batch_size)`` steps and each step takes
        every row independently with probability one over that number (as
        Opacus's ``DPDataLoader`` does). Batch sizes then vary around
        ``batch_size``; a row may be in several steps of an epoch, or in
        none. The draws come from fresh entropy, never from
        ``random_state``: the privacy analysis counts on nobody knowing which
        rows a step took. Needs ``shuffle`` and one shard.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.inputs import TensorDictDataset
    >>> from sklearn_mtl.training import BatchSlicer
    >>> dataset = TensorDictDataset({"numeric": np.arange(5.0)[:, None]})
    >>> [len(features["numeric"]) for features, _ in BatchSlicer(dataset, batch_size=2)]
    [2, 2, 1]
    """

    def __init__(
        self,
        dataset: TensorDictDataset,
        batch_size: int,
        shuffle: bool = False,
        random_state: int | None = None,
        epoch: int = 0,
        n_shards: int = 1,
        shard: int = 0,
        n_steps: int | None = None,
        poisson: bool = False,
    ) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.epoch = epoch
        self.n_shards = n_shards
        self.shard = shard
        self.n_steps = n_steps
        self.poisson = poisson

    def _bounds(self) -> list[tuple[int, int]]:
        n_samples, size = len(self.dataset), self.batch_size
        bounds = [(start, min(start + size, n_samples)) for start in range(0, n_samples, size)]
        if self.shuffle and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            # A training batch of one row cannot be batch-normalized: the
            # previous batch takes it in (no row is dropped).
            bounds[-2:] = [(bounds[-2][0], n_samples)]
        if self.n_shards > 1:
            n_steps = -(-len(bounds) // self.n_shards)
            bounds = [
                bounds[(self.shard + step * self.n_shards) % len(bounds)] for step in range(n_steps)
            ]
        if self.n_steps is not None:
            bounds = [bounds[step % len(bounds)] for step in range(self.n_steps)]
        return bounds

    def __len__(self) -> int:
        if self.poisson:
            return max(1, -(-len(self.dataset) // self.batch_size))
        return len(self._bounds())

    @property
    def sample_rate(self) -> float:
        """Probability that a step of a ``poisson`` pass takes a given row."""
        return 1.0 / len(self)

    def __iter__(self) -> Iterator[Batch]:
        if self.poisson:
            yield from self._poisson_batches()
        elif self.shuffle:
            seed = None if self.random_state is None else [self.random_state, self.epoch]
            order = torch.from_numpy(np.random.default_rng(seed).permutation(len(self.dataset)))
            for start, stop in self._bounds():
                yield self.dataset[order[start:stop]]
        else:
            for start, stop in self._bounds():
                yield self.dataset[start:stop]

    def _poisson_batches(self) -> Iterator[Batch]:
        if not self.shuffle or self.n_shards > 1 or self.n_steps is not None:
            raise ValueError("poisson=True needs shuffle=True, one shard and n_steps=None.")
        rng = np.random.default_rng()  # unseeded on purpose (see ``poisson``)
        n_samples, rate = len(self.dataset), self.sample_rate
        for _ in range(len(self)):
            rows = np.flatnonzero(rng.random(n_samples) < rate)
            yield self.dataset[torch.from_numpy(rows)]


class HoldoutSplit:
    """skorch ``train_split`` that holds out a random fraction of the rows.

    Parameters
    ----------
    fraction : float
        Share of rows in the validation set.
    random_state : int
        Seed of the split.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.inputs import TensorDictDataset
    >>> from sklearn_mtl.training import HoldoutSplit
    >>> train, valid = HoldoutSplit(0.2, random_state=0)(
    ...     TensorDictDataset({"numeric": np.zeros((10, 1))}))
    >>> len(train), len(valid)
    (8, 2)
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


def inference_batches(
    features: Mapping[str, np.ndarray | TableLookup],
    device: str | torch.device,
    batch_size: int,
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches of network inputs, in order, moved to ``device``.

    For scoring and inspection outside skorch's loop: the caller puts the
    module in eval mode and wraps the loop in ``torch.inference_mode()``.
    """
    for batch, _ in BatchSlicer(TensorDictDataset(features), batch_size=batch_size):
        yield {name: value.to(device) for name, value in batch.items()}
