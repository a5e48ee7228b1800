"""Fixed weighting: the weighted sum of the task losses (equal weights by default)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import LossWeighting

__all__ = ["FixedWeighting"]


class FixedWeighting(LossWeighting):
    """Sum of the task losses with constant weights.

    Parameters
    ----------
    n_tasks : int
        Number of tasks.
    weights : sequence of float, default=None
        One non-negative weight per task; ``None`` gives every task weight 1.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.weighting import FixedWeighting
    >>> FixedWeighting(2, weights=[1.0, 3.0])(torch.tensor([0.5, 1.0]))
    tensor(3.5000)
    """

    def __init__(self, n_tasks: int, weights: Sequence[float] | None = None) -> None:
        super().__init__(n_tasks)
        weights = [1.0] * n_tasks if weights is None else list(weights)
        if len(weights) != n_tasks:
            raise ValueError(f"Got {len(weights)} weights for {n_tasks} tasks.")
        # A buffer, not a parameter: it moves with the module and is saved, never trained.
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32))

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return (self.weights * task_losses).sum()
