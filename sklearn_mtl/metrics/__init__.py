"""Per-task metrics and scorers, ranking metrics, and the leave-one-out protocol."""

from . import _task
from ._leave_one_out import evaluate_leave_one_out, leave_one_out_split
from ._ranking import hit_rate_at_k, map_at_k, mrr, ndcg_at_k, precision_at_k, recall_at_k
from ._ranking_scorer import ranking_scorer
from ._task import task_metric, task_scorer

#: The metrics :func:`task_metric` and :func:`task_scorer` know: name →
#: (function, the response it reads, the task types it applies to).
TASK_METRICS = _task.TASK_METRICS

__all__ = [
    "TASK_METRICS",
    "evaluate_leave_one_out",
    "hit_rate_at_k",
    "leave_one_out_split",
    "map_at_k",
    "mrr",
    "ndcg_at_k",
    "precision_at_k",
    "ranking_scorer",
    "recall_at_k",
    "task_metric",
    "task_scorer",
]
