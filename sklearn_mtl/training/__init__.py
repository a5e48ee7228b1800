"""The skorch side: the net, its loss, its callbacks, batching and the hold-out split.

Everything here speaks skorch's protocols (``NeuralNet``, callbacks,
``iterator_train``, ``train_split``); nothing here knows the estimator.
"""

from .batching import BatchSlicer, HoldoutSplit
from .callbacks import (
    DelayedProgressBar,
    LossWeightingHooks,
    RestartingLRScheduler,
    TaskAffinityLogging,
    TaskValidationMetrics,
)
from .net import MultiTaskLoss, MultiTaskNet
from .privacy import PrivateTraining
from .resampling import NegativeResampling

__all__ = [
    "BatchSlicer",
    "DelayedProgressBar",
    "HoldoutSplit",
    "LossWeightingHooks",
    "MultiTaskLoss",
    "MultiTaskNet",
    "NegativeResampling",
    "PrivateTraining",
    "RestartingLRScheduler",
    "TaskAffinityLogging",
    "TaskValidationMetrics",
]
