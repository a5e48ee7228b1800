"""The whole multi-task network: embedding, architecture, one tower per task."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import MultiTaskArchitecture
from .embedding import FeatureEmbedding
from .mlp import MLP

__all__ = ["MultiTaskNetwork", "Tower"]


class Tower(nn.Module):
    """A task's own MLP followed by its output head.

    Parameters
    ----------
    input_dim : int
        Width of the task representation.
    units : sequence of int
        Hidden layer widths of the tower.
    n_outputs : int
        Width of the head: 1 for binary and regression, the number of classes
        for multiclass tasks.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    """

    def __init__(
        self, input_dim: int, units: Sequence[int], n_outputs: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.hidden = MLP(input_dim, units, dropout)
        self.head = nn.Linear(self.hidden.output_dim, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(x))


class MultiTaskNetwork(nn.Module):
    """Embedding → architecture → towers; returns one raw output per task.

    Parameters
    ----------
    embedding : FeatureEmbedding
    architecture : MultiTaskArchitecture
    towers : sequence of Tower
        One per task, in task order.

    Notes
    -----
    A head of width 1 returns shape (batch,) (indexed, never squeezed, so a
    batch of one row keeps its batch axis); wider heads return (batch, width).
    """

    def __init__(
        self,
        embedding: FeatureEmbedding,
        architecture: MultiTaskArchitecture,
        towers: Sequence[Tower],
    ) -> None:
        super().__init__()
        if len(towers) != architecture.n_tasks:
            raise ValueError(
                f"Got {len(towers)} towers for an architecture of {architecture.n_tasks} tasks."
            )
        self.embedding = embedding
        self.architecture = architecture
        self.towers = nn.ModuleList(towers)

    def forward(self, categorical: torch.Tensor, numeric: torch.Tensor) -> tuple[torch.Tensor, ...]:
        representations = self.architecture(self.embedding(categorical, numeric))
        outputs = []
        for tower, representation in zip(self.towers, representations, strict=True):
            output = tower(representation)
            outputs.append(output[:, 0] if output.shape[1] == 1 else output)
        return tuple(outputs)
