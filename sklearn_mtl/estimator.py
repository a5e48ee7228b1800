"""``MultiTaskRecommender``: the scikit-learn face of the library."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import (
    EarlyStopping,
    GradientNormClipping,
    PassthroughScoring,
    ProgressBar,
)
from torch.optim.lr_scheduler import CosineAnnealingLR

from .batching import BatchSlicer, HoldoutSplit, TableLookup, TensorDictDataset
from .callbacks import LossWeightingHooks, RestartingLRScheduler, TaskValidationMetrics
from .catalog import Catalog
from .export import export_onnx, onnx_input_names
from .metrics import task_metric
from .modules import (
    ESMM,
    PLE,
    FeatureEmbedding,
    InteractionHistory,
    MMoE,
    MultiTaskArchitecture,
    MultiTaskNetwork,
    SharedBottom,
    SingleTask,
    Tower,
)
from .modules.growth import load_grown_state
from .modules.history import HISTORY_POOLINGS
from .net import MultiTaskLoss, MultiTaskNet
from .persistence import load_model, save_model
from .resampling import NegativeResampling
from .schema import FeatureSchema
from .tasks import Task, infer_task_type, make_task
from .text import SentenceEmbedder, text_values
from .weighting import LOSS_WEIGHTINGS, LossWeighting

__all__ = ["MultiTaskRecommender"]

# Epochs with more batches than this show a progress bar when verbose.
_PROGRESS_BAR_MIN_BATCHES = 200


def _auto_embedding_dim(cardinality: int) -> int:
    # fastai's rule of thumb: grows sub-linearly with the vocabulary, capped.
    return int(min(64, round(1.6 * cardinality**0.56)))


def _has_classification_task(estimator: MultiTaskRecommender) -> bool:
    # Unfitted: say yes so that calling the method raises NotFittedError.
    if not hasattr(estimator, "tasks_"):
        return True
    return any(task.is_classifier for task in estimator.tasks_.values())


class MultiTaskRecommender(BaseEstimator):
    """Multi-task neural recommender: one network, several targets per (user, item) row.

    Categorical columns (user ids, item ids, side features) become learned
    embeddings, numeric columns are standardized, and the concatenation goes
    through a shared architecture and then one tower per task. Each target
    column of ``y`` is a task; a NaN label means "no label for this task on
    this row" and adds neither loss nor gradient to that task.

    Parameters
    ----------
    tasks : dict or None, default=None
        Target column → ``"binary"``, ``"multiclass"``, ``"regression"`` or a
        :class:`~sklearn_mtl.tasks.Task`. ``None`` infers each column's type
        from ``y`` (see :func:`~sklearn_mtl.tasks.infer_task_type`).
    architecture : {"shared_bottom", "mmoe", "ple", "esmm", "single"} or class, \
            default="shared_bottom"
        How the tasks share the network below their towers:

        - ``"shared_bottom"``: one MLP of ``shared_units`` read by every task.
        - ``"mmoe"``: ``n_experts`` experts (each an MLP of ``shared_units``)
          mixed by one softmax gate per task (Ma et al., 2018).
        - ``"ple"``: ``n_levels`` levels of ``n_task_experts`` experts per task
          and ``n_shared_experts`` shared experts, with gates (Tang et al.,
          2020); one level is CGC.
        - ``"esmm"``: the binary tasks of ``esmm_chain`` are trained on the
          entire space, ``p(a and b) = p(a) · p(b | a)`` (Ma et al., 2018).
        - ``"single"``: one independent network per task (own embeddings, own
          MLP of ``shared_units``): the single-task baseline.
        - A subclass of :class:`~sklearn_mtl.modules.MultiTaskArchitecture`,
          constructed as ``cls(input_dim=..., n_tasks=..., units=shared_units,
          dropout=dropout, batch_norm=batch_norm)``.
    shared_units : tuple of int, default=(64, 32)
        Hidden layer widths of the shared part (of each expert for mixtures).
    n_experts : int, default=4
        Number of experts of ``"mmoe"``.
    n_levels : int, default=1
        Number of extraction levels of ``"ple"``.
    n_task_experts : int, default=1
        Experts per task and level of ``"ple"``.
    n_shared_experts : int, default=1
        Shared experts per level of ``"ple"``.
    esmm_chain : list of str, default=None
        For ``"esmm"``: binary tasks in conditioning order, e.g.
        ``["click", "like"]`` trains ``p(click) · p(like | click)`` against
        the label "clicked and liked" on every row. ``predict`` and
        ``predict_proba`` of a chained task give the conditional probability.
    loss_weighting : {"equal", "uncertainty", "dwa", "gradnorm", "pcgrad"} or \
            LossWeighting, default="equal"
        How the task losses are balanced: their sum, learned uncertainty
        weights (Kendall et al., 2018), Dynamic Weight Average (Liu et al.,
        2019), GradNorm on the last shared layer (Chen et al., 2018), PCGrad
        projection of conflicting gradients (Yu et al., 2020), or your own
        :class:`~sklearn_mtl.weighting.LossWeighting` instance. The weights
        used in each epoch are logged in ``net_.history`` as ``weight_<task>``.
    tower_units : tuple of int, default=(16,)
        Hidden layer widths of each task's tower.
    embedding_dim : int or "auto", default=16
        Width of every categorical embedding; ``"auto"`` sizes each table from
        its vocabulary (``min(64, round(1.6 * n ** 0.56))``).
    categorical_features : "from_dtype" or list, default="from_dtype"
        ``"from_dtype"``: string, object, category and bool columns are
        categorical. A list names the categorical columns (needed for integer
        ids, which are otherwise numbers).
    user_col, item_col : str, default=None
        The user id and item id columns. Needed by :meth:`recommend` and
        ``interaction_history``; both are always categorical.
    user_features, item_features : list of str, default=None
        Columns that describe users and items (used to build candidates in
        :meth:`recommend` from ids alone); ``None`` infers them as the columns
        that never vary within one user or one item.
    interaction_history : bool, default=False
        Also represent each user by the mean of learned vectors of the items
        they interacted with, and each item by the mean of learned vectors of
        the users who interacted with it (SVD++ on both sides), from the
        training rows only. A pair that is itself a training interaction is
        left out of both means, so the model never reads its own label.
    history_pooling : {"mean", "sigmoid_sum"}, default="mean"
        How ``interaction_history`` pools a history: ``"mean"`` normalises
        the sum by the history length (SVD++); ``"sigmoid_sum"`` passes the
        sum through a sigmoid, the encoder of AutoRec, which keeps how long
        the history is (best for rating prediction on MovieLens, with
        ``weight_decay=1e-3``).
    history_products : bool, default=False
        Also feed the element-wise products of the pooled histories with the
        item's and the user's own factor vectors (SVD++'s interaction term).
        They help rating prediction, and ranking when the negatives are
        drawn afresh (``resample_negatives``); with a fixed set of sampled
        negatives they overfit it.
    text_features : list of str, default=None
        Free-text columns (titles, descriptions). Each distinct text is
        embedded once per ``fit``/``predict`` by ``text_encoder`` and enters
        the network through a learned projection, so that items never seen
        in ``fit`` are scored from their text. NaN is empty text.
    text_encoder : transformer, default=None
        Turns a one-column DataFrame of strings into a 2-D float array; one
        clone is fitted per text column on its distinct texts. ``None`` uses
        :class:`~sklearn_mtl.text.SentenceEmbedder` (all-MiniLM-L6-v2).
    interaction_task : str, default=None
        A binary task whose positive rows are the interactions (e.g. a
        ``watched`` label with sampled negatives). ``None``: every training
        row is an interaction. Interactions feed ``interaction_history`` and
        are what ``recommend(exclude_seen=True)`` leaves out.
    resample_negatives : bool, default=False
        Treat the rows labelled 0 in ``interaction_task`` as sampled
        negatives and draw them afresh at every epoch after the first: each
        keeps its user and gets a new item, uniformly among the training
        items the user never interacted with, with that item's columns (the
        protocol of neural collaborative filtering). The network then sees
        many more non-interactions than were sampled. Needs
        ``interaction_task``, ``user_col`` and ``item_col``; ``partial_fit``
        (one epoch per call) trains on the negatives it is given.
    task_weights : dict or None, default=None
        Task → non-negative constant factor of its loss, applied before
        ``loss_weighting``; missing tasks get 1.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalization in every hidden layer (experts, bottoms, towers).
        Often trains faster; needs ``batch_size >= 2``.
    lr : float, default=1e-3
        Learning rate of Adam.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` lowers the learning rate from ``lr`` towards 0 along a
        half cosine over the ``max_epochs`` of each ``fit`` (skorch's
        ``LRScheduler`` with torch's ``CosineAnnealingLR``, stepped per
        epoch): the last epochs take small steps, so the final model depends
        less on which batches came last. Every ``fit`` starts the schedule
        again; the one epoch of a ``partial_fit`` call trains at ``lr``.
    weight_decay : float, default=0.0
        L2 penalty of Adam.
    max_grad_norm : float, default=None
        Clip the L2 norm of all gradients together to this value before each
        step (skorch's ``GradientNormClipping``); ``None`` does not clip.
    batch_size : int, default=256
        Rows per gradient step.
    max_epochs : int, default=10
        Passes over the training data.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        loss has not improved for ``n_iter_no_change`` epochs, and restore the
        best weights.
    validation_fraction : float or None, default=None
        Share of rows held out for validation. ``None`` means 0.1 with early
        stopping and no validation set without it; set it without early
        stopping to watch validation metrics only.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    warm_start : bool, default=False
        When the model is already fitted, ``fit`` continues training it on the
        new data (``max_epochs`` more epochs) instead of starting over; new
        users, items and categories extend the vocabularies, as in
        :meth:`partial_fit`.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation
        split. The same value gives identical predictions on CPU.
    device : str, default="cpu"
        Torch device to train and predict on, e.g. ``"cuda"``.
    verbose : int, default=0
        ``1`` prints one line per epoch (losses per task and validation
        metrics) and a progress bar for long epochs.

    Attributes
    ----------
    tasks_ : dict
        Task name → fitted :class:`~sklearn_mtl.tasks.Task`, in ``y`` order.
    classes_ : dict
        Classification task → its class labels.
    schema_ : FeatureSchema
        Column roles and encodings learned from ``X``.
    text_encoders_ : dict
        Text column → its fitted ``text_encoder`` (only with ``text_features``).
    net_ : skorch.NeuralNet
        The trained network; ``net_.history`` holds the per-epoch log.
    n_iter_ : int
        Epochs trained.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names of ``X``, when it was a DataFrame with string columns.

    Examples
    --------
    >>> from sklearn_mtl import MultiTaskRecommender
    >>> from sklearn_mtl.datasets import make_recommendation_tasks
    >>> X, y = make_recommendation_tasks(n_samples=2000, random_state=0)
    >>> model = MultiTaskRecommender(max_epochs=2, random_state=0).fit(X, y)
    >>> model.predict(X.head(2)).columns.tolist()
    ['click', 'like', 'rating']
    >>> sorted(model.score_tasks(X, y))
    ['click', 'like', 'rating']
    """

    _parameter_constraints: ClassVar[dict] = {
        "tasks": [dict, None],
        "architecture": [
            StrOptions({"shared_bottom", "mmoe", "ple", "esmm", "single"}),
            type,
        ],
        "shared_units": ["array-like"],
        "n_experts": [Interval(Integral, 1, None, closed="left")],
        "n_levels": [Interval(Integral, 1, None, closed="left")],
        "n_task_experts": [Interval(Integral, 0, None, closed="left")],
        "n_shared_experts": [Interval(Integral, 0, None, closed="left")],
        "esmm_chain": [list, tuple, None],
        "loss_weighting": [
            StrOptions(set(LOSS_WEIGHTINGS)),
            HasMethods(["build", "backward_step"]),
        ],
        "tower_units": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "categorical_features": [StrOptions({"from_dtype"}), list, tuple],
        "task_weights": [dict, None],
        "user_col": [str, None],
        "item_col": [str, None],
        "user_features": [list, tuple, None],
        "item_features": [list, tuple, None],
        "interaction_history": ["boolean"],
        "history_pooling": [StrOptions(set(HISTORY_POOLINGS))],
        "history_products": ["boolean"],
        "interaction_task": [str, None],
        "resample_negatives": ["boolean"],
        "text_features": [list, tuple, None],
        "text_encoder": [HasMethods(["fit", "transform"]), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        tasks: dict[str, str | Task] | None = None,
        *,
        architecture: str | type[MultiTaskArchitecture] = "shared_bottom",
        shared_units: tuple[int, ...] = (64, 32),
        n_experts: int = 4,
        n_levels: int = 1,
        n_task_experts: int = 1,
        n_shared_experts: int = 1,
        esmm_chain: list[str] | None = None,
        loss_weighting: str | LossWeighting = "equal",
        tower_units: tuple[int, ...] = (16,),
        embedding_dim: int | str = 16,
        categorical_features: str | list = "from_dtype",
        task_weights: dict[str, float] | None = None,
        user_col: str | None = None,
        item_col: str | None = None,
        user_features: list[str] | None = None,
        item_features: list[str] | None = None,
        interaction_history: bool = False,
        history_pooling: str = "mean",
        history_products: bool = False,
        interaction_task: str | None = None,
        resample_negatives: bool = False,
        text_features: list[str] | None = None,
        text_encoder: Any = None,
        dropout: float = 0.0,
        batch_norm: bool = False,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        weight_decay: float = 0.0,
        max_grad_norm: float | None = None,
        batch_size: int = 256,
        max_epochs: int = 10,
        early_stopping: bool = False,
        validation_fraction: float | None = None,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        random_state: int | np.random.RandomState | None = None,
        device: str = "cpu",
        verbose: int = 0,
    ) -> None:
        self.tasks = tasks
        self.architecture = architecture
        self.shared_units = shared_units
        self.n_experts = n_experts
        self.n_levels = n_levels
        self.n_task_experts = n_task_experts
        self.n_shared_experts = n_shared_experts
        self.esmm_chain = esmm_chain
        self.loss_weighting = loss_weighting
        self.tower_units = tower_units
        self.embedding_dim = embedding_dim
        self.categorical_features = categorical_features
        self.task_weights = task_weights
        self.user_col = user_col
        self.item_col = item_col
        self.user_features = user_features
        self.item_features = item_features
        self.interaction_history = interaction_history
        self.history_pooling = history_pooling
        self.history_products = history_products
        self.interaction_task = interaction_task
        self.resample_negatives = resample_negatives
        self.text_features = text_features
        self.text_encoder = text_encoder
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.max_grad_norm = max_grad_norm
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any) -> MultiTaskRecommender:
        """Train the network on ``X`` and the task targets ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Mixed-dtype frame (ids, side features) or a numeric array.
        y : DataFrame, Series or array-like of shape (n_samples,) or (n_samples, n_tasks)
            One column per task; NaN marks a missing label.

        Returns
        -------
        self : MultiTaskRecommender
        """
        self._validate_params()
        if self.warm_start and hasattr(self, "net_"):
            return self._continue_training(X, y, epochs=self.max_epochs)
        return self._fit_new(X, y, epochs=self.max_epochs)

    def partial_fit(self, X: Any, y: Any) -> MultiTaskRecommender:
        """Train one more epoch on ``X``, ``y``, continuing from the fitted model.

        The first call fits a new model (one epoch). Later calls keep the
        weights and extend the model with what the new rows bring: users,
        items and categories never seen before get new codes and new embedding
        rows (the trained rows are kept), so they stop being scored as unseen;
        their descriptions and interactions join the catalog (and the
        interaction histories). Column roles, numeric scalers, text encoders
        and task classes stay those of the first fit.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The same columns as in the first fit.
        y : DataFrame, Series or array-like
            The same tasks as in the first fit; classification labels must be
            among the classes seen then.

        Returns
        -------
        self : MultiTaskRecommender
        """
        self._validate_params()
        if not hasattr(self, "net_"):
            return self._fit_new(X, y, epochs=1)
        return self._continue_training(X, y, epochs=1)

    def _fit_new(self, X: Any, y: Any, epochs: int) -> MultiTaskRecommender:
        if self.batch_norm and self.batch_size < 2:
            raise ValueError(
                f"batch_norm=True needs batch_size >= 2 to normalize; got {self.batch_size}."
            )
        if self.text_features and not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"text_features={list(self.text_features)} names columns, so X must be a "
                f"DataFrame that has them; got {type(X).__name__}."
            )
        X = self._check_x(X, reset=True)
        Y = self._targets_frame(y, n_samples=len(X), reset=True)

        self.tasks_ = self._fit_tasks(Y)
        self.classes_ = {
            name: task.classes_ for name, task in self.tasks_.items() if task.is_classifier
        }
        weights = self._task_weight_vector()
        ids = [c for c in (self.user_col, self.item_col) if c is not None]
        self.schema_ = FeatureSchema(
            self.categorical_features,
            always_categorical=ids,
            text_features=list(self.text_features or ()),
        ).fit(X)
        self._fit_text_encoders(X)
        self._fit_catalog(X, Y)
        features = self._features(X)
        text_dim = sum(t.shape[1] for t in features["text"].tables) if "text" in features else 0
        dataset = TensorDictDataset(features, self._encode_targets(Y))

        seed = self._seed()
        # Fork the global torch RNG: seeding for reproducibility must not
        # change the random stream of the user's own code.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_ = self._build_net(weights, seed, n_samples=len(dataset), text_dim=text_dim)
            self.net_.initialize()
            self.net_.partial_fit(dataset, y=None, epochs=epochs)
        self.n_iter_ = len(self.net_.history)
        return self

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _continue_training(self, X: Any, y: Any, epochs: int) -> MultiTaskRecommender:
        """More epochs on new data, growing vocabularies, catalog and histories."""
        X = self._check_x(X, reset=False)
        Y = self._targets_frame(y, n_samples=len(X), reset=False)
        encoded_targets = self._encode_targets(Y)  # refuses unknown classes first
        added = self.schema_.extend(X)
        interactions_changed = False
        if hasattr(self, "catalog_"):
            interactions_changed = self.catalog_.update(X, self.schema_, self._interaction_mask(Y))
        dataset = TensorDictDataset(self._features(X), encoded_targets)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed() + self.n_iter_)
            if added or (interactions_changed and self.interaction_history):
                self._grow_network()
            before = len(self.net_.history)
            self.net_.partial_fit(dataset, y=None, epochs=epochs)
        self.n_iter_ += len(self.net_.history) - before
        return self

    def _grow_network(self) -> None:
        """Rebuild the network for the grown vocabularies, keeping every trained weight."""
        old = self.net_.module_
        new = self._build_module(old.embeddings[0].text_dim).to(self.net_.device)
        load_grown_state(new, old.state_dict())
        new.train(old.training)
        self.net_.module_ = new
        # The optimizer's moments belong to the old tensors; new tables start afresh.
        self.net_.initialize_optimizer()

    def _fit_catalog(self, X: pd.DataFrame, Y: pd.DataFrame) -> None:
        """Learn users, items and interactions when the id columns are known."""
        if (self.user_col is None) != (self.item_col is None):
            raise ValueError("user_col and item_col must be given together.")
        if self.user_col is None:
            if self.interaction_history:
                raise ValueError("interaction_history=True needs user_col and item_col.")
            # A refit without ids must not keep the catalog of an earlier fit.
            self.__dict__.pop("catalog_", None)
            return
        self.catalog_ = Catalog(
            self.user_col, self.item_col, self.user_features, self.item_features
        ).fit(X, self.schema_, self._interaction_mask(Y))

    def _interaction_mask(self, Y: pd.DataFrame) -> np.ndarray:
        """Rows of ``Y`` that are interactions (see ``interaction_task``)."""
        if self.interaction_task is None:
            return np.ones(len(Y), dtype=bool)
        task = self.tasks_.get(self.interaction_task)
        if task is None or task.task_type != "binary":
            raise ValueError(
                f"interaction_task={self.interaction_task!r} must name a binary task; "
                f"tasks are {list(self.tasks_)}."
            )
        return task.encode(Y[self.interaction_task]) == 1

    def _fit_text_encoders(self, X: pd.DataFrame) -> None:
        """One encoder per text column, fitted on the column's distinct texts."""
        if not self.text_features:
            return
        encoder = SentenceEmbedder() if self.text_encoder is None else self.text_encoder
        self.text_encoders_ = {}
        for column in self.schema_.text_columns_:
            distinct = pd.unique(text_values(column, X[column]))
            self.text_encoders_[column] = clone(encoder).fit(pd.DataFrame({column: distinct}))

    def _embed_text(self, column, texts: np.ndarray) -> np.ndarray:
        """Vectors (float32, one row per text) of ``texts`` from ``column``'s encoder."""
        vectors = self.text_encoders_[column].transform(pd.DataFrame({column: texts}))
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise TypeError(
                f"text_encoder must return one row per text; it returned shape "
                f"{vectors.shape} for {len(texts)} texts of column {column!r}."
            )
        if not np.all(np.isfinite(vectors)):
            raise ValueError(f"text_encoder returned NaN or infinite values for {column!r}.")
        return vectors

    def _text_lookup(self, X: pd.DataFrame) -> TableLookup:
        """Each text column's distinct texts embedded once, and each row's text code."""
        tables, codes = [], []
        for column in self.schema_.text_columns_:
            row_codes, distinct = pd.factorize(text_values(column, X[column]))
            tables.append(self._embed_text(column, np.asarray(distinct, dtype=object)))
            codes.append(row_codes)
        return TableLookup(tables, np.column_stack(codes))

    def _features(self, X: pd.DataFrame) -> dict[str, np.ndarray | TableLookup]:
        """The network inputs of the rows of ``X``."""
        features: dict = self.schema_.transform(X)
        if self.interaction_history:
            features["in_history"] = self._in_history(features["categorical"])
        if self.schema_.text_columns_:
            features["text"] = self._text_lookup(X)
        return features

    def _in_history(self, categorical: np.ndarray) -> np.ndarray:
        columns = self.schema_.categorical_columns_
        users = categorical[:, columns.index(self.user_col)]
        items = categorical[:, columns.index(self.item_col)]
        return self.catalog_.is_interaction(users, items).astype(np.float32)

    def _fit_tasks(self, Y: pd.DataFrame) -> dict[str, Task]:
        tasks = {}
        for name in Y.columns:
            spec = infer_task_type(Y[name]) if self.tasks is None else self.tasks[name]
            tasks[name] = make_task(spec, name).fit(Y[name])
        return tasks

    def _task_weight_vector(self) -> list[float]:
        weights = dict(self.task_weights or {})
        unknown = [name for name in weights if name not in self.tasks_]
        if unknown:
            raise ValueError(
                f"task_weights names tasks that are not in tasks: {unknown}; "
                f"tasks are {list(self.tasks_)}."
            )
        negative = [name for name, w in weights.items() if not (np.isfinite(w) and w >= 0)]
        if negative:
            raise ValueError(f"task_weights must be finite and non-negative; got {negative}.")
        return [float(weights.get(name, 1.0)) for name in self.tasks_]

    def _build_architecture(self, input_dim: int) -> MultiTaskArchitecture:
        n_tasks = len(self.tasks_)
        units = [int(u) for u in self.shared_units]
        common = dict(
            input_dim=input_dim,
            n_tasks=n_tasks,
            units=units,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
        )
        if self.architecture == "shared_bottom":
            return SharedBottom(**common)
        if self.architecture == "mmoe":
            return MMoE(n_experts=self.n_experts, **common)
        if self.architecture == "ple":
            if self.n_task_experts + self.n_shared_experts == 0:
                raise ValueError(
                    "architecture='ple' needs experts: n_task_experts and n_shared_experts "
                    "are both 0."
                )
            return PLE(
                n_levels=self.n_levels,
                n_task_experts=self.n_task_experts,
                n_shared_experts=self.n_shared_experts,
                **common,
            )
        if self.architecture == "esmm":
            names = list(self.tasks_)
            return ESMM(chain=[names.index(t) for t in self._esmm_chain()], **common)
        if self.architecture == "single":
            return SingleTask(**common)
        return self._custom_architecture(common)

    def _custom_architecture(self, common: dict) -> MultiTaskArchitecture:
        cls = self.architecture
        if not (isinstance(cls, type) and issubclass(cls, MultiTaskArchitecture)):
            raise TypeError(
                "architecture must be 'shared_bottom', 'mmoe', 'ple', 'esmm', 'single' or a "
                f"subclass of sklearn_mtl.modules.MultiTaskArchitecture; got {cls!r}."
            )
        try:
            architecture = cls(**common)
        except TypeError as exc:
            raise TypeError(
                f"architecture {cls.__name__} must accept the keywords input_dim, n_tasks, "
                f"units, dropout and batch_norm: {exc}"
            ) from exc
        # A dry run on two rows: a module that breaks the contract fails here,
        # with its name, not deep inside the training loop.
        with torch.no_grad():
            outputs = architecture.eval()(torch.zeros(2, common["input_dim"]))
        architecture.train()
        n_tasks = common["n_tasks"]
        if (
            not isinstance(outputs, (list, tuple))
            or len(outputs) != n_tasks
            or any(tuple(o.shape) != (2, architecture.output_dim) for o in outputs)
        ):
            raise TypeError(
                f"architecture {cls.__name__} must return a list of {n_tasks} tensors of "
                f"shape (batch, output_dim={getattr(architecture, 'output_dim', None)})."
            )
        return architecture

    def _esmm_chain(self) -> list[str]:
        if self.esmm_chain is None:
            raise ValueError("architecture='esmm' needs esmm_chain, e.g. ['click', 'like'].")
        chain = list(self.esmm_chain)
        unknown = [t for t in chain if t not in self.tasks_]
        if unknown:
            raise ValueError(f"esmm_chain names tasks that do not exist: {unknown}.")
        not_binary = [t for t in chain if self.tasks_[t].task_type != "binary"]
        if not_binary:
            raise ValueError(f"esmm_chain tasks must be binary; {not_binary} are not.")
        if len(chain) < 2 or len(set(chain)) != len(chain):
            raise ValueError(f"esmm_chain must list at least two distinct tasks; got {chain}.")
        return chain

    def _side_dim(self) -> int:
        """Width of the vectors that are not per-column embeddings (history, text)."""
        return self.embedding_dim if isinstance(self.embedding_dim, int) else 16

    def _build_module(self, text_dim: int = 0) -> MultiTaskNetwork:
        cardinalities = self.schema_.cardinalities_
        if self.embedding_dim == "auto":
            dims = [_auto_embedding_dim(n) for n in cardinalities]
        else:
            dims = [int(self.embedding_dim)] * len(cardinalities)
        n_numeric = len(self.schema_.numeric_columns_)

        def make_embedding() -> FeatureEmbedding:
            return FeatureEmbedding(
                cardinalities,
                dims,
                n_numeric,
                self._build_history(),
                text_dim=text_dim,
                text_projection_dim=self._side_dim() * len(self.schema_.text_columns_),
            )

        input_dim = make_embedding().output_dim
        architecture = self._build_architecture(input_dim)
        n_embeddings = len(self.tasks_) if architecture.separate_embeddings else 1
        embeddings = [make_embedding() for _ in range(n_embeddings)]
        towers = [
            Tower(
                architecture.output_dim,
                [int(u) for u in self.tower_units],
                task.n_outputs,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            )
            for task in self.tasks_.values()
        ]
        return MultiTaskNetwork(embeddings, architecture, towers)

    def _build_history(self) -> InteractionHistory | None:
        if not self.interaction_history:
            return None
        columns = self.schema_.categorical_columns_
        user_codes, item_codes = self.catalog_.interaction_codes()
        return InteractionHistory(
            user_codes,
            item_codes,
            n_user_codes=len(self.schema_.vocabularies_[self.user_col]) + 1,
            n_item_codes=len(self.schema_.vocabularies_[self.item_col]) + 1,
            dim=self._side_dim(),
            user_position=columns.index(self.user_col),
            item_position=columns.index(self.item_col),
            pooling=self.history_pooling,
            products=self.history_products,
        )

    def _build_weighting(self) -> LossWeighting:
        if isinstance(self.loss_weighting, str):
            weighting = LOSS_WEIGHTINGS[self.loss_weighting]()
        else:
            weighting = copy.deepcopy(self.loss_weighting)
            if not isinstance(weighting, LossWeighting):
                raise TypeError(
                    "loss_weighting must be a strategy name or a "
                    f"sklearn_mtl.weighting.LossWeighting; got {type(weighting).__name__}."
                )
        return weighting.build(len(self.tasks_))

    def _build_net(
        self, weights: list[float], seed: int, n_samples: int, text_dim: int = 0
    ) -> MultiTaskNet:
        validation_fraction = self.validation_fraction
        if validation_fraction is None and self.early_stopping:
            validation_fraction = 0.1
        callbacks: list[tuple[str, Any]] = []
        for name in self.tasks_:
            callbacks.append(
                (f"train_{name}_loss", PassthroughScoring(f"train_{name}_loss", on_train=True))
            )
        if validation_fraction is not None:
            for name in self.tasks_:
                callbacks.append((f"valid_{name}_loss", PassthroughScoring(f"valid_{name}_loss")))
            callbacks.append(("task_metrics", TaskValidationMetrics()))
        callbacks.append(("loss_weighting", LossWeightingHooks()))
        if self.resample_negatives:
            callbacks.append(("negative_resampling", self._negative_resampling(seed)))
        if self.lr_schedule == "cosine":
            schedule = RestartingLRScheduler(
                CosineAnnealingLR, T_max=self.max_epochs, last_epoch=-1
            )
            callbacks.append(("lr_scheduler", schedule))
        if self.max_grad_norm is not None:
            callbacks.append(("gradient_clipping", GradientNormClipping(self.max_grad_norm)))
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        load_best=True,
                        sink=self._print_if_verbose,
                    ),
                )
            )
        if self.verbose and n_samples / self.batch_size > _PROGRESS_BAR_MIN_BATCHES:
            callbacks.append(("progress_bar", ProgressBar()))

        return MultiTaskNet(
            module=self._build_module(text_dim),
            criterion=MultiTaskLoss(list(self.tasks_.values()), self._build_weighting(), weights),
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            # One fused update for all parameters instead of a Python loop
            # over them: ~10% of the step time of a small network on CPU.
            optimizer__foreach=True,
            # Learned loss weights (uncertainty, GradNorm) are not regularized.
            optimizer__param_groups=[("weighting.*", {"weight_decay": 0.0})],
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=(
                None
                if validation_fraction is None
                else HoldoutSplit(validation_fraction, random_state=seed)
            ),
            iterator_train=BatchSlicer,
            iterator_train__shuffle=True,
            iterator_train__random_state=np.random.default_rng(seed),
            iterator_valid=BatchSlicer,
            callbacks=callbacks,
            device=self.device,
            verbose=self.verbose,
        )

    def _negative_resampling(self, seed: int) -> NegativeResampling:
        if self.interaction_task is None or self.user_col is None:
            raise ValueError(
                "resample_negatives=True needs interaction_task (the binary task whose 0 rows "
                "are the sampled negatives), user_col and item_col."
            )
        schema, item_columns = self.schema_, {self.item_col, *self.catalog_.item_features_}
        positions = {
            kind: [j for j, column in enumerate(columns) if column in item_columns]
            for kind, columns in (
                ("categorical", schema.categorical_columns_),
                ("numeric", schema.numeric_columns_),
                ("text", schema.text_columns_),
            )
        }
        return NegativeResampling(
            task_index=list(self.tasks_).index(self.interaction_task),
            user_position=schema.categorical_columns_.index(self.user_col),
            item_position=schema.categorical_columns_.index(self.item_col),
            item_columns=positions,
            is_interaction=self.catalog_.is_interaction,
            random_state=seed,
        )

    def _print_if_verbose(self, message: str) -> None:
        if self.verbose:
            print(message)

    # ------------------------------------------------------- input checking

    def _check_x(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """Check ``X`` and return it as a DataFrame (integer column labels for arrays)."""
        if isinstance(X, pd.DataFrame):
            if X.columns.has_duplicates:
                raise ValueError(
                    f"X has duplicate columns: {list(X.columns[X.columns.duplicated()])}."
                )
            if not reset and hasattr(self, "feature_names_in_"):
                X = self._reorder_columns(X)
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
                    "is required."
                )
            if X.shape[1] == 0:
                raise ValueError("X has no columns; at least one feature is required.")
            return X
        if not reset and self.schema_.categorical_columns_ and hasattr(self, "feature_names_in_"):
            # An array cannot say which of its columns hold the categories.
            raise ValueError(
                f"X is a {type(X).__name__}, but this model was fitted on a DataFrame with "
                f"columns {list(self.feature_names_in_)}; pass X as such a DataFrame."
            )
        array = validate_data(self, X, dtype="numeric", reset=reset)
        return pd.DataFrame(array)

    def _reorder_columns(self, X: pd.DataFrame) -> pd.DataFrame:
        # Same columns in another order is the same data: align it rather than fail.
        expected = list(self.feature_names_in_)
        if list(X.columns) != expected and set(X.columns) == set(expected):
            return X[expected]
        return X

    def _targets_frame(self, y: Any, *, n_samples: int, reset: bool) -> pd.DataFrame:
        """``y`` as a DataFrame with one column per task, checked against ``tasks``."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if isinstance(y, pd.DataFrame):
            layout, Y = "frame", y.copy()
        elif isinstance(y, pd.Series):
            layout, Y = "1d", y.to_frame(name=y.name if y.name is not None else None)
        else:
            array = np.asarray(y)
            if array.dtype.kind == "c":
                raise ValueError("Complex data not supported for y.")
            if array.ndim == 1:
                layout, Y = "1d", pd.DataFrame({None: array})
            elif array.ndim == 2:
                layout, Y = "2d", pd.DataFrame(array)
            else:
                raise ValueError(f"y must be 1-D or 2-D; got an array of shape {array.shape}.")
        if len(Y) != n_samples:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_samples} and {len(Y)}."
            )
        Y.index = pd.RangeIndex(len(Y))
        names = self._task_names(Y, layout, reset=reset)
        if layout == "frame":
            Y = Y[names]
        else:
            Y.columns = names
        if reset:
            self._y_layout = layout
        return Y

    def _task_names(self, Y: pd.DataFrame, layout: str, *, reset: bool) -> list:
        """The task of each column of ``Y``, in task order; checks them against ``tasks``."""
        if not reset:
            expected = list(self.tasks_)
        elif self.tasks is not None:
            if not self.tasks:
                raise ValueError("tasks is empty; give at least one task or pass None.")
            expected = list(self.tasks)
        else:
            expected = None

        if layout == "frame":
            columns = list(Y.columns)
            if expected is not None:
                missing = [c for c in expected if c not in columns]
                extra = [c for c in columns if c not in expected]
                if missing:
                    raise ValueError(
                        f"tasks names {missing}, which are not columns of y (y has {columns})."
                    )
                if extra:
                    raise ValueError(
                        f"y has columns {extra} that are not in tasks ({expected}); drop "
                        "them or add them to tasks."
                    )
                return expected
            return columns
        if expected is None:
            if layout == "1d":
                name = Y.columns[0]
                return ["y" if name is None else name]
            return [f"y{j}" for j in range(Y.shape[1])]
        if Y.shape[1] != len(expected):
            raise ValueError(
                f"y has {Y.shape[1]} column(s) but tasks has {len(expected)}: {expected}."
            )
        return expected

    def _encode_targets(self, Y: pd.DataFrame) -> np.ndarray:
        return np.column_stack([task.encode(Y[name]) for name, task in self.tasks_.items()])

    # -------------------------------------------------------------- predict

    def _raw_outputs(self, X: Any) -> dict[str, np.ndarray]:
        """Each task's raw network output (logits or standardized values), float64."""
        check_is_fitted(self)
        X = self._check_x(X, reset=False)
        dataset = TensorDictDataset(self._features(X))
        outputs = self.net_.forward(dataset)
        return {
            name: output.numpy().astype(np.float64)
            for name, output in zip(self.tasks_, outputs, strict=True)
        }

    def _format(self, per_task: Mapping[str, np.ndarray], index: pd.Index | None) -> Any:
        """Lay out per-task predictions the way ``y`` was given to ``fit``."""
        if self._y_layout == "frame":
            return pd.DataFrame(dict(per_task), index=index)
        columns = list(per_task.values())
        if self._y_layout == "1d":
            return columns[0]
        return (
            np.column_stack(columns)
            if len({c.dtype.kind for c in columns}) == 1
            else (np.column_stack([c.astype(object) for c in columns]))
        )

    def predict(self, X: Any) -> Any:
        """Predict every task: class labels for classification, values for regression.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        DataFrame, or ndarray of shape (n_samples,) or (n_samples, n_tasks)
            A DataFrame with one column per task when ``y`` was a DataFrame in
            ``fit``; a 1-D array for a single 1-D target; else a 2-D array with
            columns in task order.
        """
        outputs = self._raw_outputs(X)
        predictions = {name: self.tasks_[name].predict(out) for name, out in outputs.items()}
        return self._format(predictions, X.index if isinstance(X, pd.DataFrame) else None)

    @available_if(_has_classification_task)
    def predict_proba(self, X: Any) -> dict[str, np.ndarray] | np.ndarray:
        """Class probabilities of the classification tasks.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        dict or ndarray
            ``{task: array of shape (n_samples, n_classes)}``, columns in the
            order of ``classes_[task]``. A model fitted on a single 1-D
            classification target returns that array alone, as scikit-learn
            classifiers do.
        """
        outputs = self._raw_outputs(X)
        proba = {
            name: self.tasks_[name].predict_proba(out)
            for name, out in outputs.items()
            if self.tasks_[name].is_classifier
        }
        if self._y_layout == "1d" and len(self.tasks_) == 1:
            return next(iter(proba.values()))
        return proba

    # ---------------------------------------------------------------- score

    def score_tasks(
        self, X: Any, y: Any, metrics: Mapping[str, str | None] | None = None
    ) -> dict[str, float]:
        """Each task's metric on the rows labelled for it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : same layout as in ``fit``
            NaN labels are left out of their task's metric.
        metrics : dict, default=None
            Task → metric name from :data:`sklearn_mtl.metrics.TASK_METRICS`
            (``None`` for the task's default). Only these tasks are scored;
            ``None`` scores every task with its default metric.

        Returns
        -------
        dict
            Task → score, greater is better.
        """
        check_is_fitted(self)
        Y = self._targets_frame(y, n_samples=len(X), reset=False)
        metrics = dict.fromkeys(self.tasks_) if metrics is None else dict(metrics)
        unknown = [name for name in metrics if name not in self.tasks_]
        if unknown:
            raise ValueError(
                f"metrics names unknown tasks {unknown}; tasks are {list(self.tasks_)}."
            )
        outputs = self._raw_outputs(X)
        return {
            name: task_metric(self.tasks_[name], metric, Y[name].to_numpy(), outputs[name])
            for name, metric in metrics.items()
        }

    def score(self, X: Any, y: Any) -> float:
        """Mean over tasks of each task's default metric.

        ROC AUC for binary tasks, accuracy for multiclass tasks and R² for
        regression tasks, each on the rows labelled for it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : same layout as in ``fit``

        Returns
        -------
        float
        """
        return float(np.mean(list(self.score_tasks(X, y).values())))

    # ------------------------------------------------------- recommendation

    def _check_catalog(self, method: str) -> Catalog:
        check_is_fitted(self)
        if not hasattr(self, "catalog_"):
            raise ValueError(
                f"{method} needs a model fitted with user_col and item_col, which name the "
                "user and item id columns of X."
            )
        return self.catalog_

    def _ranking_weights(self, rank_by: str | Mapping[str, float] | None) -> dict[str, float]:
        """Task → weight of its prediction in the ranking score."""
        if rank_by is None:
            rank_by = next(iter(self.tasks_))
        weights = {rank_by: 1.0} if isinstance(rank_by, str) else dict(rank_by)
        unknown = [t for t in weights if t not in self.tasks_]
        if unknown:
            raise ValueError(
                f"rank_by names unknown tasks {unknown}; tasks are {list(self.tasks_)}."
            )
        bad = [t for t, w in weights.items() if not (np.isfinite(w) and w >= 0)]
        if bad or not weights or sum(weights.values()) == 0:
            raise ValueError(
                f"rank_by weights must be non-negative, finite and not all zero; got {weights}."
            )
        multiclass = [t for t in weights if self.tasks_[t].task_type == "multiclass"]
        if multiclass:
            raise ValueError(f"rank_by cannot rank by multiclass tasks {multiclass}.")
        return weights

    def _device_batches(self, features: dict[str, np.ndarray], batch_size: int):
        """Batches of ``features`` on the net's device, with the module in eval mode.

        Callers wrap the loop in ``torch.inference_mode()``.
        """
        self.net_.module_.eval()
        for batch, _ in BatchSlicer(TensorDictDataset(features), batch_size=batch_size):
            yield {k: v.to(self.net_.device) for k, v in batch.items()}

    def _pair_predictions(
        self,
        users: tuple,
        items: tuple,
        user_index: np.ndarray,
        item_index: np.ndarray,
        seen: np.ndarray,
    ) -> dict[str, torch.Tensor]:
        """Each task's ranking value (probability of the positive class, or value) per pair.

        ``seen`` marks the pairs that are training interactions (computed once
        by the caller, which also needs it to exclude seen items).
        """
        features = self.catalog_.assemble(
            users, items, user_index, item_index, embed_text=self._embed_text
        )
        if self.interaction_history:
            features["in_history"] = seen.astype(np.float32)
        parts: list[tuple[torch.Tensor, ...]] = []
        with torch.inference_mode():
            # Large batches: scoring has no gradient to keep, only throughput.
            for batch in self._device_batches(features, batch_size=1 << 16):
                parts.append(tuple(out.float().cpu() for out in self.net_.module_(**batch)))
        outputs = [torch.cat(chunk) for chunk in zip(*parts, strict=True)]
        values = {}
        for (name, task), output in zip(self.tasks_.items(), outputs, strict=True):
            if task.task_type == "binary":
                values[name] = torch.sigmoid(output.double())
            elif task.task_type == "regression":
                values[name] = output.double() * task.scale_ + task.mean_
            else:
                values[name] = output.argmax(dim=1)
        return values

    def _task_column(self, name: str, values: np.ndarray) -> np.ndarray:
        """A task's ranking values as output: class labels for multiclass tasks."""
        task = self.tasks_[name]
        return task.classes_[values] if task.task_type == "multiclass" else values

    def score_pairs(
        self, users: Any, items: Any, rank_by: str | Mapping[str, float] | None = None
    ) -> pd.DataFrame:
        """Score given (user, item) pairs from their ids alone.

        Parameters
        ----------
        users, items : array-like of shape (n_pairs,)
            User and item ids; unknown users get the cold-start fallback
            (unseen code, average features).
        rank_by : str or dict, default=None
            As in :meth:`recommend`.

        Returns
        -------
        DataFrame
            ``user_col``, ``item_col``, ``score``, then one column per task:
            the positive-class probability for binary tasks, the value for
            regression tasks, the label for multiclass tasks.
        """
        catalog = self._check_catalog("score_pairs")
        weights = self._ranking_weights(rank_by)
        users, items = np.asarray(users), np.asarray(items)
        if users.shape != items.shape or users.ndim != 1:
            raise ValueError(
                f"users and items must be 1-D of the same length; got {users.shape} and "
                f"{items.shape}."
            )
        self._check_known_items(items)
        user_ids, user_index = np.unique(users, return_inverse=True)
        item_ids, item_index = np.unique(items, return_inverse=True)
        users_block, items_block = catalog.encode_users(user_ids), catalog.encode_items(item_ids)
        seen = catalog.is_interaction(users_block.codes[user_index], items_block.codes[item_index])
        values = self._pair_predictions(users_block, items_block, user_index, item_index, seen)
        frame = pd.DataFrame({self.user_col: users, self.item_col: items})
        frame["score"] = sum(w * values[t] for t, w in weights.items()).numpy()
        for name, value in values.items():
            frame[name] = self._task_column(name, value.numpy())
        return frame

    def _check_known_items(self, items: np.ndarray) -> None:
        unknown = pd.Index(items).difference(self.catalog_.items_.index)
        if len(unknown):
            raise ValueError(
                f"items holds ids not seen in fit: {list(unknown[:10])}; an item is known "
                "by its id and features from the training data."
            )

    def recommend(
        self,
        users: Any,
        k: int = 10,
        items: Any = None,
        exclude_seen: bool = True,
        rank_by: str | Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` items for each user.

        Candidates are built from what the model learned in ``fit``: each
        item's features and each user's features, looked up by id. Scoring is
        batched over users × candidates.

        Parameters
        ----------
        users : array-like
            User ids. Unknown users get the cold-start fallback (unseen user
            code, average user features, empty history).
        k : int, default=10
            Items per user.
        items : array-like or DataFrame, default=None
            Candidate item ids (all known items if ``None``); unknown ids are
            an error. A DataFrame describes the candidates instead, one row
            per item with ``item_col`` and the item features (including text
            features): items never seen in ``fit`` are scored from these
            columns, the id falling back to the unseen code (cold start).
        exclude_seen : bool, default=True
            Leave out the items each user interacted with in ``fit`` (see
            ``interaction_task``).
        rank_by : str or dict, default=None
            The task to rank by (its positive-class probability or value), or
            ``{task: weight}`` to rank by the weighted sum of the tasks'
            predictions, as production systems blend click, like and rating.
            ``None`` ranks by the first task.

        Returns
        -------
        DataFrame
            One row per recommendation: ``user_col``, ``item_col``, ``rank``
            (1..k), ``score``, then each task's prediction. Users with fewer
            than ``k`` candidates get fewer rows.

        Examples
        --------
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=3000, random_state=0)
        >>> model = MultiTaskRecommender(user_col="user_id", item_col="item_id",
        ...                              max_epochs=2, random_state=0).fit(X, y)
        >>> top = model.recommend(["u1", "u2"], k=3, rank_by={"click": 1.0, "like": 0.5})
        >>> top.columns.tolist()
        ['user_id', 'item_id', 'rank', 'score', 'click', 'like', 'rating']
        """
        catalog = self._check_catalog("recommend")
        if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        weights = self._ranking_weights(rank_by)
        user_ids = np.asarray(users).reshape(-1)
        described = None
        if items is None:
            item_ids = catalog.items_.index.to_numpy()
        elif isinstance(items, pd.DataFrame):
            described = catalog.check_described_items(items)
            item_ids = described.index.to_numpy()
        else:
            item_ids = pd.unique(np.asarray(items).reshape(-1))
            self._check_known_items(item_ids)
        user_block = catalog.encode_users(user_ids)
        item_block = catalog.encode_items(item_ids, described)
        n_items = len(item_ids)
        top_k = min(int(k), n_items)
        chunk = max(1, (1 << 18) // max(n_items, 1))
        frames = []
        for start in range(0, len(user_ids), chunk):
            rows = np.arange(start, min(start + chunk, len(user_ids)))
            user_index = np.repeat(rows, n_items)
            item_index = np.tile(np.arange(n_items), len(rows))
            seen = catalog.is_interaction(
                user_block.codes[user_index], item_block.codes[item_index]
            )
            values = self._pair_predictions(user_block, item_block, user_index, item_index, seen)
            score = sum(w * values[t] for t, w in weights.items()).view(len(rows), n_items)
            if exclude_seen:
                mask = torch.from_numpy(seen.reshape(len(rows), n_items))
                score = score.masked_fill(mask, float("-inf"))
            best, where = torch.topk(score, top_k, dim=1)
            flat = (torch.arange(len(rows)).unsqueeze(1) * n_items + where).reshape(-1)
            frame = pd.DataFrame(
                {
                    self.user_col: np.repeat(user_ids[rows], top_k),
                    self.item_col: item_ids[where.reshape(-1).numpy()],
                    "rank": np.tile(np.arange(1, top_k + 1), len(rows)),
                    "score": best.reshape(-1).numpy(),
                }
            )
            for name, value in values.items():
                frame[name] = self._task_column(name, value.reshape(-1)[flat].numpy())
            frames.append(frame[np.isfinite(frame["score"].to_numpy())])
        return pd.concat(frames, ignore_index=True)

    # ---------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to the folder ``path``, without pickle.

        The folder holds ``config.json`` (parameters, tasks, vocabularies,
        scalers, users and items, text encoders' settings, format, library and
        torch versions) and ``model.safetensors`` (CPU tensors). Only the
        library's own components can be saved: a custom architecture class,
        loss-weighting object, task object or text encoder is a ``TypeError``
        (use :mod:`joblib` for those, with files you trust).

        Parameters
        ----------
        path : str or path-like
            Folder to write (created if needed; its two files are replaced).

        Returns
        -------
        Path
            The folder.

        Examples
        --------
        >>> import tempfile
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=500, random_state=0)
        >>> model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = model.save(folder)
        ...     loaded = MultiTaskRecommender.load(folder)
        >>> loaded.predict(X.head(3)).equals(model.predict(X.head(3)))
        True
        """
        check_is_fitted(self)
        return save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> MultiTaskRecommender:
        """Load a model written by :meth:`save`.

        Reads JSON and safetensors only: nothing is unpickled or imported, so a
        tampered file can hold wrong numbers but never run code. A folder
        written by a newer, incompatible format version is refused.

        Parameters
        ----------
        path : str or path-like
            The folder given to :meth:`save`.
        device : str, default=None
            Device to load the network on; ``None`` keeps the saved ``device``
            parameter, falling back to the CPU (with a warning) when it names
            CUDA and no GPU is available.

        Returns
        -------
        MultiTaskRecommender
            Fitted, predicting what the saved model predicted.
        """
        return load_model(cls, path, device=device)

    # ------------------------------------------------------------- serving

    def onnx_inputs(self, X: Any) -> dict[str, np.ndarray]:
        """The inputs of the graph written by :meth:`export_onnx` for the rows of ``X``.

        Returns
        -------
        dict
            ``categorical`` (int64 codes, 0 = unseen), ``numeric`` (float32,
            raw: the graph standardizes them), and when the model has them
            ``in_history`` (float32 flags) and ``text`` (float32 vectors).
        """
        check_is_fitted(self)
        X = self._check_x(X, reset=False)
        features = self._features(X)
        inputs = {
            "categorical": features["categorical"],
            # Raw values: the graph standardizes them itself.
            "numeric": self.schema_.numeric_values(X).astype(np.float32),
        }
        if "in_history" in features:
            inputs["in_history"] = features["in_history"].astype(np.float32)
        if "text" in features:
            inputs["text"] = features["text"][:].numpy()
        return {name: inputs[name] for name in onnx_input_names(self)}

    def export_onnx(self, path: str | os.PathLike) -> Path:
        """Write the network, numeric scaling included, as an ONNX graph.

        The graph's inputs are those of :meth:`onnx_inputs` (a server encodes
        ids with the vocabularies of :meth:`save`'s ``config.json``: the
        ``i``-th category has code ``i + 1``, unknown ones 0); its outputs,
        one per task and named after it, are the positive-class probability
        (binary), the class probabilities (multiclass) or the value
        (regression). The batch dimension is dynamic. Needs the ``onnx``
        extra.

        Parameters
        ----------
        path : str or path-like
            The ``.onnx`` file to write.

        Returns
        -------
        Path
        """
        check_is_fitted(self)
        return export_onnx(self, path)

    # -------------------------------------------------------------- experts

    def expert_usage(self, X: Any, level: int = -1) -> pd.DataFrame:
        """Mean gate weight of each task on each expert, over the rows of ``X``.

        Shows how a mixture architecture shares its experts: tasks that put
        their weight on the same experts share capacity, tasks that use
        different experts have separated.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        level : int, default=-1
            For ``"ple"``: the extraction level whose gates to report.

        Returns
        -------
        DataFrame of shape (n_tasks, n_experts)
            Rows are tasks, columns experts (for PLE ``own_k`` is the task's own
            k-th expert, ``shared_k`` a shared one); each row sums to 1.
        """
        check_is_fitted(self)
        architecture = self.net_.module_.architecture
        if not architecture.has_gates:
            raise ValueError(
                f"expert_usage needs a mixture architecture ('mmoe' or 'ple'); this model "
                f"uses architecture={self.architecture!r}, which has no gates."
            )
        n_levels = getattr(architecture, "n_levels", 1)
        if not -n_levels <= level < n_levels:
            raise ValueError(f"level must lie in [{-n_levels}, {n_levels}); got {level}.")
        X = self._check_x(X, reset=False)
        totals = None
        with torch.inference_mode():
            for batch in self._device_batches(self._features(X), max(self.batch_size, 4096)):
                gates = self.net_.module_.gate_weights(**batch, level=level)
                sums = torch.stack([g.sum(dim=0) for g in gates]).cpu()
                totals = sums if totals is None else totals + sums
        return pd.DataFrame(
            (totals / len(X)).numpy().astype(np.float64),
            index=pd.Index(list(self.tasks_), name="task"),
            columns=pd.Index(architecture.expert_names(level), name="expert"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
