"""Users described by the items they interacted with, and items by their users (SVD++)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["HISTORY_POOLINGS", "InteractionHistory", "PooledHistory"]

HISTORY_POOLINGS = ("mean", "sigmoid_sum")


def _csr(rows: np.ndarray, cols: np.ndarray, n_rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Compressed rows: ``cols[indptr[r]:indptr[r + 1]]`` are the entries of row ``r``."""
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return torch.as_tensor(indptr), torch.as_tensor(cols[order], dtype=torch.long)


def _pooled_sums(
    indptr: torch.Tensor, indices: torch.Tensor, table: torch.Tensor, rows: torch.Tensor
) -> torch.Tensor:
    """Sum of ``table`` rows over the entries of each of ``rows`` (an embedding bag)."""
    if len(rows) >= len(indptr) - 1:
        # As many rows as the whole vocabulary: pool every row once, then index.
        every = F.embedding_bag(indices, table, indptr[:-1], mode="sum")
        return every[rows]
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    offsets = torch.cumsum(lengths, 0) - lengths
    total = int(lengths.sum())
    positions = (
        torch.arange(total, device=rows.device)
        - torch.repeat_interleave(offsets, lengths, output_size=total)
        + torch.repeat_interleave(starts, lengths, output_size=total)
    )
    return F.embedding_bag(indices[positions], table, offsets, mode="sum")


def _history_features(
    pooling: str,
    in_history: torch.Tensor,
    sums: tuple[torch.Tensor, torch.Tensor],
    counts: tuple[torch.Tensor, torch.Tensor],
    own_vectors: tuple[torch.Tensor, torch.Tensor],
    factors: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor:
    """The user side and item side (each pair as ``(user, item)``) without the scored pair.

    ``in_history`` is 1 where the pair is a training interaction (the
    :data:`~sklearn_mtl.inputs.IN_HISTORY` flag, as a column); ``own_vectors``
    are the pair's item's vector (in the user's sum) and its user's vector (in
    the item's), which such a pair takes out of the pools.
    ``factors`` (the user's and item's own factors) add the products.
    """
    sides = []
    for total, count, own_vector in zip(sums, counts, own_vectors, strict=True):
        total = total - in_history * own_vector
        if pooling == "mean":
            sides.append(total / (count.unsqueeze(1) - in_history).clamp(min=1.0))
        else:
            # "sigmoid_sum": the encoder layer of AutoRec (Sedhain et al., 2015)
            # on a binary interaction vector. Unlike the mean, the sum keeps how
            # much history there is; the sigmoid keeps long histories from
            # dominating.
            sides.append(torch.sigmoid(total))
    if factors is not None:
        # The terms of SVD++'s dot product, q_i * (pooled items of u), and its
        # mirror p_u * (pooled users of i): an MLP fed only the concatenated
        # vectors learns such multiplicative interactions poorly (Rendle et
        # al., 2020). On the u1 fold of ML-100K they take the rating RMSE of
        # the multi-task model from 0.907 to 0.901; on leave-one-out ranking
        # they cost about 0.01 of HR@10, hence optional.
        user_factor, item_factor = factors
        sides += [item_factor * sides[0], user_factor * sides[1]]
    return torch.cat(sides, dim=1)


class InteractionHistory(nn.Module):
    """Pooled embeddings of each user's items and each item's users.

    A user is represented by the pooled learned vectors of the items they
    interacted with, an item by the pooled learned vectors of its users (the
    implicit feedback of SVD++, applied on both sides). Only interactions
    given at construction (the training rows) count. When the pair being
    scored is itself one of those interactions, it is left out of both pools,
    so the model never reads its own label.

    With ``products=True`` the block also returns the products of the two
    pooled vectors with the item's and the user's own factor vectors (SVD++'s
    ``q_i . (p_u + pooled)`` interaction, element-wise, for the layers above
    to weigh).

    Parameters
    ----------
    user_codes, item_codes : ndarray of int
        One entry per distinct interaction (user code, item code).
    n_user_codes, n_item_codes : int
        Sizes of the user and item vocabularies (code 0 = unseen).
    dim : int
        Width of each pooled vector.
    user_position, item_position : int
        Columns of the user and item ids in the categorical codes.
    pooling : {"mean", "sigmoid_sum"}, default="mean"
        ``"mean"`` divides each sum by the history length (SVD++);
        ``"sigmoid_sum"`` passes the sum through a sigmoid (AutoRec's encoder).
    products : bool, default=False
        Also return the item factor times the user side and the user factor
        times the item side.

    Attributes
    ----------
    output_dim : int
        ``2 * dim`` (the user-side then the item-side pooled vector), or
        ``4 * dim`` with ``products``.
    """

    def __init__(
        self,
        user_codes: np.ndarray,
        item_codes: np.ndarray,
        n_user_codes: int,
        n_item_codes: int,
        dim: int,
        user_position: int,
        item_position: int,
        pooling: str = "mean",
        products: bool = False,
    ) -> None:
        super().__init__()
        if pooling not in HISTORY_POOLINGS:
            raise ValueError(f"pooling must be one of {HISTORY_POOLINGS}; got {pooling!r}.")
        self.pooling = pooling
        self.user_position = user_position
        self.item_position = item_position
        # The compressed histories are derived from the interactions (which the
        # estimator keeps), so they are rebuilt, never saved with the weights.
        user_indptr, user_items = _csr(user_codes, item_codes, n_user_codes)
        item_indptr, item_users = _csr(item_codes, user_codes, n_item_codes)
        self.register_buffer("user_indptr", user_indptr, persistent=False)
        self.register_buffer("user_items", user_items, persistent=False)
        self.register_buffer("item_indptr", item_indptr, persistent=False)
        self.register_buffer("item_users", item_users, persistent=False)
        self.register_buffer(
            "user_counts", (user_indptr[1:] - user_indptr[:-1]).float(), persistent=False
        )
        self.register_buffer(
            "item_counts", (item_indptr[1:] - item_indptr[:-1]).float(), persistent=False
        )
        self.item_vectors = nn.Embedding(n_item_codes, dim)
        self.user_vectors = nn.Embedding(n_user_codes, dim)
        nn.init.normal_(self.item_vectors.weight, std=0.01)
        nn.init.normal_(self.user_vectors.weight, std=0.01)
        self.products = products
        if products:
            self.user_factors = nn.Embedding(n_user_codes, dim)
            self.item_factors = nn.Embedding(n_item_codes, dim)
            nn.init.normal_(self.user_factors.weight, std=0.01)
            nn.init.normal_(self.item_factors.weight, std=0.01)
        self.output_dim = (4 if products else 2) * dim

    def forward(self, categorical: torch.Tensor, in_history: torch.Tensor) -> torch.Tensor:
        users = categorical[:, self.user_position]
        items = categorical[:, self.item_position]
        user_sums = _pooled_sums(self.user_indptr, self.user_items, self.item_vectors.weight, users)
        item_sums = _pooled_sums(self.item_indptr, self.item_users, self.user_vectors.weight, items)
        return _history_features(
            self.pooling,
            in_history.to(user_sums.dtype).unsqueeze(1),
            (user_sums, item_sums),
            (self.user_counts[users], self.item_counts[items]),
            (self.item_vectors(items), self.user_vectors(users)),
            (self.user_factors(users), self.item_factors(items)) if self.products else None,
        )

    def pooled(self) -> PooledHistory:
        """The same computation with every user's and item's sum precomputed.

        For inference and export: a fixed model needs no embedding bags, only
        lookups (which every serving runtime has).
        """
        with torch.no_grad():
            every_user = torch.arange(len(self.user_indptr) - 1, device=self.user_indptr.device)
            every_item = torch.arange(len(self.item_indptr) - 1, device=self.item_indptr.device)
            user_sums = _pooled_sums(
                self.user_indptr, self.user_items, self.item_vectors.weight, every_user
            )
            item_sums = _pooled_sums(
                self.item_indptr, self.item_users, self.user_vectors.weight, every_item
            )
        return PooledHistory(self, user_sums, item_sums)


class PooledHistory(nn.Module):
    """:class:`InteractionHistory` with precomputed sums (see ``pooled``)."""

    def __init__(
        self, history: InteractionHistory, user_sums: torch.Tensor, item_sums: torch.Tensor
    ) -> None:
        super().__init__()
        self.user_position = history.user_position
        self.item_position = history.item_position
        self.output_dim = history.output_dim
        self.pooling = history.pooling
        self.register_buffer("user_sums", user_sums.detach().clone())
        self.register_buffer("item_sums", item_sums.detach().clone())
        self.register_buffer("user_counts", history.user_counts.clone())
        self.register_buffer("item_counts", history.item_counts.clone())
        self.register_buffer("item_vectors", history.item_vectors.weight.detach().clone())
        self.register_buffer("user_vectors", history.user_vectors.weight.detach().clone())
        self.products = history.products
        if history.products:
            self.register_buffer("user_factors", history.user_factors.weight.detach().clone())
            self.register_buffer("item_factors", history.item_factors.weight.detach().clone())

    def forward(self, categorical: torch.Tensor, in_history: torch.Tensor) -> torch.Tensor:
        users = categorical[:, self.user_position]
        items = categorical[:, self.item_position]
        return _history_features(
            self.pooling,
            in_history.to(self.user_sums.dtype).unsqueeze(1),
            (self.user_sums[users], self.item_sums[items]),
            (self.user_counts[users], self.item_counts[items]),
            (self.item_vectors[items], self.user_vectors[users]),
            (self.user_factors[users], self.item_factors[items]) if self.products else None,
        )
