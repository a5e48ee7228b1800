"""Strategies that balance the losses of the tasks, one module each."""

from .base import LossWeighting
from .dwa import DynamicWeightAverage
from .equal import EqualWeighting
from .gradnorm import GradNorm
from .pcgrad import PCGrad
from .uncertainty import UncertaintyWeighting

#: Names accepted by ``MultiTaskRecommender(loss_weighting=...)``.
LOSS_WEIGHTINGS: dict[str, type[LossWeighting]] = {
    "equal": EqualWeighting,
    "uncertainty": UncertaintyWeighting,
    "dwa": DynamicWeightAverage,
    "gradnorm": GradNorm,
    "pcgrad": PCGrad,
}

__all__ = [
    "LOSS_WEIGHTINGS",
    "DynamicWeightAverage",
    "EqualWeighting",
    "GradNorm",
    "LossWeighting",
    "PCGrad",
    "UncertaintyWeighting",
]
