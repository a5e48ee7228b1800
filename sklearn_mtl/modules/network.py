"""The whole multi-task network: embedding, architecture, one tower per task."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import MultiTaskArchitecture
from .embedding import FeatureEmbedding
from .factorization import FactorizationTerms
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
    batch_norm : bool, default=False
        Batch normalization in each hidden layer.
    """

    def __init__(
        self,
        input_dim: int,
        units: Sequence[int],
        n_outputs: int,
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.hidden = MLP(input_dim, units, dropout, batch_norm)
        self.head = nn.Linear(self.hidden.output_dim, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(x))


class MultiTaskNetwork(nn.Module):
    """Embedding → architecture → towers; returns one raw output per task.

    Parameters
    ----------
    embeddings : sequence of FeatureEmbedding
        One, shared by all tasks, or one per task when the architecture has
        ``separate_embeddings`` (their outputs are concatenated).
    architecture : MultiTaskArchitecture
    towers : sequence of Tower
        One per task, in task order.
    factorization : FactorizationTerms, default=None
        Biases and the dot product of the user and item sides, added to each
        task's tower output; the architecture then reads the embedded inputs
        without the biases, followed by the element-wise product of the sides.

    Notes
    -----
    A head of width 1 returns shape (batch,) (indexed, never squeezed, so a
    batch of one row keeps its batch axis); wider heads return (batch, width).
    """

    def __init__(
        self,
        embeddings: Sequence[FeatureEmbedding],
        architecture: MultiTaskArchitecture,
        towers: Sequence[Tower],
        factorization: FactorizationTerms | None = None,
    ) -> None:
        super().__init__()
        n_tasks = architecture.n_tasks
        if len(towers) != n_tasks:
            raise ValueError(f"Got {len(towers)} towers for an architecture of {n_tasks} tasks.")
        expected = n_tasks if architecture.separate_embeddings else 1
        if len(embeddings) != expected:
            raise ValueError(f"{type(architecture).__name__} needs {expected} embedding(s).")
        self.embeddings = nn.ModuleList(embeddings)
        self.architecture = architecture
        self.towers = nn.ModuleList(towers)
        self.factorization = factorization

    def embed(
        self,
        categorical: torch.Tensor,
        numeric: torch.Tensor,
        in_history: torch.Tensor | None = None,
        text: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The inputs embedded: every embedding's output, concatenated.

        Parameters
        ----------
        categorical : Tensor of shape (batch, n_categorical), int64
            Category codes, 0 for missing or unseen.
        numeric : Tensor of shape (batch, n_numeric), float32
            Standardized numeric columns.
        in_history : Tensor of shape (batch,), default=None
            1.0 where the row's interaction is in the user's and the item's
            history (it then leaves both sums), else 0.0.
        text : Tensor of shape (batch, text_dim), default=None
            Language-model vectors of the text columns.

        Returns
        -------
        Tensor of shape (batch, input_dim)
        """
        parts = [embedding(categorical, numeric, in_history, text) for embedding in self.embeddings]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def forward(
        self,
        categorical: torch.Tensor,
        numeric: torch.Tensor,
        in_history: torch.Tensor | None = None,
        text: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, ...]:
        return self.head(self.embed(categorical, numeric, in_history, text))

    def head(self, embedded: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Each task's raw output from the embedded inputs (what :meth:`embed` returns).

        Parameters
        ----------
        embedded : Tensor of shape (batch, input_dim)
            The embedded inputs.

        Returns
        -------
        tuple of Tensor
        """
        if self.factorization is None:
            representations = self.architecture(embedded)
            linear = [0.0] * len(self.towers)
        else:
            features, linear = self.factorization(embedded)
            representations = self.architecture(features)
        outputs = []
        for tower, representation, term in zip(self.towers, representations, linear, strict=True):
            output = tower(representation) + term
            outputs.append(output[:, 0] if output.shape[1] == 1 else output)
        return tuple(outputs)

    def architecture_input(self, embedded: torch.Tensor) -> torch.Tensor:
        """What the architecture reads from the embedded inputs.

        Parameters
        ----------
        embedded : Tensor of shape (batch, input_dim)
            The embedded inputs.

        Returns
        -------
        Tensor of shape (batch, architecture.input_dim)
        """
        if self.factorization is None:
            return embedded
        return self.factorization(embedded)[0]

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters that receive gradient from more than one task."""
        shared = list(self.architecture.shared_parameters())
        if not self.architecture.separate_embeddings:
            shared = list(self.embeddings.parameters()) + shared
        return shared

    def last_shared_parameters(self) -> list[nn.Parameter]:
        """The last layer all tasks share (what GradNorm measures), empty if none."""
        return self.architecture.last_shared_parameters()

    def loss_view(self, outputs, targets):
        """What the loss compares; see :meth:`MultiTaskArchitecture.loss_view`.

        Parameters
        ----------
        outputs : sequence of Tensor
            Each task's raw output.
        targets : Tensor of shape (batch, n_tasks)
            Encoded targets, NaN where a row has no label.

        Returns
        -------
        outputs, targets
        """
        return self.architecture.loss_view(outputs, targets)

    def gate_weights(
        self,
        categorical: torch.Tensor,
        numeric: torch.Tensor,
        in_history: torch.Tensor | None = None,
        text: torch.Tensor | None = None,
        level: int = -1,
    ) -> list[torch.Tensor]:
        """Each task's gate weights over the experts (mixture architectures).

        Parameters
        ----------
        categorical : Tensor of shape (batch, n_categorical), int64
            Category codes, 0 for missing or unseen.
        numeric : Tensor of shape (batch, n_numeric), float32
            Standardized numeric columns.
        in_history : Tensor of shape (batch,), default=None
            1.0 where the row's interaction is in the user's and the item's
            history (it then leaves both sums), else 0.0.
        text : Tensor of shape (batch, text_dim), default=None
            Language-model vectors of the text columns.
        level : int, default=-1
            Which extraction level, for stacked architectures (PLE); -1 is the last.

        Returns
        -------
        list of Tensor of shape (batch, n_experts)
        """
        embedded = self.embed(categorical, numeric, in_history, text)
        return self.architecture.gate_weights(self.architecture_input(embedded), level)
