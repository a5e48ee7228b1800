"""Looking inside a trained network: how the tasks of a mixture share its experts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from .inputs import NetworkInputs
from .modules import MultiTaskNetwork
from .training import inference_batches

__all__ = ["mean_gate_weights"]


def mean_gate_weights(
    network: MultiTaskNetwork,
    features: NetworkInputs,
    task_names: Sequence[str],
    level: int = -1,
    device: str | torch.device = "cpu",
    batch_size: int = 4096,
) -> pd.DataFrame:
    """Mean gate weight of each task on each expert over the rows of ``features``.

    The computation behind ``MultiTaskRecommender.expert_usage``.

    Parameters
    ----------
    network : MultiTaskNetwork
        A network whose architecture has gates (MMoE, PLE).
    features : dict
        Network inputs of the rows (see :mod:`sklearn_mtl.inputs`).
    task_names : sequence of str
        The tasks, in output order (the rows of the result).
    level : int, default=-1
        The extraction level whose gates to read (PLE).
    device : str or torch.device, default="cpu"
        Where ``network`` lives.
    batch_size : int, default=4096
        Rows per forward pass.

    Returns
    -------
    DataFrame of shape (n_tasks, n_experts)
        Each row sums to 1.
    """
    architecture = network.architecture
    n_levels = getattr(architecture, "n_levels", 1)
    if not -n_levels <= level < n_levels:
        raise ValueError(f"level must lie in [{-n_levels}, {n_levels}); got {level}.")
    totals, n_rows = None, 0
    network.eval()
    with torch.inference_mode():
        for batch in inference_batches(features, device, batch_size):
            gates = network.gate_weights(**batch, level=level)
            sums = torch.stack([g.sum(dim=0) for g in gates]).cpu()
            totals = sums if totals is None else totals + sums
            n_rows += len(gates[0])
    return pd.DataFrame(
        (totals / n_rows).numpy().astype(np.float64),
        index=pd.Index(list(task_names), name="task"),
        columns=pd.Index(architecture.expert_names(level), name="expert"),
    )
