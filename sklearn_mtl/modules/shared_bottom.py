"""Shared-bottom architecture (Caruana, 1997): one MLP whose output every task reads."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import MultiTaskArchitecture, last_linear_parameters
from .mlp import MLP

__all__ = ["SharedBottom"]


class SharedBottom(MultiTaskArchitecture):
    """Hard parameter sharing: all tasks read the same hidden representation.

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks.
    units : sequence of int
        Hidden layer widths of the shared MLP.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization in each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules import SharedBottom
    >>> bottom = SharedBottom(input_dim=8, n_tasks=2, units=[16])
    >>> [t.shape for t in bottom(torch.zeros(3, 8))]
    [torch.Size([3, 16]), torch.Size([3, 16])]
    """

    summary = "one MLP of ``shared_units`` read by every task."

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(input_dim, n_tasks)
        self.bottom = MLP(input_dim, units, dropout, batch_norm)
        self.output_dim = self.bottom.output_dim

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        hidden = self.bottom(x)
        return [hidden] * self.n_tasks

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.bottom.parameters())

    def last_shared_parameters(self) -> list[nn.Parameter]:
        return last_linear_parameters(self.bottom)
