"""skorch callbacks: per-task metrics, loss-weighting hooks, a restarting schedule, progress."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import torch
import tqdm
from skorch.callbacks import Callback, LRScheduler, PrintLog, ProgressBar

from ..metrics import task_metric

__all__ = [
    "DelayedProgressBar",
    "LossWeightingHooks",
    "RestartingLRScheduler",
    "TaskAffinityLogging",
    "TaskValidationMetrics",
    "TerminalAwarePrintLog",
]

#: skorch's log highlights the best values with ANSI colour codes.
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
#: Seconds an epoch runs before its progress bar appears.
PROGRESS_BAR_DELAY = 2.0


class TerminalAwarePrintLog(PrintLog):
    """skorch's per-epoch log, with its colour codes only when stdout is a terminal.

    skorch highlights each best value with ANSI codes; in a log file, a CI
    job or captured output they are noise.
    """

    def _sink(self, text: str, verbose: int) -> None:
        if not verbose:
            return
        isatty = getattr(sys.stdout, "isatty", None)
        if not (isatty and isatty()):
            text = _ANSI_CODE.sub("", text)
        print(text)


class DelayedProgressBar(ProgressBar):
    """skorch's progress bar, shown only for epochs that last more than two seconds.

    Short epochs print their log line and nothing else; a long one shows how
    far it is (tqdm's ``delay``), whatever its number of batches, on a
    terminal or in a notebook (in a log file the per-epoch lines say enough).

    Parameters
    ----------
    batches_per_epoch : int or "auto" or "count", default="auto"
        As for skorch's ``ProgressBar``.
    detect_notebook : bool, default=True
        Show a notebook widget in a notebook.
    postfix_keys : list of str, default=None
        History keys shown beside the bar; skorch's default when None.
    """

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None:
        total = self._get_batches_per_epoch(net, dataset_train, dataset_valid)
        bar = tqdm.tqdm_notebook if self._use_notebook() else tqdm.tqdm
        # disable=None: no bar where stderr is not a terminal (logs, CI).
        self.pbar_ = bar(total=total, leave=False, delay=PROGRESS_BAR_DELAY, disable=None)


class TaskValidationMetrics(Callback):
    """Records ``valid_<task>_<metric>`` in the history after every epoch.

    Collects the raw outputs of the validation batches (skorch hands them to
    ``on_batch_end``), so no extra forward pass is made.
    """

    def on_epoch_begin(self, net, **kwargs) -> None:
        self._outputs: list[tuple[torch.Tensor, ...]] = []
        self._targets: list[torch.Tensor] = []

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs) -> None:
        if training or y_pred is None:
            return
        self._outputs.append(tuple(out.detach().cpu() for out in y_pred))
        self._targets.append(batch[1].detach().cpu())

    def on_epoch_end(self, net, **kwargs) -> None:
        if not self._outputs:
            return
        targets = torch.cat(self._targets).numpy()
        outputs = [torch.cat(parts).numpy() for parts in zip(*self._outputs, strict=True)]
        for j, task in enumerate(net.criterion_.tasks):
            codes = targets[:, j]
            labels = np.full(len(codes), np.nan, dtype=object)
            labelled = ~np.isnan(codes)
            labels[labelled] = task.decode(codes[labelled])
            with warnings.catch_warnings():
                # A small validation split can hold one class only: report NaN.
                warnings.simplefilter("ignore")
                try:
                    value = task_metric(task, None, labels, outputs[j])
                except ValueError:
                    value = float("nan")
            net.history.record(f"valid_{task.name}_{task.metric_name}", value)


class LossWeightingHooks(Callback):
    """Calls the strategy's ``after_step`` / ``end_epoch`` and logs its weights per epoch."""

    def on_batch_end(self, net, training, **kwargs) -> None:
        if training:
            net.criterion_.weighting.after_step()

    def on_epoch_end(self, net, **kwargs) -> None:
        # Log the weights this epoch trained with, then let the strategy update.
        weighting = net.criterion_.weighting
        names = [task.name for task in net.criterion_.tasks]
        for key, value in weighting.history_items(names).items():
            net.history.record(key, value)
        weighting.end_epoch()


class RestartingLRScheduler(LRScheduler):
    """skorch's ``LRScheduler``, started again from the initial rate by every training call.

    Pass ``last_epoch=-1`` so that the schedule counts the epochs of the
    current call only (skorch otherwise continues it from the history).

    Parameters
    ----------
    policy : str or torch scheduler class, default="WarmRestartLR"
        As for skorch's ``LRScheduler``.
    monitor : str or callable, default="train_loss"
        The value a ``ReduceLROnPlateau`` policy watches.
    event_name : str, default="event_lr"
        History key of the learning rate.
    step_every : {"epoch", "batch"}, default="epoch"
        When the schedule steps.
    **kwargs
        The scheduler's own parameters, such as ``T_max`` and ``last_epoch``.
    """

    def on_train_begin(self, net, **kwargs) -> None:
        # A new torch scheduler takes the optimizer's current rate as its
        # base, and a finished schedule left that rate near 0.
        for group in net.optimizer_.param_groups:
            group["lr"] = group.get("initial_lr", group["lr"])
        super().on_train_begin(net, **kwargs)


class TaskAffinityLogging(Callback):
    """Logs the tasks' gradient affinity on the training rows at the end of every epoch.

    Records ``affinity_<task>_<other>`` for every pair of tasks (see
    ``MultiTaskRecommender.task_affinity``).

    Parameters
    ----------
    measure : callable
        ``measure(network, criterion, dataset, device=...)`` returning the
        tasks x tasks DataFrame (``inspection.task_gradient_affinity`` with its
        batch settings bound).
    """

    def __init__(self, measure) -> None:
        self.measure = measure

    def on_train_begin(self, net, **kwargs) -> None:
        if not [p for p in net.module_.shared_parameters() if p.requires_grad]:
            raise ValueError(
                "record_task_affinity=True compares the tasks' gradients on shared "
                "parameters, and this architecture shares none (e.g. 'single')."
            )

    def on_epoch_end(self, net, dataset_train=None, **kwargs) -> None:
        affinity = self.measure(net.module_, net.criterion_, dataset_train, device=net.device)
        names = list(affinity.index)
        for i, task in enumerate(names):
            for other in names[i + 1 :]:
                net.history.record(f"affinity_{task}_{other}", float(affinity.loc[task, other]))
