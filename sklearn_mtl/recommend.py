"""Scoring (user, item) pairs from their ids: what ``recommend`` and ``score_pairs`` do.

A :class:`PairScorer` holds a fitted model's network, catalog, tasks and
text encoders. It builds the network inputs of any set of pairs from the ids
alone (the catalog knows each user's and item's columns), scores them in
large batches, and reads each task's prediction through
:meth:`~sklearn_mtl.tasks.Task.output`, so a custom task ranks and reports as
it defines.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .catalog import Catalog, SideBlock
from .inputs import IN_HISTORY, NetworkInputs
from .tasks import Task
from .text import embed_texts
from .training.batching import inference_batches

__all__ = ["PairScorer", "ranking_weights"]

# Pairs scored per forward pass: scoring keeps no gradient, only throughput.
_SCORING_BATCH = 1 << 16
# Pairs (users x candidates) built at once by recommend.
_RECOMMEND_CHUNK = 1 << 18


def ranking_weights(
    rank_by: str | Mapping[str, float] | None, tasks: Mapping[str, Task]
) -> dict[str, float]:
    """Task → weight of its prediction in the ranking score (see ``recommend``)."""
    if rank_by is None:
        rank_by = next(iter(tasks))
    weights = {rank_by: 1.0} if isinstance(rank_by, str) else dict(rank_by)
    unknown = [t for t in weights if t not in tasks]
    if unknown:
        raise ValueError(f"rank_by names unknown tasks {unknown}; tasks are {list(tasks)}.")
    bad = [t for t, w in weights.items() if not (np.isfinite(w) and w >= 0)]
    if bad or not weights or sum(weights.values()) == 0:
        raise ValueError(
            f"rank_by weights must be non-negative, finite and not all zero; got {weights}."
        )
    unrankable = [t for t in weights if not tasks[t].ranks_rows]
    if unrankable:
        raise ValueError(
            f"rank_by cannot rank by tasks {unrankable}: their predictions (e.g. the "
            "probabilities of a multiclass task) do not order rows."
        )
    return weights


class PairScorer:
    """Scores (user, item) pairs of a fitted model from their ids.

    Parameters
    ----------
    network : nn.Module
        The trained :class:`~sklearn_mtl.modules.MultiTaskNetwork`.
    device : str or torch.device
        Where ``network`` lives.
    catalog : Catalog
        The model's users, items and interactions.
    tasks : mapping of str to Task
        The fitted tasks, in output order.
    text_encoders : mapping, default=None
        Text column → fitted text encoder (models with text features).
    reads_history : bool, default=False
        Whether the network reads the :data:`~sklearn_mtl.inputs.IN_HISTORY`
        flag (``interaction_history=True``).
    """

    def __init__(
        self,
        network: nn.Module,
        device: str | torch.device,
        catalog: Catalog,
        tasks: Mapping[str, Task],
        text_encoders: Mapping[Hashable, Any] | None = None,
        reads_history: bool = False,
    ) -> None:
        self.network = network
        self.device = device
        self.catalog = catalog
        self.tasks = tasks
        self.text_encoders = dict(text_encoders or {})
        self.reads_history = reads_history

    def _embed_text(self, column: Hashable, texts: np.ndarray) -> np.ndarray:
        return embed_texts(self.text_encoders[column], column, texts)

    def outputs(
        self,
        users: SideBlock,
        items: SideBlock,
        user_index: np.ndarray,
        item_index: np.ndarray,
        in_history: np.ndarray,
    ) -> dict[str, torch.Tensor]:
        """Each task's :meth:`~sklearn_mtl.tasks.Task.output` for the pairs, float64 on the CPU.

        Pair ``k`` is ``(users[user_index[k]], items[item_index[k]])``;
        ``in_history`` flags the pairs that are training interactions.

        Parameters
        ----------
        users, items : SideBlock
            The encoded users and items.
        user_index, item_index : ndarray of int
            Each pair's row in ``users`` and in ``items``.
        in_history : ndarray of bool
            Whether each pair is a training interaction.

        Returns
        -------
        dict of str to Tensor
        """
        features = self.catalog.assemble(
            users, items, user_index, item_index, embed_text=self._embed_text
        )
        if self.reads_history:
            features[IN_HISTORY] = in_history.astype(np.float32)
        parts: list[tuple[torch.Tensor, ...]] = []
        self.network.eval()
        with torch.inference_mode():
            for batch in inference_batches(features, self.device, _SCORING_BATCH):
                parts.append(tuple(out.cpu() for out in self.network(**batch)))
        raw = [torch.cat(chunk) for chunk in zip(*parts, strict=True)]
        return {
            name: task.output(output.double())
            for (name, task), output in zip(self.tasks.items(), raw, strict=True)
        }

    def _score(self, outputs: Mapping[str, torch.Tensor], weights: Mapping[str, float]):
        return sum(w * self.tasks[t].ranking_value(outputs[t]) for t, w in weights.items())

    def _task_columns(self, frame: pd.DataFrame, outputs: Mapping, rows=None) -> None:
        for name, output in outputs.items():
            values = output.numpy() if rows is None else output[rows].numpy()
            frame[name] = self.tasks[name].column(values)

    def check_known_items(self, items: np.ndarray) -> None:
        """Refuse item ids that the catalog does not know.

        Parameters
        ----------
        items : ndarray
            Item ids.
        """
        unknown = pd.Index(items).difference(self.catalog.items_.index)
        if len(unknown):
            raise ValueError(
                f"items holds ids not seen in fit: {list(unknown[:10])}; an item is known "
                "by its id and features from the training data."
            )

    def _pairs(self, users: Any, items: Any) -> tuple:
        """Checked ids, their encoded blocks, the pairs' indices and in-history flags."""
        catalog = self.catalog
        users, items = np.asarray(users), np.asarray(items)
        if users.shape != items.shape or users.ndim != 1:
            raise ValueError(
                f"users and items must be 1-D of the same length; got {users.shape} and "
                f"{items.shape}."
            )
        self.check_known_items(items)
        user_ids, user_index = np.unique(users, return_inverse=True)
        item_ids, item_index = np.unique(items, return_inverse=True)
        user_block, item_block = catalog.encode_users(user_ids), catalog.encode_items(item_ids)
        in_history = catalog.in_history(user_block.codes[user_index], item_block.codes[item_index])
        return users, items, user_block, item_block, user_index, item_index, in_history

    def pair_inputs(self, users: Any, items: Any) -> NetworkInputs:
        """The network inputs of the (user, item) pairs, from their ids.

        Parameters
        ----------
        users, items : array-like
            The pairs' user and item ids, of the same length.

        Returns
        -------
        NetworkInputs
        """
        _, _, user_block, item_block, user_index, item_index, in_history = self._pairs(users, items)
        features = self.catalog.assemble(
            user_block, item_block, user_index, item_index, embed_text=self._embed_text
        )
        if self.reads_history:
            features[IN_HISTORY] = in_history.astype(np.float32)
        return features

    def score_pairs(self, users: Any, items: Any, weights: Mapping[str, float]) -> pd.DataFrame:
        """The frame of ``MultiTaskRecommender.score_pairs``.

        Parameters
        ----------
        users, items : array-like
            The pairs' user and item ids, of the same length.
        weights : mapping of str to float
            The ``score`` column's weight of each task.

        Returns
        -------
        DataFrame
        """
        catalog = self.catalog
        users, items, user_block, item_block, user_index, item_index, in_history = self._pairs(
            users, items
        )
        outputs = self.outputs(user_block, item_block, user_index, item_index, in_history)
        frame = pd.DataFrame({catalog.user_col: users, catalog.item_col: items})
        frame["score"] = self._score(outputs, weights).numpy()
        self._task_columns(frame, outputs)
        return frame

    def _seen_positions(
        self, seen: pd.DataFrame | None, user_ids: np.ndarray, item_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions among ``user_ids`` and ``item_ids`` of the pairs of ``seen`` that occur."""
        if seen is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        catalog = self.catalog
        columns = [catalog.user_col, catalog.item_col]
        if not isinstance(seen, pd.DataFrame) or any(c not in seen.columns for c in columns):
            got = list(seen.columns) if isinstance(seen, pd.DataFrame) else type(seen).__name__
            raise ValueError(
                f"seen must be a DataFrame with the columns {columns}, one (user, item) pair "
                f"per row; got {got}."
            )
        # Every position of each user (a user may be asked for twice) meets its seen items.
        positions = pd.DataFrame(
            {"user": pd.Series(user_ids, dtype=object), "position": np.arange(len(user_ids))}
        )
        pairs = positions.merge(
            pd.DataFrame(
                {
                    "user": seen[catalog.user_col].astype(object).to_numpy(),
                    "item": seen[catalog.item_col].astype(object).to_numpy(),
                }
            ),
            on="user",
        )
        users = pairs["position"].to_numpy(np.int64)
        items = pd.Index(item_ids, dtype=object).get_indexer(pairs["item"].to_numpy(object))
        found = items >= 0
        return users[found], items[found]

    def recommend(
        self,
        users: Any,
        k: int,
        items: Any,
        exclude_seen: bool,
        weights: Mapping[str, float],
        seen: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """The frame of ``MultiTaskRecommender.recommend``.

        Parameters
        ----------
        users : array-like
            User ids.
        k : int
            Items per user.
        items : array-like or DataFrame
            The candidates: ids, or rows with each item's features.
        exclude_seen : bool
            Whether each user's training interactions are left out.
        weights : mapping of str to float
            The ``score`` column's weight of each task.
        seen : DataFrame, default=None
            User-item pairs to leave out, for a model saved without interactions.

        Returns
        -------
        DataFrame
        """
        catalog = self.catalog
        if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        user_ids = np.asarray(users).reshape(-1)
        described = None
        if items is None:
            item_ids = catalog.items_.index.to_numpy()
        elif isinstance(items, pd.DataFrame):
            described = catalog.check_described_items(items)
            item_ids = described.index.to_numpy()
        else:
            item_ids = pd.unique(np.asarray(items).reshape(-1))
            self.check_known_items(item_ids)
        user_block = catalog.encode_users(user_ids)
        item_block = catalog.encode_items(item_ids, described)
        n_items = len(item_ids)
        seen_users, seen_items = self._seen_positions(seen, user_ids, item_ids)
        top_k = min(int(k), n_items)
        chunk = max(1, _RECOMMEND_CHUNK // max(n_items, 1))
        frames = []
        for start in range(0, len(user_ids), chunk):
            rows = np.arange(start, min(start + chunk, len(user_ids)))
            user_index = np.repeat(rows, n_items)
            item_index = np.tile(np.arange(n_items), len(rows))
            in_history = catalog.in_history(
                user_block.codes[user_index], item_block.codes[item_index]
            )
            outputs = self.outputs(user_block, item_block, user_index, item_index, in_history)
            score = self._score(outputs, weights).view(len(rows), n_items)
            if exclude_seen:
                mask = in_history.reshape(len(rows), n_items)
                here = (seen_users >= rows[0]) & (seen_users <= rows[-1])
                mask[seen_users[here] - rows[0], seen_items[here]] = True
                score = score.masked_fill(torch.from_numpy(mask), float("-inf"))
            best, where = torch.topk(score, top_k, dim=1)
            flat = (torch.arange(len(rows)).unsqueeze(1) * n_items + where).reshape(-1)
            frame = pd.DataFrame(
                {
                    catalog.user_col: np.repeat(user_ids[rows], top_k),
                    catalog.item_col: item_ids[where.reshape(-1).numpy()],
                    "rank": np.tile(np.arange(1, top_k + 1), len(rows)),
                    "score": best.reshape(-1).numpy(),
                }
            )
            self._task_columns(frame, outputs, rows=flat)
            frames.append(frame[np.isfinite(frame["score"].to_numpy())])
        return pd.concat(frames, ignore_index=True)
