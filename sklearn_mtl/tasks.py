"""Prediction tasks: label encoding, masked loss, what the output means, default metric.

A :class:`Task` is the one place that knows what a target column means. It is
fitted on that column in ``MultiTaskRecommender.fit`` (learning classes or the
scale of a regression target), turns labels into the float tensor the network
trains on (``NaN`` = no label on that row), computes the masked loss from the
network's raw output, and says what that raw output means
(:meth:`Task.output`): ``predict``/``predict_proba``, ``recommend``, the ONNX
serving graph and the ranking scorers all read a task's predictions through
that one method, so a custom task defines its meaning once.
"""

from __future__ import annotations

import copy
import warnings
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

__all__ = [
    "BinaryTask",
    "fit_tasks",
    "MulticlassTask",
    "RegressionTask",
    "Task",
    "infer_task_type",
    "is_binary",
    "make_task",
]


def _missing_mask(values: pd.Series) -> np.ndarray:
    """Rows without a label: NaN, None or pandas NA."""
    return pd.isna(values).to_numpy()


class Task(ABC):
    """Base class of a prediction task.

    Subclasses define how labels are encoded for the network, the loss on one
    batch, what the raw network output means (:meth:`output`), and the
    default metric.

    Parameters
    ----------
    name : str, default=None
        Name of the task; set by the estimator to the target column name.
    """

    #: String alias used in the ``tasks`` parameter of the estimator.
    task_type: ClassVar[str]
    #: Name of the default metric, used in ``score`` and in training logs.
    metric_name: ClassVar[str]
    #: Whether :meth:`output` gives one number per row that orders rows, so
    #: that ``recommend`` and the ranking scorers can rank by this task.
    ranks_rows: ClassVar[bool] = True

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    @property
    def is_classifier(self) -> bool:
        """Whether the task predicts classes (and has ``classes_`` once fitted)."""
        return False

    @property
    @abstractmethod
    def n_outputs(self) -> int:
        """Width of the network head for this task."""

    @abstractmethod
    def fit(self, y: pd.Series) -> Task:
        """Learn the encoding from the labelled rows of ``y``.

        Parameters
        ----------
        y : Series
            The target column; NaN, None or NA mark rows without a label.

        Returns
        -------
        self : Task
        """

    @abstractmethod
    def encode(self, y: pd.Series) -> np.ndarray:
        """Labels as float32 for the network; NaN where there is no label.

        Parameters
        ----------
        y : Series
            The target column, in the labels seen by :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,), dtype float32
        """

    @abstractmethod
    def elementwise_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss per row; rows without a label hold a placeholder target.

        Parameters
        ----------
        output : Tensor
            The task head's raw output for the batch.
        target : Tensor of shape (batch,)
            Encoded labels.

        Returns
        -------
        Tensor of shape (batch,)
        """

    @abstractmethod
    def output(self, raw: torch.Tensor) -> torch.Tensor:
        """What the network's raw output for this task means, as a tensor.

        The positive-class probability of a binary task, shape (n,); the class
        probabilities of a multiclass task, (n, n_classes); the value of a
        regression task in the units of ``y``, (n,). Plain tensor operations
        only: the ONNX serving graph traces this method.

        Parameters
        ----------
        raw : Tensor of shape (batch, n_outputs) or (batch,)
            The task head's raw output.

        Returns
        -------
        Tensor
        """

    @abstractmethod
    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`encode` on labelled rows.

        Parameters
        ----------
        codes : ndarray
            Encoded labels, as :meth:`encode` gives them.

        Returns
        -------
        ndarray
            The labels in the values of ``y``.
        """

    def output_array(self, raw: np.ndarray) -> np.ndarray:
        """:meth:`output` of a NumPy array of raw outputs, in float64.

        Parameters
        ----------
        raw : ndarray
            The task head's raw outputs.

        Returns
        -------
        ndarray
        """
        return self.output(torch.as_tensor(np.asarray(raw, dtype=np.float64))).numpy()

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """Predictions from raw output: :meth:`output` by default (values).

        Parameters
        ----------
        raw : ndarray
            The task head's raw outputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            Class labels of a classification task; values of a regression task.
        """
        return self.output_array(raw)

    def ranking_value(self, output: torch.Tensor) -> torch.Tensor:
        """One number per row that orders rows (for ``rank_by``), from :meth:`output`.

        By default the output itself (a probability, a value). A task whose
        ``ranks_rows`` is False raises a ``ValueError``.

        Parameters
        ----------
        output : Tensor
            :meth:`output` of a batch.

        Returns
        -------
        Tensor of shape (batch,)
        """
        if not self.ranks_rows:
            raise ValueError(
                f"Task {self.name!r} ({type(self).__name__}) cannot rank rows; rank by a "
                "binary or regression task."
            )
        return output

    def column(self, output: np.ndarray) -> np.ndarray:
        """The task's column in the frames of ``recommend`` and ``score_pairs``.

        From :meth:`output`: by default the output itself (a probability, a
        value).

        Parameters
        ----------
        output : ndarray
            :meth:`output` of the scored pairs, as NumPy.

        Returns
        -------
        ndarray of shape (n_pairs,)
        """
        return output

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean loss over the rows of this batch that carry a label.

        Rows whose target is NaN contribute neither loss nor gradient. A batch
        with no labelled row gives a zero that is still attached to the graph,
        so the backward pass never breaks and never needs a host sync.

        Parameters
        ----------
        output : Tensor
            The task head's raw output for the batch.
        target : Tensor of shape (batch,)
            Encoded labels, NaN where a row has none.

        Returns
        -------
        Tensor
            A scalar.
        """
        per_row, labelled = self.row_losses(output, target)
        return per_row.sum() / labelled.sum().clamp(min=1.0)

    def row_losses(
        self, output: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each row's loss (0 where unlabelled) and the float mask of labelled rows.

        Each row's term depends on that row alone, which differentially
        private training needs (a mean over the labelled rows would make
        every row's gradient depend on how many others carry a label).

        Parameters
        ----------
        output : Tensor
            The task head's raw output for the batch.
        target : Tensor of shape (batch,)
            Encoded labels, NaN where a row has none.

        Returns
        -------
        per_row, labelled : Tensor of shape (batch,)
        """
        labelled = ~torch.isnan(target)
        safe_target = torch.where(labelled, target, torch.zeros_like(target))
        per_row = self.elementwise_loss(output, safe_target)
        mask = labelled.to(per_row.dtype)
        return per_row * mask, mask

    def describe(self) -> str:
        """One line for people: the type, and the classes or the target's scale.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_mtl.tasks import BinaryTask
        >>> BinaryTask("like").fit(pd.Series([0, 1, 1])).describe()
        'binary, 2 classes [0, 1]'
        """
        if self.is_classifier and hasattr(self, "classes_"):
            classes = [str(c) for c in self.classes_]
            shown = classes if len(classes) <= 6 else [*classes[:5], "..."]
            return f"{self.task_type}, {len(classes)} classes [{', '.join(shown)}]"
        if hasattr(self, "mean_") and hasattr(self, "scale_"):
            return f"{self.task_type}, mean {self.mean_:.4g}, scale {self.scale_:.4g}"
        return str(self.task_type)

    def labelled(self, y: pd.Series) -> np.ndarray:
        """Boolean mask of the rows of ``y`` that carry a label.

        Parameters
        ----------
        y : Series
            The target column.

        Returns
        -------
        ndarray of shape (n_samples,), dtype bool
        """
        return ~_missing_mask(pd.Series(y))


class _ClassificationTask(Task):
    """Shared label encoding of binary and multiclass tasks."""

    @property
    def is_classifier(self) -> bool:
        return True

    def fit(self, y: pd.Series) -> _ClassificationTask:
        y = pd.Series(y)
        observed = y[~_missing_mask(y)]
        if len(observed) == 0:
            raise ValueError(f"Task {self.name!r} has no labelled row in y.")
        classes = np.unique(observed.to_numpy())
        if len(classes) < 2:
            raise ValueError(
                f"Task {self.name!r} is a classification task but y holds 1 class "
                f"({classes[0]!r}); it needs at least two."
            )
        self._check_n_classes(len(classes))
        self.classes_ = classes
        return self

    def _check_n_classes(self, n_classes: int) -> None:
        pass

    def encode(self, y: pd.Series) -> np.ndarray:
        y = pd.Series(y)
        missing = _missing_mask(y)
        codes = np.full(len(y), np.nan, dtype=np.float32)
        observed = y[~missing].to_numpy()
        index = np.searchsorted(self.classes_, observed)
        index = np.clip(index, 0, len(self.classes_) - 1)
        known = self.classes_[index] == observed
        if not np.all(known):
            unknown = np.unique(observed[~known])[:5]
            raise ValueError(f"Task {self.name!r} got labels not seen in fit: {list(unknown)}.")
        codes[~missing] = index
        return codes

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.classes_[np.asarray(codes).astype(np.int64)]

    def predict(self, raw: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(raw), axis=1)]

    @abstractmethod
    def predict_proba(self, raw: np.ndarray) -> np.ndarray:
        """Class probabilities from raw output, shape (n_samples, n_classes)."""


class BinaryTask(_ClassificationTask):
    """Two-class task trained on one logit with binary cross-entropy.

    The default metric is ROC AUC.

    Parameters
    ----------
    name : str, default=None
        Name of the task; set by the estimator to the target column name.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.tasks import BinaryTask
    >>> task = BinaryTask("like").fit(pd.Series(["no", "yes", None, "yes"]))
    >>> task.classes_
    array(['no', 'yes'], dtype=object)
    >>> task.encode(pd.Series(["yes", None]))
    array([ 1., nan], dtype=float32)
    """

    task_type = "binary"
    metric_name = "roc_auc"

    @property
    def n_outputs(self) -> int:
        return 1

    def _check_n_classes(self, n_classes: int) -> None:
        if n_classes != 2:
            raise ValueError(
                f"Task {self.name!r} is binary but y holds {n_classes} classes; use 'multiclass'."
            )

    def elementwise_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")

    def output(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(raw)

    def predict_proba(self, raw: np.ndarray) -> np.ndarray:
        positive = self.output_array(raw)
        return np.column_stack([1.0 - positive, positive])


class MulticlassTask(_ClassificationTask):
    """Task with more than two classes, trained with softmax cross-entropy.

    The default metric is accuracy.

    Parameters
    ----------
    name : str, default=None
        Name of the task; set by the estimator to the target column name.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.tasks import MulticlassTask
    >>> MulticlassTask("genre").fit(pd.Series(["a", "b", "c"])).n_outputs
    3
    """

    task_type = "multiclass"
    metric_name = "accuracy"
    ranks_rows = False  # class probabilities have no order

    @property
    def n_outputs(self) -> int:
        return len(self.classes_)

    def elementwise_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output, target.long(), reduction="none")

    def output(self, raw: torch.Tensor) -> torch.Tensor:
        return torch.softmax(raw, dim=1)

    def predict_proba(self, raw: np.ndarray) -> np.ndarray:
        return self.output_array(raw)

    def column(self, output: np.ndarray) -> np.ndarray:
        """The most probable class of each row.

        Parameters
        ----------
        output : ndarray of shape (n_pairs, n_classes)
            Class probabilities.

        Returns
        -------
        ndarray of shape (n_pairs,)
        """
        return self.classes_[np.argmax(output, axis=1)]


class RegressionTask(Task):
    """Real-valued task trained with mean squared error on a standardized target.

    Targets are standardized with the mean and standard deviation of the
    labelled training rows, so that tasks on different scales start with
    comparable losses; predictions are mapped back, and kept within the
    range of the training targets (a rating model never predicts 6 stars on
    a 1 to 5 scale). The default metric is R².

    Parameters
    ----------
    name : str, default=None
        Name of the task; set by the estimator to the target column name.
    clip : bool, default=True
        Keep predictions within ``[min_, max_]``, the range of the labelled
        training targets (training reads the unclipped output, so that no
        gradient is lost). ``False`` lets them extrapolate.

    Attributes
    ----------
    mean_, scale_ : float
        The training targets' mean and standard deviation (1 if constant).
    min_, max_ : float
        The smallest and largest training target.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mtl.tasks import RegressionTask
    >>> task = RegressionTask("rating").fit(pd.Series([1.0, 3.0, np.nan, 5.0]))
    >>> task.predict(task.encode(pd.Series([5.0]))).round(4)
    array([5.])
    """

    task_type = "regression"
    metric_name = "r2"

    def __init__(self, name: str | None = None, clip: bool = True) -> None:
        super().__init__(name)
        self.clip = clip

    @property
    def n_outputs(self) -> int:
        return 1

    def fit(self, y: pd.Series) -> RegressionTask:
        values = self._as_float(y)
        observed = values[~np.isnan(values)]
        if len(observed) == 0:
            raise ValueError(f"Task {self.name!r} has no labelled row in y.")
        if not np.all(np.isfinite(observed)):
            raise ValueError(f"Task {self.name!r} holds infinite values in y.")
        self.mean_ = float(observed.mean())
        std = float(observed.std())
        self.scale_ = std if std > 0 else 1.0
        self.min_, self.max_ = float(observed.min()), float(observed.max())
        return self

    def _as_float(self, y: Any) -> np.ndarray:
        y = pd.Series(y)
        if pd.api.types.is_bool_dtype(y):
            raise ValueError(f"Task {self.name!r} is a regression task but y holds booleans.")
        try:
            # Object columns of numbers (and None) are numbers too.
            values = pd.to_numeric(y, errors="raise")
        except (ValueError, TypeError):
            raise ValueError(
                f"Task {self.name!r} is a regression task but y holds non-numeric values "
                f"(dtype {y.dtype})."
            ) from None
        return values.to_numpy(dtype=np.float64, na_value=np.nan)

    def encode(self, y: pd.Series) -> np.ndarray:
        return ((self._as_float(y) - self.mean_) / self.scale_).astype(np.float32)

    def elementwise_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(output, target, reduction="none")

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.predict(codes)

    def output(self, raw: torch.Tensor) -> torch.Tensor:
        value = raw * self.scale_ + self.mean_
        if self.clip and hasattr(self, "min_"):
            value = value.clamp(self.min_, self.max_)
        return value


_TASK_TYPES: dict[str, type[Task]] = {
    cls.task_type: cls for cls in (BinaryTask, MulticlassTask, RegressionTask)
}


def is_binary(task: Task) -> bool:
    """Whether ``task`` is a two-class task trained on one logit.

    Entire-space chains (``esmm_chain``) and ``interaction_task`` need such
    tasks: they read the logit as the log-odds of the positive class.

    Parameters
    ----------
    task : Task
        A task object.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_binary(BinaryTask("click")), is_binary(RegressionTask("rating"))
    (True, False)
    """
    return isinstance(task, BinaryTask)


def infer_task_type(y: pd.Series) -> str:
    """Guess the task type of a target column.

    Booleans, strings and categories are classification targets; so are
    integers. Floats are regression targets unless every label is 0 or 1
    (a binary column that holds NaN is stored as float by pandas).

    Parameters
    ----------
    y : Series
        The target column; rows without a label are ignored.

    Returns
    -------
    {"binary", "multiclass", "regression"}

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> infer_task_type(pd.Series([0.0, 1.0, np.nan]))
    'binary'
    >>> infer_task_type(pd.Series([3.5, 4.0]))
    'regression'
    """
    y = pd.Series(y)
    observed = y[~_missing_mask(y)]
    if pd.api.types.is_float_dtype(observed.dtype):
        values = observed.to_numpy()
        # A vectorized comparison: Series.isin hashes every value (~10x slower).
        return "binary" if ((values == 0.0) | (values == 1.0)).all() else "regression"
    return "binary" if observed.nunique() <= 2 else "multiclass"


def make_task(spec: str | Task, name: str) -> Task:
    """Return a fresh, unfitted task for one entry of the ``tasks`` parameter.

    Parameters
    ----------
    spec : {"binary", "multiclass", "regression"} or Task
        A task type name or a :class:`Task` instance (which is copied).
    name : str
        The target column the task predicts.

    Returns
    -------
    Task
    """
    if isinstance(spec, Task):
        task = copy.deepcopy(spec)
        task.name = name
        return task
    if isinstance(spec, str) and spec in _TASK_TYPES:
        return _TASK_TYPES[spec](name)
    raise ValueError(
        f"Unknown type {spec!r} for task {name!r} in parameter 'tasks'; expected one of "
        f"{sorted(_TASK_TYPES)} or a Task instance."
    )


def fit_tasks(spec: Mapping[str, str | Task] | None, Y: pd.DataFrame) -> dict[str, Task]:
    """One fitted task per column of ``Y``, from the ``tasks`` parameter.

    Parameters
    ----------
    spec : dict or None
        Column → task type name or :class:`Task`; ``None`` infers each
        column's type (:func:`infer_task_type`).
    Y : DataFrame
        One column per task, NaN = no label.

    Returns
    -------
    dict
        Column → fitted task, in the order of ``Y``'s columns.
    """
    tasks = {}
    for name in Y.columns:
        if spec is None:
            task_spec = infer_task_type(Y[name])
            _warn_if_ordered_levels(name, Y[name], task_spec)
        else:
            task_spec = spec[name]
        tasks[name] = make_task(task_spec, name).fit(Y[name])
    return tasks


#: An integer target with this many distinct levels or more looks like an
#: ordered amount (a 1-5 rating) as much as like a set of classes.
ORDERED_LEVELS_WARNING = 5


def _warn_if_ordered_levels(name: Hashable, y: pd.Series, inferred: str) -> None:
    """Warn when integer levels were taken for unordered classes: they may be amounts."""
    observed = y[~_missing_mask(y)]
    if inferred != "multiclass" or not pd.api.types.is_integer_dtype(observed.dtype):
        return
    levels = np.sort(observed.unique())
    if len(levels) < ORDERED_LEVELS_WARNING:
        return
    warnings.warn(
        f"Target {name!r} holds {len(levels)} integer levels ({levels[0]}..{levels[-1]}) and "
        f"was inferred as a {len(levels)}-class 'multiclass' task, which ignores their order. "
        f"If they are amounts (a rating, a count), pass tasks={{{name!r}: 'regression', ...}}; "
        f"to keep them as classes and silence this warning, pass "
        f"tasks={{{name!r}: 'multiclass', ...}}.",
        UserWarning,
        stacklevel=6,  # the caller of fit
    )
