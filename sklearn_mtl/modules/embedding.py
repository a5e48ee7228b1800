"""Turns encoded categorical codes and numeric features into one dense vector."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .history import InteractionHistory
from .initialization import init_embedding

__all__ = ["FeatureEmbedding"]


class FeatureEmbedding(nn.Module):
    """One embedding table per categorical column, concatenated with the numeric columns.

    Row 0 of every table stands for missing and unseen categories.

    Parameters
    ----------
    cardinalities : sequence of int
        Rows of each table (vocabulary size plus one).
    embedding_dims : sequence of int
        Width of each table.
    n_numeric : int
        Number of numeric columns, passed through unchanged.
    history : InteractionHistory, default=None
        Appends the pooled interaction histories of the user and the item.
    text_dim : int, default=0
        Width of the concatenated text vectors (language-model embeddings);
        0 when there is no text.
    text_projection_dim : int, default=0
        Width of the learned linear projection of the text vectors.
    bias_width : int, default=0
        Each categorical column also looks up a learned bias of this width
        (one per task output, for the factorization terms; see
        :class:`~sklearn_mtl.modules.FactorizationTerms`), appended to its
        vector: a user's bias is then part of the user id's piece of the
        output, which is what an explanation attributes to the id. The
        bias tables start at zero.

    Attributes
    ----------
    output_dim : int
        Width of the concatenated vector.
    part_widths : list of int
        Width of each piece of the output, in the order of :meth:`parts`
        (the text piece after its projection).
    """

    def __init__(
        self,
        cardinalities: Sequence[int],
        embedding_dims: Sequence[int],
        n_numeric: int,
        history: InteractionHistory | None = None,
        text_dim: int = 0,
        text_projection_dim: int = 0,
        bias_width: int = 0,
    ) -> None:
        super().__init__()
        if len(cardinalities) != len(embedding_dims):
            raise ValueError("cardinalities and embedding_dims must have the same length.")
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, d) for n, d in zip(cardinalities, embedding_dims, strict=True)
        )
        for table in self.embeddings:
            init_embedding(table)
        # Separate tables, so that the optimizer can leave biases undecayed.
        self.bias_width = bias_width
        self.biases = nn.ModuleList(
            nn.Embedding(n, bias_width) for n in (cardinalities if bias_width else ())
        )
        for table in self.biases:
            nn.init.zeros_(table.weight)
        self.n_numeric = n_numeric
        self.history = history
        # Frozen language-model vectors enter through a learned projection, so
        # that text lives in the same space as the id embeddings.
        self.text_dim = text_dim
        self.text_projection = nn.Linear(text_dim, text_projection_dim) if text_dim else None
        self.part_widths = [d + bias_width for d in embedding_dims]
        if n_numeric:
            self.part_widths.append(n_numeric)
        if history is not None:
            self.part_widths.append(history.output_dim)
        if text_dim:
            self.part_widths.append(text_projection_dim)
        self.output_dim = sum(self.part_widths)

    def forward(
        self,
        categorical: torch.Tensor,
        numeric: torch.Tensor,
        in_history: torch.Tensor | None = None,
        text: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self.combine(self.parts(categorical, numeric, in_history, text))

    def parts(
        self,
        categorical: torch.Tensor,
        numeric: torch.Tensor,
        in_history: torch.Tensor | None = None,
        text: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """The pieces of the output before they are joined, in order.

        One per categorical column, then the numeric block, the pooled
        histories and the raw text vectors (before their projection), each
        where the embedding has them: the units an explanation attributes to.

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
        list of Tensor
        """
        parts = [table(categorical[:, j]) for j, table in enumerate(self.embeddings)]
        if self.bias_width:
            parts = [
                torch.cat([vector, bias(categorical[:, j])], dim=1)
                for j, (vector, bias) in enumerate(zip(parts, self.biases, strict=True))
            ]
        if self.n_numeric:
            parts.append(numeric)
        if self.history is not None:
            if in_history is None:
                raise ValueError("in_history is required when the embedding has a history.")
            parts.append(self.history(categorical, in_history))
        if self.text_projection is not None:
            if text is None:
                raise ValueError("text is required when the embedding has text features.")
            parts.append(text)
        return parts

    def tables_indexed_by(self, position: int) -> list[str]:
        """Names of the weights whose rows are the codes of categorical column ``position``.

        Its embedding table, and the history's tables of that side when the
        column is the user or the item id.

        Parameters
        ----------
        position : int
            Index of the categorical column.

        Returns
        -------
        list of str
        """
        names = [f"embeddings.{position}.weight"]
        if self.bias_width:
            names.append(f"biases.{position}.weight")
        if self.history is not None:
            names += [f"history.{name}" for name in self.history.tables_indexed_by(position)]
        return names

    def unseen_part(self, position: int) -> torch.Tensor:
        """The piece of categorical column ``position`` for the unseen code 0, shape (width,).

        Parameters
        ----------
        position : int
            Index of the categorical column.

        Returns
        -------
        Tensor of shape (part_widths[position],)
        """
        vector = self.embeddings[position].weight[0]
        if not self.bias_width:
            return vector
        return torch.cat([vector, self.biases[position].weight[0]])

    @property
    def history_part(self) -> int | None:
        """Position of the pooled histories among :meth:`parts` (None without a history)."""
        if self.history is None:
            return None
        return len(self.embeddings) + (1 if self.n_numeric else 0)

    def combine(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """The output from :meth:`parts` (projecting the text vectors).

        Parameters
        ----------
        parts : list of Tensor
            What :meth:`parts` returns.

        Returns
        -------
        Tensor of shape (batch, output_dim)
        """
        if self.text_projection is not None:
            parts = [*parts[:-1], self.text_projection(parts[-1])]
        return torch.cat(parts, dim=1)
