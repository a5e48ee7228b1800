"""Users described by the items they interacted with, and items by their users (SVD++)."""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .initialization import init_embedding

__all__ = ["HISTORY_POOLINGS", "InteractionHistory", "PooledHistory"]

HISTORY_POOLINGS = ("mean", "sqrt", "sigmoid_sum")


def _csr(
    rows: np.ndarray, cols: np.ndarray, n_rows: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Compressed rows: ``cols[order][indptr[r]:indptr[r + 1]]`` are the entries of row ``r``.

    Returns ``indptr``, the columns in row order, and ``order`` (the position
    of each compressed entry in the input).
    """
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return (
        torch.as_tensor(indptr),
        torch.as_tensor(cols[order], dtype=torch.long),
        torch.as_tensor(order, dtype=torch.long),
    )


# The whole-table product touches every entry, but its backward needs no sort
# (an embedding bag's does): it wins once a batch's distinct rows hold a tenth
# of all entries (measured on MovieLens 100K u1, batch 256, one thread: 3-epoch
# fits of 1.8 s at a tenth, 2.0 s at a fifth, where the item side still
# gathered).
_WHOLE_TABLE_SHARE = 0.1


class _SparseProduct(torch.autograd.Function):
    """``matrix @ table`` with the gradient ``transposed @ grad`` from a prebuilt transpose.

    torch's own backward of a CSR product transposes the matrix at every
    call, which sorts all its entries; the history keeps both orientations.
    """

    @staticmethod
    def forward(ctx, table, matrix, transposed):
        ctx.transposed = transposed
        return matrix @ table

    @staticmethod
    def backward(ctx, grad):
        return ctx.transposed @ grad, None, None


def _csr_matrix(indptr, indices, values, n_columns: int) -> torch.Tensor:
    with warnings.catch_warnings():
        # torch calls its sparse CSR support beta; this product is all we use of it.
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            indptr, indices, values, size=(len(indptr) - 1, n_columns), check_invariants=False
        )


def _pooled_sums(
    indptr: torch.Tensor,
    indices: torch.Tensor,
    table: torch.Tensor,
    rows: torch.Tensor,
    weights: torch.Tensor,
    transpose: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Weighted sum of ``table`` rows over the entries of each of ``rows``.

    ``weights`` holds one weight per compressed entry. When the distinct
    ``rows`` of the batch hold a large share of all entries, every row is
    pooled at once by one sparse-matrix product, whose backward uses
    ``transpose`` (the same entries compressed by column: ``indptr``,
    ``indices`` and their weights); else only the batch's rows are gathered
    into an embedding bag. Both are exact.
    """
    present = torch.zeros(len(indptr) - 1, dtype=torch.bool, device=rows.device)
    present[rows] = True
    unique = torch.nonzero(present).flatten()
    starts = indptr[unique]
    lengths = indptr[unique + 1] - starts
    total = int(lengths.sum())
    if transpose is not None and total >= _WHOLE_TABLE_SHARE * len(indices):
        t_indptr, t_indices, t_weights = transpose
        matrix = _csr_matrix(indptr, indices, weights, len(table))
        transposed = _csr_matrix(t_indptr, t_indices, t_weights, len(indptr) - 1)
        return _SparseProduct.apply(table, matrix, transposed)[rows]
    offsets = torch.cumsum(lengths, 0) - lengths
    positions = (
        torch.arange(total, device=rows.device)
        - torch.repeat_interleave(offsets, lengths, output_size=total)
        + torch.repeat_interleave(starts, lengths, output_size=total)
    )
    sums = F.embedding_bag(
        indices[positions], table, offsets, mode="sum", per_sample_weights=weights[positions]
    )
    return sums[(torch.cumsum(present, 0) - 1)[rows]]


def _history_features(
    pooling: str,
    removed: tuple[torch.Tensor, torch.Tensor],
    removed_counts: tuple[torch.Tensor, torch.Tensor],
    sums: tuple[torch.Tensor, torch.Tensor],
    counts: tuple[torch.Tensor, torch.Tensor],
    factors: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor:
    """The user side and item side (each pair as ``(user, item)``), pooled without ``removed``.

    ``removed`` is what leaves each side's sum (the vectors of entries taken
    out, weighted) and ``removed_counts`` how many entries leave its count
    (columns). In training and prediction that is the scored pair itself where
    it is a training interaction (the :data:`~sklearn_mtl.inputs.IN_HISTORY`
    flag, times what history dropout kept of it): its item's vector leaves the
    user's sum and its user's vector the item's. ``factors`` (the user's and
    item's own factors) add the products.
    """
    sides = []
    for total, count, taken, taken_count in zip(sums, counts, removed, removed_counts, strict=True):
        total = total - taken
        if pooling == "mean":
            sides.append(total / (count.unsqueeze(1) - taken_count).clamp(min=1.0))
        elif pooling == "sqrt":
            # SVD++'s |N(u)|^-1/2: between the mean (every history weighs the
            # same) and the sum (long histories weigh more).
            sides.append(total / (count.unsqueeze(1) - taken_count).clamp(min=1.0).sqrt())
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
    pooling : {"mean", "sqrt", "sigmoid_sum"}, default="mean"
        ``"mean"`` divides each sum by the history length, ``"sqrt"`` by its
        square root (SVD++); ``"sigmoid_sum"`` passes the sum through a sigmoid (AutoRec's encoder).
    products : bool, default=False
        Also return the item factor times the user side and the user factor
        times the item side.
    dropout : float, default=0.0
        In training, hide each interaction from both pools with this
        probability, drawn afresh for every batch (as Mult-VAE drops its
        input). Leaving the scored pair out of its own pools makes the pools
        of interaction rows differ from those of non-interaction rows (the
        sampled negatives); without dropout a network can read the label from
        that difference, and then scores every unseen candidate like a
        negative. Random hiding makes the difference noise. Sums are scaled by
        ``1 / (1 - dropout)`` so that they keep their size at inference.
    stand_in_leave_out : bool, default=False
        In training, a row that is not an interaction (a sampled negative)
        leaves a random entry out of its user's pool and one out of its
        item's, so that its pools are one entry short like an interaction
        row's. Otherwise "one of the candidate's neighbours is missing" tells
        the label, and a network trained long enough scores a candidate
        *lower* the more of its neighbours the user has.

    Attributes
    ----------
    output_dim : int
        ``2 * dim`` (the user-side then the item-side pooled vector), or
        ``4 * dim`` with ``products``.
    joins_factors : bool
        Whether the pooled vectors are normalised sums of learned vectors,
        which :class:`~sklearn_mtl.modules.FactorizationTerms` adds to the
        user's and the item's factors (SVD++'s ``p_u + |N(u)|^-1/2 sum y_j``).
        A sigmoid of a sum is not: it sits at 0.5 for an empty history.
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
        dropout: float = 0.0,
        stand_in_leave_out: bool = False,
    ) -> None:
        super().__init__()
        if pooling not in HISTORY_POOLINGS:
            raise ValueError(f"pooling must be one of {HISTORY_POOLINGS}; got {pooling!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1); got {dropout}.")
        self.pooling = pooling
        self.dropout = dropout
        self.stand_in_leave_out = stand_in_leave_out
        self.dim = dim
        self.joins_factors = pooling != "sigmoid_sum"
        self.user_position = user_position
        self.item_position = item_position
        # The compressed histories are derived from the interactions (which the
        # estimator keeps), so they are rebuilt, never saved with the weights.
        # Entries are kept in key order (user, then item): the user side's
        # order, which ``item_order`` maps the item side's entries to.
        keys = np.asarray(user_codes, np.int64) * n_item_codes + np.asarray(item_codes, np.int64)
        keys = np.unique(keys)
        user_codes, item_codes = keys // n_item_codes, keys % n_item_codes
        self.n_item_codes = n_item_codes
        user_indptr, user_items, _ = _csr(user_codes, item_codes, n_user_codes)
        item_indptr, item_users, item_order = _csr(item_codes, user_codes, n_item_codes)
        self.register_buffer("keys", torch.as_tensor(keys), persistent=False)
        self.register_buffer("entry_users", torch.as_tensor(user_codes), persistent=False)
        self.register_buffer("entry_items", torch.as_tensor(item_codes), persistent=False)
        self.register_buffer("item_order", item_order, persistent=False)
        self.register_buffer(
            "entry_ones", torch.ones(len(keys), dtype=torch.float32), persistent=False
        )
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
        init_embedding(self.item_vectors)
        init_embedding(self.user_vectors)
        self.products = products
        if products:
            self.user_factors = nn.Embedding(n_user_codes, dim)
            self.item_factors = nn.Embedding(n_item_codes, dim)
            init_embedding(self.user_factors)
            init_embedding(self.item_factors)
        self.output_dim = (4 if products else 2) * dim

    def forward(self, categorical: torch.Tensor, in_history: torch.Tensor) -> torch.Tensor:
        users = categorical[:, self.user_position]
        items = categorical[:, self.item_position]
        dtype = self.item_vectors.weight.dtype
        flag = in_history.to(dtype)
        user_counts, item_counts = self.user_counts, self.item_counts
        user_weights = item_weights = kept = None
        scale = 1.0
        if self.training and self.dropout > 0:
            kept = torch.bernoulli(torch.full_like(self.keys, 1.0 - self.dropout, dtype=dtype))
            if self.pooling == "sigmoid_sum":
                # Normalised pools divide by what they kept; sums keep their expected size.
                scale = 1.0 / (1.0 - self.dropout)
            user_counts, item_counts = self._kept_counts(kept)
            user_weights = kept * scale
            item_weights = user_weights[self.item_order]
        # What leaves each side's pool: the pair's own entry, where it is one.
        own = flag if kept is None else flag * kept[self._entry(users, items)]
        user_taken = (own * scale).unsqueeze(1) * self.item_vectors(items)
        item_taken = (own * scale).unsqueeze(1) * self.user_vectors(users)
        user_count = item_count = own
        if self.training and self.stand_in_leave_out:
            # Non-interaction rows' pools one entry short too (see the class).
            (user_out, user_w), (item_out, item_w) = self._stand_ins(users, items, 1.0 - flag, kept)
            user_taken = user_taken + (user_w * scale).unsqueeze(1) * self.item_vectors(user_out)
            item_taken = item_taken + (item_w * scale).unsqueeze(1) * self.user_vectors(item_out)
            user_count, item_count = user_count + user_w, item_count + item_w
        user_sums, item_sums = self._sums(users, items, user_weights, item_weights)
        return _history_features(
            self.pooling,
            (user_taken, item_taken),
            (user_count.unsqueeze(1), item_count.unsqueeze(1)),
            (user_sums, item_sums),
            (user_counts[users], item_counts[items]),
            (self.user_factors(users), self.item_factors(items)) if self.products else None,
        )

    def tables_indexed_by(self, position: int) -> list[str]:
        """Names of the weights whose rows are user codes (``user_position``) or item codes.

        Parameters
        ----------
        position : int
            Index of the categorical column.

        Returns
        -------
        list of str
        """
        side = {self.user_position: "user", self.item_position: "item"}.get(position)
        if side is None:
            return []
        # A user's own vectors: the one that pools into items' histories, its factors.
        names = [f"{side}_vectors.weight"]
        if self.products:
            names.append(f"{side}_factors.weight")
        return names

    def without_user_item(
        self, categorical: torch.Tensor, in_history: torch.Tensor, left_out: torch.Tensor
    ) -> torch.Tensor:
        """History features of each row with item ``left_out[k]`` out of its user's history.

        Exact, as if that interaction had never happened: the item's vector
        leaves the user's sum and the history gets one entry shorter (the
        item's own history, which the scored pair does not read, is
        unchanged). ``left_out`` holds item codes of the users' histories.
        What :meth:`MultiTaskRecommender.explain` calls a history reason.

        Parameters
        ----------
        categorical : Tensor of shape (batch, n_categorical), int64
            Category codes of the rows.
        in_history : Tensor of shape (batch,)
            Whether each row's own interaction is in the histories.
        left_out : Tensor of shape (batch,), int64
            The item code to leave out of each row's user history.

        Returns
        -------
        Tensor of shape (batch, output_dim)
            The user's and the item's pooled histories.
        """
        users = categorical[:, self.user_position]
        items = categorical[:, self.item_position]
        flag = in_history.to(self.item_vectors.weight.dtype).unsqueeze(1)
        user_sums, item_sums = self._sums(users, items)
        return _history_features(
            self.pooling,
            (
                flag * self.item_vectors(items) + self.item_vectors(left_out),
                flag * self.user_vectors(users),
            ),
            (flag + 1.0, flag),
            (user_sums, item_sums),
            (self.user_counts[users], self.item_counts[items]),
            (self.user_factors(users), self.item_factors(items)) if self.products else None,
        )

    def _sums(self, users, items, user_weights=None, item_weights=None):
        """Pooled sums of the users' items and of the items' users.

        ``user_weights`` weigh the entries in user order, ``item_weights`` the
        same entries in item order; None weighs every entry 1.
        """
        if user_weights is None:
            user_weights = item_weights = self.entry_ones
        user_sums = _pooled_sums(
            self.user_indptr,
            self.user_items,
            self.item_vectors.weight,
            users,
            user_weights,
            transpose=(self.item_indptr, self.item_users, item_weights),
        )
        item_sums = _pooled_sums(
            self.item_indptr,
            self.item_users,
            self.user_vectors.weight,
            items,
            item_weights,
            transpose=(self.user_indptr, self.user_items, user_weights),
        )
        return user_sums, item_sums

    def _stand_ins(
        self,
        users: torch.Tensor,
        items: torch.Tensor,
        weight: torch.Tensor,
        kept: torch.Tensor | None,
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """A random entry of each row's user history and of its item's, with its weight.

        Returns ``((item codes, weights), (user codes, weights))``: the item
        that leaves each row's user pool and the user that leaves its item
        pool, weighted by ``weight``, by whether the pool has an entry and by
        whether dropout ``kept`` that entry (a pool loses only what it holds).
        """
        draws = []
        for indptr, members, rows, order in (
            (self.user_indptr, self.user_items, users, None),
            (self.item_indptr, self.item_users, items, self.item_order),
        ):
            start = indptr[rows]
            length = indptr[rows + 1] - start
            offset = (torch.rand(len(rows), device=rows.device) * length).long()
            position = (start + offset).clamp(max=len(members) - 1)
            drawn = weight * (length > 0).to(weight.dtype)
            if kept is not None:
                drawn = drawn * kept[position if order is None else order[position]]
            draws.append((members[position], drawn))
        return draws[0], draws[1]

    def _entry(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Position of each (user, item) among the entries (any position for non-entries)."""
        position = torch.searchsorted(self.keys, users * self.n_item_codes + items)
        return position.clamp(max=len(self.keys) - 1)

    def _kept_counts(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """History lengths of every user and every item once dropout has hidden some entries."""
        users = torch.zeros_like(self.user_counts).index_add_(0, self.entry_users, kept)
        items = torch.zeros_like(self.item_counts).index_add_(0, self.entry_items, kept)
        return users, items

    def pooled(self) -> PooledHistory:
        """The same computation with every user's and item's sum precomputed.

        For inference and export: a fixed model needs no embedding bags, only
        lookups (which every serving runtime has), and no list of
        interactions (which a model saved without them does not hold).
        """
        with torch.no_grad():
            every_user = torch.arange(len(self.user_indptr) - 1, device=self.user_indptr.device)
            every_item = torch.arange(len(self.item_indptr) - 1, device=self.item_indptr.device)
            user_sums, item_sums = self._sums(every_user, every_item)
        pooled = PooledHistory(
            n_user_codes=len(self.user_counts),
            n_item_codes=len(self.item_counts),
            dim=self.item_vectors.embedding_dim,
            user_position=self.user_position,
            item_position=self.item_position,
            pooling=self.pooling,
            products=self.products,
        ).to(self.user_counts.device)
        tables = {
            "user_sums": user_sums,
            "item_sums": item_sums,
            "user_counts": self.user_counts,
            "item_counts": self.item_counts,
        }
        tables.update(
            {name: getattr(self, name).weight for name in pooled.tables if name not in tables}
        )
        with torch.no_grad():
            for name, value in tables.items():
                getattr(pooled, name).copy_(value)
        return pooled


class PooledHistory(nn.Module):
    """:class:`InteractionHistory` frozen: every user's and item's pooled sum, precomputed.

    Scores as the history it was pooled from (see
    :meth:`InteractionHistory.pooled`) without the list of interactions: only
    each user's and item's sum and length, and the vectors that leave a sum
    when the scored pair is flagged as one of the pooled interactions. It
    does not train.

    Parameters
    ----------
    n_user_codes, n_item_codes : int
        Sizes of the user and item vocabularies (code 0 = unseen).
    dim : int
        Width of each pooled vector.
    user_position, item_position : int
        Columns of the user and item ids in the categorical codes.
    pooling : {"mean", "sqrt", "sigmoid_sum"}, default="mean"
    products : bool, default=False

    Attributes
    ----------
    tables : tuple of str
        Names of its buffers (all zero until filled by ``pooled`` or a saved state).
    output_dim : int
    joins_factors : bool
        As :class:`InteractionHistory`'s.
    """

    def __init__(
        self,
        n_user_codes: int,
        n_item_codes: int,
        dim: int,
        user_position: int,
        item_position: int,
        pooling: str = "mean",
        products: bool = False,
    ) -> None:
        super().__init__()
        self.user_position = user_position
        self.item_position = item_position
        self.pooling = pooling
        self.products = products
        self.dim = dim
        self.joins_factors = pooling != "sigmoid_sum"
        self.output_dim = (4 if products else 2) * dim
        shapes = {
            "user_sums": (n_user_codes, dim),
            "item_sums": (n_item_codes, dim),
            "user_counts": (n_user_codes,),
            "item_counts": (n_item_codes,),
            "item_vectors": (n_item_codes, dim),
            "user_vectors": (n_user_codes, dim),
        }
        if products:
            shapes.update(user_factors=(n_user_codes, dim), item_factors=(n_item_codes, dim))
        self.tables = tuple(shapes)
        for name, shape in shapes.items():
            self.register_buffer(name, torch.zeros(shape))

    def pooled(self) -> PooledHistory:
        """Itself: already pooled."""
        return self

    def forward(self, categorical: torch.Tensor, in_history: torch.Tensor) -> torch.Tensor:
        users = categorical[:, self.user_position]
        items = categorical[:, self.item_position]
        flag = in_history.to(self.user_sums.dtype).unsqueeze(1)
        return _history_features(
            self.pooling,
            (flag * self.item_vectors[items], flag * self.user_vectors[users]),
            (flag, flag),
            (self.user_sums[users], self.item_sums[items]),
            (self.user_counts[users], self.item_counts[items]),
            (self.user_factors[users], self.item_factors[items]) if self.products else None,
        )
