"""A multi-task loss and the skorch ``NeuralNet`` that trains with it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_tensor
from torch import nn

from ..distributed import average_gradients
from ..tasks import Task
from ..weighting import LossWeighting
from .batching import BatchSlicer
from .callbacks import LossWeightingHooks, TaskValidationMetrics, TerminalAwarePrintLog

__all__ = ["MultiTaskLoss", "MultiTaskNet"]


class MultiTaskLoss(nn.Module):
    """Masked per-task losses, scaled by fixed task weights, combined by a strategy.

    Parameters
    ----------
    tasks : sequence of Task
        Fitted tasks, in the order of the network's outputs and of the target
        columns.
    weighting : LossWeighting
        A built strategy that turns the vector of task losses into gradients.
    task_weights : sequence of float
        Constant factor of each task's loss, applied before the strategy.
    training_reduction : {"mean", "sum"}, default="mean"
        How a training batch's rows make each task's loss: the mean over its
        labelled rows, or their sum (differentially private training, where
        each row's gradient must depend on that row alone). Validation
        losses are always means.
    """

    def __init__(
        self,
        tasks: Sequence[Task],
        weighting: LossWeighting,
        task_weights: Sequence[float],
        training_reduction: str = "mean",
    ) -> None:
        super().__init__()
        if training_reduction not in ("mean", "sum"):
            raise ValueError(
                f"training_reduction must be 'mean' or 'sum'; got {training_reduction!r}."
            )
        self.tasks = list(tasks)
        self.weighting = weighting
        self.training_reduction = training_reduction
        self.register_buffer("task_weights", torch.tensor(list(task_weights), dtype=torch.float32))

    def task_row_losses(
        self, outputs: Sequence[torch.Tensor], targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each task's loss on each row, shape (n_tasks, n_rows), and its labelled-row counts.

        Parameters
        ----------
        outputs : sequence of Tensor
            Each task's raw output, in the order of ``tasks``.
        targets : Tensor of shape (n_rows, n_tasks)
            Encoded targets, NaN where a row has no label.
        """
        rows, masks = zip(
            *(
                task.row_losses(output, targets[:, j])
                for j, (task, output) in enumerate(zip(self.tasks, outputs, strict=True))
            ),
            strict=True,
        )
        return torch.stack(rows), torch.stack(masks).sum(dim=1)

    def task_losses(self, outputs: Sequence[torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
        """Vector of each task's mean loss over its labelled rows (unscaled).

        Parameters
        ----------
        outputs : sequence of Tensor
            Each task's raw output, in the order of ``tasks``.
        targets : Tensor of shape (n_rows, n_tasks)
            Encoded targets, NaN where a row has no label.
        """
        rows, counts = self.task_row_losses(outputs, targets)
        return rows.sum(dim=1) / counts.clamp(min=1.0)

    def row_totals(self, task_rows: torch.Tensor) -> torch.Tensor:
        """Each row's loss: its task losses scaled by ``task_weights`` and summed.

        The loss of ``training_reduction="sum"``, whose tasks are combined by
        a plain weighted sum (the ``"equal"`` weighting).

        Parameters
        ----------
        task_rows : Tensor of shape (n_tasks, n_rows)
            What :meth:`task_row_losses` gives first.

        Returns
        -------
        Tensor of shape (n_rows,)
        """
        return (self.task_weights.unsqueeze(1) * task_rows).sum(dim=0)

    def forward(self, task_losses: torch.Tensor) -> torch.Tensor:
        return self.weighting(self.task_weights * task_losses)

    def backward_step(self, task_losses: torch.Tensor, network: nn.Module) -> torch.Tensor:
        """The strategy's ``backward_step`` on the losses scaled by ``task_weights``.

        Parameters
        ----------
        task_losses : Tensor of shape (n_tasks,)
            Each task's loss on the batch, before ``task_weights``.
        network : MultiTaskNetwork
            The network being trained.

        Returns
        -------
        Tensor
            The loss to log.
        """
        return self.weighting.backward_step(self.task_weights * task_losses, network)


class MultiTaskNet(NeuralNet):
    """A skorch ``NeuralNet`` whose module returns one output per task.

    ``criterion`` must be a :class:`MultiTaskLoss` instance. Each batch's task
    losses are recorded in the history as ``train_<task>_loss`` /
    ``valid_<task>_loss`` (averaged per epoch by skorch's
    ``PassthroughScoring``); with a validation split, each task's metric is
    logged as ``valid_<task>_<metric>``, and the loss weights as
    ``weight_<task>``. These callbacks are the net's defaults, so every net
    has them and ``callbacks=`` holds only the optional ones. Training steps
    go through the loss weighting strategy's ``backward_step``, so
    gradient-based strategies (GradNorm, PCGrad) control the backward pass. A
    loss that is not finite stops training with a ``ValueError`` naming the
    task and the epoch. With :class:`~sklearn_mtl.training.BatchSlicer` as
    ``iterator_train``, each epoch's shuffling order is seeded by the epoch
    number, so training continued after a save and load sees the batches it
    would have seen.

    With an ``accelerate.Accelerator`` as ``accelerator`` (set by the
    estimator's ``distributed=True`` under a ``torch.distributed`` launch),
    each training pass runs the network through ``DistributedDataParallel``
    and each process trains on its own shard of the batches (or, with
    ``train_steps``, on its own rows for exactly that many steps); ``module_``
    stays the plain network throughout.

    With a criterion of ``training_reduction="sum"``, each training batch's
    loss is a vector of row losses; ``row_backward_`` (set by
    :class:`~sklearn_mtl.training.PrivateTraining` for the duration of
    training) turns it into gradients, clipping each row's, and their plain
    sum is differentiated otherwise.

    Parameters
    ----------
    *args, **kwargs
        skorch's ``NeuralNet`` parameters (``module``, ``criterion``, ...).
    accelerator : accelerate.Accelerator, default=None
        Trains data-parallel over the launched processes.
    train_steps : int, default=None
        Steps of each training pass, the same in every process, when the
        processes train on rows of their own.
    """

    def __init__(self, *args, accelerator=None, train_steps=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accelerator = accelerator
        self.train_steps = train_steps

    @property
    def _n_processes(self) -> int:
        return 1 if self.accelerator is None else self.accelerator.num_processes

    @property
    def _default_callbacks(self) -> list[tuple[str, object]]:
        names = [task.name for task in self.criterion.tasks]
        callbacks: list[tuple[str, object]] = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring("train_loss", on_train=True)),
        ]
        callbacks += [
            (f"train_{name}_loss", PassthroughScoring(f"train_{name}_loss", on_train=True))
            for name in names
        ]
        callbacks.append(("valid_loss", PassthroughScoring("valid_loss")))
        if self.train_split is not None:
            callbacks += [
                (f"valid_{name}_loss", PassthroughScoring(f"valid_{name}_loss")) for name in names
            ]
            callbacks.append(("task_metrics", TaskValidationMetrics()))
        callbacks.append(("loss_weighting", LossWeightingHooks()))
        # Last, so that the printed line has everything the epoch recorded.
        callbacks.append(("print_log", TerminalAwarePrintLog()))
        return callbacks

    def get_iterator(self, dataset, training: bool = False):
        iterator = super().get_iterator(dataset, training=training)
        if training and isinstance(iterator, BatchSlicer):
            # skorch has opened this epoch's history row: its number seeds the order.
            iterator.epoch = len(self.history)
            if self.train_steps is not None:
                # Each process trains on its own rows: the same step count everywhere.
                iterator.n_steps = self.train_steps
            elif self._n_processes > 1:
                iterator.n_shards = self._n_processes
                iterator.shard = self.accelerator.process_index
        return iterator

    def on_train_begin(self, net, X=None, y=None, **kwargs) -> None:
        if self._n_processes > 1:
            # DDP broadcasts rank 0's weights now and averages gradients in
            # every backward pass through it; module_ stays the plain network.
            # (Set through __dict__: the wrapper shares module_'s parameters,
            # and skorch only accepts new torch components in initialize.)
            self.__dict__["ddp_module_"] = self.accelerator.prepare(self.module_)

    def on_train_end(self, net, X=None, y=None, **kwargs) -> None:
        self.__dict__.pop("ddp_module_", None)

    def infer(self, x, **fit_params):
        ddp = self.__dict__.get("ddp_module_")
        if ddp is None or not self.module_.training:
            return super().infer(x, **fit_params)
        x = to_tensor(x, device=self.device)
        return ddp(**self._merge_x_and_fit_params(x, fit_params))

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        # An accelerator belongs to the processes of one launch.
        state["accelerator"] = None
        state.pop("ddp_module_", None)
        state.pop("row_backward_", None)
        return state

    def initialize(self) -> MultiTaskNet:
        super().initialize()
        # The estimator passes the module and criterion as instances, so the
        # ``module``/``criterion`` parameters are the very objects that
        # ``module_``/``criterion_`` are, possibly on CUDA. Listing them as
        # CUDA-dependent makes pickles of GPU-trained nets load on CPU-only
        # machines (skorch maps those attributes to the available device).
        missing = [p for p in ("module", "criterion") if p not in self.cuda_dependent_attributes_]
        if missing:
            self.cuda_dependent_attributes_ = [*self.cuda_dependent_attributes_, *missing]
        return self

    def _set_training(self, training: bool = True) -> None:
        # skorch switches every module's mode before every batch, which walks
        # the whole module tree each time (~10% of an epoch of a small tabular
        # network); switching only when the mode changes gives the same modes.
        if getattr(self, "_training_mode", None) is training and self.module_.training is training:
            return
        super()._set_training(training)
        self._training_mode = training

    def get_task_losses(self, y_pred, y_true, training: bool) -> torch.Tensor:
        """Each task's mean loss on the batch (as the architecture asks it to be seen).

        Parameters
        ----------
        y_pred : sequence of Tensor
            The network's outputs for the batch.
        y_true : Tensor of shape (batch, n_tasks)
            Encoded targets.
        training : bool
            Whether this is a training batch: the losses are logged as
            ``train_<task>_loss``, else ``valid_<task>_loss``.

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        rows, counts = self._task_row_losses(y_pred, y_true, training)
        return rows.sum(dim=1) / counts.clamp(min=1.0)

    def _task_row_losses(self, y_pred, y_true, training: bool):
        """Each task's loss on each row and its labelled rows; logs and checks the task means."""
        y_true = to_tensor(y_true, device=self.device)
        y_pred, y_true = self.module_.loss_view(y_pred, y_true)
        rows, counts = self.criterion_.task_row_losses(y_pred, y_true)
        prefix = "train" if training else "valid"
        # One transfer for all tasks: each .item() would be a sync of its own.
        means = (rows.detach().sum(dim=1) / counts.clamp(min=1.0)).cpu().tolist()
        for task, value in zip(self.criterion_.tasks, means, strict=True):
            if not math.isfinite(value):
                self._diverged(f"the {prefix} loss of task {task.name!r} is {value}")
            self.history.record_batch(f"{prefix}_{task.name}_loss", value)
        return rows, counts

    def _diverged(self, what: str) -> None:
        # The history has one row per started epoch (skorch counts from 1).
        raise ValueError(
            f"Training diverged in epoch {len(self.history)}: {what}. Lower lr, set "
            "max_grad_norm, or check the targets for extreme values."
        )

    def get_loss(self, y_pred, y_true, X=None, training=False) -> torch.Tensor:
        return self.criterion_(self.get_task_losses(y_pred, y_true, training))

    def train_step(self, batch, **fit_params):
        # skorch hands the optimizer a closure (for optimizers such as LBFGS
        # that re-evaluate the loss); Adam steps once, and calling it plainly
        # saves the closure's bookkeeping on every batch.
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        if self._n_processes > 1:
            # Learned loss weights live outside the DDP-wrapped network.
            average_gradients(self.accelerator, self.criterion_.parameters())
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        self._step_optimizer(None)
        return step

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        summed = self.criterion_.training_reduction == "sum"
        if summed and len(yi) == 0:
            # A Poisson batch that drew no row: nothing to forward; the step
            # (noise alone, for private training) still happens.
            self.__dict__.get("row_backward_", lambda totals: None)(yi.new_zeros(0))
            return {"loss": yi.new_zeros(()), "y_pred": None}
        y_pred = self.infer(Xi, **fit_params)
        rows, counts = self._task_row_losses(y_pred, yi, training=True)
        means = rows.sum(dim=1) / counts.clamp(min=1.0)
        if summed:
            row_totals = self.criterion_.row_totals(rows)
            # Differentially private training clips each row's gradient.
            backward = self.__dict__.get("row_backward_", lambda totals: totals.sum().backward())
            backward(row_totals)
            # The log shows the usual per-row loss, whatever the batch size.
            loss = self.criterion_(means.detach())
        else:
            loss = self.criterion_.backward_step(means, self.module_)
        if not torch.isfinite(loss):
            # Finite task losses can still combine into a non-finite total
            # (a learned weight that overflowed).
            self._diverged(f"the weighted total loss is {loss.item()}")
        return {"loss": loss, "y_pred": y_pred}
