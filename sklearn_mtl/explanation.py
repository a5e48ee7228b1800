"""Why a model scores an item for a user: history reasons and feature reasons.

History reasons are exact: the score with one past interaction of the user
taken out of the pooled history, against the score with all of them, for all
of the user's past items at once. Feature reasons are Integrated Gradients
(Sundararajan et al., 2017), written here in a few lines rather than through
Captum: the attribution units are the pieces of
:meth:`~sklearn_mtl.modules.FeatureEmbedding.parts` (a column's whole
embedding, a numeric column, a text column's language-model vector), which
Captum would need a custom layer wrapper to see. The baseline is the unseen
code's embedding, the mean of a numeric column (0 once standardized), a zero
text vector and an empty pooled history; the completeness gap (sum of the
attributions minus the score difference from the baseline) is reported per
row as ``approximation_error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .inputs import IN_HISTORY, NetworkInputs, TensorDictDataset
from .modules import InteractionHistory, MultiTaskNetwork
from .tasks import Task

__all__ = ["explain_pairs"]

#: Riemann midpoints of the Integrated Gradients path.
IG_STEPS = 32
#: The fused ranking score, explained next to each task of ``rank_by``.
SCORE = "score"


def _targets(network, tasks, weights, embedded) -> dict[str, torch.Tensor]:
    """Each ranked task's ranking value and the fused score, from embedded inputs."""
    raw = network.head(embedded)
    values = {}
    for (name, task), output in zip(tasks.items(), raw, strict=True):
        if name in weights:
            values[name] = task.ranking_value(task.output(output))
    values[SCORE] = sum(w * values[t] for t, w in weights.items())
    return values


def _embed(network, parts_per_module) -> torch.Tensor:
    pieces = [
        m.combine(parts) for m, parts in zip(network.embeddings, parts_per_module, strict=True)
    ]
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


def _groups(embedding, column_names: Mapping[str, Sequence]) -> list[list[tuple[str, slice]]]:
    """For each part of ``embedding``: (reason name, slice of the part's columns)."""
    groups = [[(str(c), slice(None))] for c in column_names["categorical"]]
    if embedding.n_numeric:
        groups.append([(str(c), slice(j, j + 1)) for j, c in enumerate(column_names["numeric"])])
    if embedding.history is not None:
        groups.append([("interaction history", slice(None))])
    if embedding.text_projection is not None:
        start, spans = 0, []
        for column, width in zip(column_names["text"], column_names["text_widths"], strict=True):
            spans.append((str(column), slice(start, start + width)))
            start += width
        groups.append(spans)
    return groups


def feature_reasons(network, tasks, weights, inputs, column_names):
    """Integrated Gradients per column and target; and each row's completeness gap."""
    with torch.no_grad():
        parts = [m.parts(**inputs) for m in network.embeddings]
        baselines = []
        for module, module_parts in zip(network.embeddings, parts, strict=True):
            base = [
                module.unseen_part(j).expand_as(p) if j < len(module.embeddings)
                else torch.zeros_like(p)
                for j, p in enumerate(module_parts)
            ]  # fmt: skip
            baselines.append(base)
        at_input = {
            k: v.detach()
            for k, v in _targets(network, tasks, weights, _embed(network, parts)).items()
        }
        at_base = {
            k: v.detach()
            for k, v in _targets(network, tasks, weights, _embed(network, baselines)).items()
        }
    names = list(at_input)
    sums = {t: [[torch.zeros_like(p) for p in mp] for mp in parts] for t in names}
    for alpha in (torch.arange(IG_STEPS, dtype=torch.float32) + 0.5) / IG_STEPS:
        path = [
            [(b + alpha * (p - b)).requires_grad_(True) for p, b in zip(mp, mb, strict=True)]
            for mp, mb in zip(parts, baselines, strict=True)
        ]
        values = _targets(network, tasks, weights, _embed(network, path))
        flat = [t for mp in path for t in mp]
        for t in names:
            grads = iter(
                torch.autograd.grad(values[t].sum(), flat, retain_graph=True, allow_unused=True)
            )
            for module_sums in sums[t]:
                for total, grad in zip(module_sums, grads, strict=False):
                    if grad is not None:
                        total += grad
    attributions, gaps = {}, {}
    for t in names:
        per_column: dict[str, torch.Tensor] = {}
        total = 0.0
        for i, module in enumerate(network.embeddings):
            for j, spans in enumerate(_groups(module, column_names)):
                contribution = (parts[i][j] - baselines[i][j]) * sums[t][i][j] / IG_STEPS
                for name, span in spans:
                    value = contribution[:, span].sum(dim=1)
                    per_column[name] = per_column.get(name, 0.0) + value
                    total = total + value
        attributions[t] = {n: v.detach().double().numpy() for n, v in per_column.items()}
        gaps[t] = (total - (at_input[t] - at_base[t])).detach().double().numpy()
    return attributions, gaps, {t: v.double().numpy() for t, v in at_input.items()}


def history_reasons(network, tasks, weights, inputs, scores):
    """Each pair's score minus its score with one past item of the user left out, for every one."""
    history = network.embeddings[0].history
    users = inputs["categorical"][:, history.user_position]
    starts, ends = history.user_indptr[users], history.user_indptr[users + 1]
    lengths = ends - starts
    rows = torch.repeat_interleave(torch.arange(len(users)), lengths)
    offsets = torch.arange(int(lengths.sum())) - torch.repeat_interleave(
        torch.cumsum(lengths, 0) - lengths, lengths
    )
    left_out = history.user_items[starts[rows] + offsets]
    repeated = {k: v[rows] for k, v in inputs.items()}
    with torch.no_grad():
        parts = []
        for module in network.embeddings:
            module_parts = module.parts(**repeated)
            module_parts[module.history_part] = module.history.without_user_item(
                repeated["categorical"], repeated[IN_HISTORY], left_out
            )
            parts.append(module_parts)
        without = _targets(network, tasks, weights, _embed(network, parts))
    contributions = {t: scores[t][rows.numpy()] - v.double().numpy() for t, v in without.items()}
    return rows.numpy(), left_out.numpy(), contributions


def explain_pairs(
    network: MultiTaskNetwork,
    tasks: Mapping[str, Task],
    weights: Mapping[str, float],
    features: NetworkInputs,
    column_names: Mapping[str, Sequence],
    item_ids: pd.Index,
    n_reasons: int,
) -> pd.DataFrame:
    """Each pair's reasons (rows of ``features``), best first, per ranked task and the score.

    Returns a frame with ``pair`` (row of ``features``), ``task``,
    ``reason_kind``, ``reason``, ``contribution`` and ``approximation_error``.
    """
    device = next(network.parameters()).device
    inputs = {
        k: v.to(device)
        for k, v in TensorDictDataset(features)[0 : len(features["categorical"])][0].items()
    }
    network.eval()
    attributions, gaps, scores = feature_reasons(network, tasks, weights, inputs, column_names)
    frames = []
    for task, columns in attributions.items():
        for name, values in columns.items():
            frames.append(pd.DataFrame({
                "pair": np.arange(len(values)), "task": task, "reason_kind": "feature",
                "reason": name, "contribution": values, "approximation_error": gaps[task],
            }))  # fmt: skip
    # A history frozen into sums (saved without interactions) lists no past item.
    if isinstance(network.embeddings[0].history, InteractionHistory):
        rows, left_out, contributions = history_reasons(network, tasks, weights, inputs, scores)
        for task, values in contributions.items():
            frames.append(pd.DataFrame({
                "pair": rows, "task": task, "reason_kind": "history",
                "reason": item_ids[left_out - 1], "contribution": values,
                "approximation_error": np.nan,
            }))  # fmt: skip
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["pair", "task", "reason_kind", "contribution"],
                              ascending=[True, True, True, False], kind="stable")  # fmt: skip
    return table.groupby(["pair", "task", "reason_kind"], sort=False).head(n_reasons)
