"""Entire Space Multi-task Model (Ma et al., SIGIR 2018) for chains of binary tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..tasks import is_binary
from .base import MultiTaskArchitecture
from .mlp import MLP

__all__ = ["ESMM"]


def _logit_from_log_probability(log_p: torch.Tensor) -> torch.Tensor:
    """``log p - log(1 - p)`` computed from ``log p`` without losing precision."""
    log_p = log_p.clamp(max=-1e-7)
    log_one_minus_p = torch.where(
        log_p > -0.6931, torch.log(-torch.expm1(log_p)), torch.log1p(-torch.exp(log_p))
    )
    return log_p - log_one_minus_p


class ESMM(MultiTaskArchitecture):
    """Binary tasks in a chain, each conditioned on the one before, trained on all rows.

    For a chain ``click → conversion`` the conversion head predicts
    ``p(conversion | click)``, but its loss is taken on
    ``p(click and conversion) = p(click) · p(conversion | click)`` against the
    entire-space label (0 wherever the click label is 0). Every impression
    then trains the conversion head, not only the clicked ones, which removes
    the sample selection bias and the sparsity of training on clicks alone.
    Tasks share the feature embeddings and have their own MLPs, as in the
    paper.

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks.
    chain : sequence of int
        Indices of the chained binary tasks, first the unconditional one.
    units : sequence of int
        Hidden layer widths of each task's MLP.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization in each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mtl.modules import ESMM
    >>> esmm = ESMM(input_dim=4, n_tasks=2, chain=[0, 1], units=[3])
    >>> outputs, targets = esmm.loss_view(
    ...     [torch.zeros(2), torch.zeros(2)], torch.tensor([[0.0, float("nan")], [1.0, 1.0]]))
    >>> torch.sigmoid(outputs[1])  # p(click) * p(conversion | click) = 0.5 * 0.5
    tensor([0.2500, 0.2500])
    >>> targets[:, 1]  # no click: no conversion, on the entire space
    tensor([0., 1.])
    """

    summary = (
        "the binary tasks of ``esmm_chain`` are trained on the entire space, "
        "``p(a and b) = p(a) · p(b | a)`` (Ma et al., 2018)."
    )

    @classmethod
    def from_params(cls, params: Mapping[str, Any], tasks: Mapping[str, Any], **common) -> ESMM:
        if params["esmm_chain"] is None:
            raise ValueError("architecture='esmm' needs esmm_chain, e.g. ['click', 'like'].")
        chain = list(params["esmm_chain"])
        unknown = [t for t in chain if t not in tasks]
        if unknown:
            raise ValueError(f"esmm_chain names tasks that do not exist: {unknown}.")
        not_binary = [t for t in chain if not is_binary(tasks[t])]
        if not_binary:
            raise ValueError(f"esmm_chain tasks must be binary; {not_binary} are not.")
        if len(chain) < 2 or len(set(chain)) != len(chain):
            raise ValueError(f"esmm_chain must list at least two distinct tasks; got {chain}.")
        names = list(tasks)
        return cls(chain=[names.index(t) for t in chain], **common)

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        chain: Sequence[int],
        units: Sequence[int],
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(input_dim, n_tasks)
        chain = [int(i) for i in chain]
        if len(chain) < 2 or len(set(chain)) != len(chain):
            raise ValueError(f"chain must list at least two distinct tasks; got {chain}.")
        if not all(0 <= i < n_tasks for i in chain):
            raise ValueError(f"chain indices must lie in [0, {n_tasks}); got {chain}.")
        self.chain = chain
        self.networks = nn.ModuleList(
            MLP(input_dim, units, dropout, batch_norm) for _ in range(n_tasks)
        )
        self.output_dim = self.networks[0].output_dim

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [net(x) for net in self.networks]

    def shared_parameters(self) -> list[nn.Parameter]:
        return []  # only the embeddings, which the network owns

    def loss_view(
        self, outputs: Sequence[torch.Tensor], targets: torch.Tensor
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        outputs, targets = list(outputs), targets.clone()
        log_p = F.logsigmoid(outputs[self.chain[0]])
        for parent, child in zip(self.chain, self.chain[1:], strict=False):
            log_p = log_p + F.logsigmoid(outputs[child])
            outputs[child] = _logit_from_log_probability(log_p)
            parent_is_zero = targets[:, parent] == 0
            targets[:, child] = torch.where(
                parent_is_zero, torch.zeros_like(targets[:, child]), targets[:, child]
            )
        return outputs, targets
