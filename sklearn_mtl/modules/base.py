"""Base class of multi-task architectures: one input vector in, one representation per task out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch
from torch import nn

__all__ = ["MultiTaskArchitecture"]


class MultiTaskArchitecture(nn.Module, ABC):
    """Maps the embedded features to one representation per task.

    Subclasses build their layers in ``__init__`` (which must accept
    ``input_dim``, ``n_tasks``, ``units``, ``dropout`` and ``batch_norm`` as
    keywords to be usable as ``MultiTaskRecommender(architecture=MyArchitecture)``;
    one that needs more overrides :meth:`from_params`), set ``output_dim`` and
    implement ``forward``. They say which of their
    parameters every task shares (``shared_parameters``), which belong to the
    last shared layer (``last_shared_parameters``, what GradNorm measures), and
    may reshape what the loss sees (``loss_view``, used by ESMM). The towers
    and heads that turn each representation into a prediction live outside.

    Parameters
    ----------
    input_dim : int
        Width of the embedded input vector.
    n_tasks : int
        Number of tasks, hence of representations returned by ``forward``.
    """

    output_dim: int
    #: True when each task must read its own copy of the feature embeddings
    #: (the single-task baseline); the network then feeds ``forward`` the
    #: ``n_tasks`` embedded vectors concatenated along the feature axis.
    separate_embeddings: ClassVar[bool] = False
    #: True for mixtures of experts, which implement ``gate_weights``.
    has_gates: ClassVar[bool] = False
    #: One sentence for the estimator's documentation of ``architecture``.
    summary: ClassVar[str] = ""

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], tasks: Mapping[str, Any], **common: Any
    ) -> MultiTaskArchitecture:
        """Build the architecture for an estimator.

        Parameters
        ----------
        params : mapping
            The estimator's parameters (``get_params(deep=False)``), for
            architectures with hyperparameters of their own.
        tasks : mapping of str to Task
            The fitted tasks, in output order.
        **common
            ``input_dim``, ``n_tasks``, ``units``, ``dropout`` and
            ``batch_norm``, which every architecture takes.
        """
        return cls(**common)

    def __init__(self, input_dim: int, n_tasks: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.n_tasks = n_tasks

    @abstractmethod
    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``n_tasks`` tensors of shape (batch, output_dim).

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            The embedded inputs.

        Returns
        -------
        list of Tensor
        """

    @abstractmethod
    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters whose gradient comes from more than one task."""

    def last_shared_parameters(self) -> list[nn.Parameter]:
        """Parameters of the last layer all tasks share (empty if there is none)."""
        return []

    def loss_view(
        self, outputs: Sequence[torch.Tensor], targets: torch.Tensor
    ) -> tuple[Sequence[torch.Tensor], torch.Tensor]:
        """What the loss compares: raw outputs and encoded targets, unchanged by default.

        Parameters
        ----------
        outputs : sequence of Tensor
            Each task's raw output, as :meth:`forward` returns them.
        targets : Tensor of shape (batch, n_tasks)
            Encoded targets, NaN where a row has no label.

        Returns
        -------
        outputs, targets
            What each task's loss reads.
        """
        return outputs, targets

    def gate_weights(self, x: torch.Tensor, level: int = -1) -> list[torch.Tensor]:
        """Each task's gate weights over ``expert_names(level)``, shape (batch, n_experts).

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            The embedded inputs.
        level : int, default=-1
            Which extraction level, for stacked architectures (PLE); -1 is the last.

        Returns
        -------
        list of Tensor
        """
        raise NotImplementedError(f"{type(self).__name__} has no gates.")

    def expert_names(self, level: int = -1) -> list[str]:
        """Names of the experts a task's gate chooses from at ``level``.

        Parameters
        ----------
        level : int, default=-1
            Which extraction level, for stacked architectures (PLE); -1 is the last.

        Returns
        -------
        list of str
        """
        raise NotImplementedError(f"{type(self).__name__} has no experts.")


def last_linear_parameters(mlp: nn.Module) -> list[nn.Parameter]:
    """Parameters of the last ``nn.Linear`` inside ``mlp`` (empty if none)."""
    linears = [m for m in mlp.modules() if isinstance(m, nn.Linear)]
    return list(linears[-1].parameters()) if linears else []
