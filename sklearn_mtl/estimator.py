"""``MultiTaskRecommender``: the scikit-learn face of the library.

The estimator holds the parameters, checks them, orchestrates ``fit`` and
answers ``predict``/``score``; every stage it drives lives in a room of its
own: input checks (:mod:`~sklearn_mtl.validation`), column encodings
(:mod:`~sklearn_mtl.schema`), users and items (:mod:`~sklearn_mtl.catalog`),
network assembly (:mod:`~sklearn_mtl.builder`), training
(:mod:`~sklearn_mtl.training`), pair scoring (:mod:`~sklearn_mtl.recommend`),
files (:mod:`~sklearn_mtl.persistence`) and ONNX (:mod:`~sklearn_mtl.export`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._docstring import fill_registry_names
from .builder import (
    NetworkSpec,
    batch_size_in_force,
    build_net,
    early_stopping_in_force,
    grow_network,
    shrink_network,
)
from .catalog import fit_catalog, interaction_rows
from .datasets import ParquetLog
from .description import description_html, description_text
from .distributed import (
    GRADIENT_WEIGHTINGS,
    check_same_on_every_rank,
    launched,
    make_accelerator,
    shared_seed,
)
from .explanation import explain_pairs
from .export import example_rows, export_onnx, onnx_inputs
from .inputs import CATEGORICAL, IN_HISTORY, TEXT, NetworkInputs, TensorDictDataset
from .inspection import mean_gate_weights, task_gradient_affinity
from .log_training import check_log_training, log_chunks
from .metrics import task_metric
from .modules import ARCHITECTURES, MultiTaskArchitecture
from .modules.history import HISTORY_POOLINGS
from .persistence import SavedModel, read_model, save_model
from .recommend import PairScorer, ranking_weights
from .schema import FeatureSchema
from .tasks import Task, fit_tasks
from .text import SentenceEmbedder, encode_text_columns, fit_text_encoders
from .threads import limits_threads
from .training.privacy import default_delta, import_opacus
from .validation import check_features, check_targets, format_like_targets
from .weighting import LOSS_WEIGHTINGS, LossWeighting

__all__ = ["MultiTaskRecommender"]


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
    architecture : {ARCHITECTURE_NAMES} or class, default="shared_bottom"
        How the tasks share the network below their towers (the names are the
        keys of :data:`sklearn_mtl.modules.ARCHITECTURES`):

        ARCHITECTURE_LIST
        - A subclass of :class:`~sklearn_mtl.modules.MultiTaskArchitecture`,
          constructed by its ``from_params`` (by default
          ``cls(input_dim=..., n_tasks=..., units=shared_units,
          dropout=dropout, batch_norm=batch_norm)``).
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
    loss_weighting : {LOSS_WEIGHTING_NAMES} or LossWeighting, default="equal"
        How the task losses are balanced: their sum, learned uncertainty
        weights (Kendall et al., 2018), Dynamic Weight Average (Liu et al.,
        2019), GradNorm on the last shared layer (Chen et al., 2018), PCGrad
        projection of conflicting gradients (Yu et al., 2020), or your own
        :class:`~sklearn_mtl.weighting.LossWeighting` instance. The weights
        used in each epoch are logged as ``weight_<task>`` (see
        :meth:`history_frame`).
    tower_units : tuple of int, default=(16,)
        Hidden layer widths of each task's tower.
    embedding_dim : int or "auto", default=32
        Width of every categorical embedding; ``"auto"`` sizes each table from
        its vocabulary (``min(64, round(1.6 * n ** 0.56))``). Chosen on
        MovieLens 100K u1 validation with the other defaults (see the user
        guide): 32 against 16, 0.904 against 0.906 RMSE with history.
    categorical_features : "from_dtype" or list, default="from_dtype"
        ``"from_dtype"``: string, object, category and bool columns are
        categorical. A list names the categorical columns (needed for integer
        ids, which are otherwise numbers).
    categories : dict of column to list, default=None
        The complete vocabulary of some categorical columns, known before
        training (``ParquetLog.categories`` builds it in one pass over a log).
        Their codes follow these lists, a value outside them is a
        ``ValueError``, and they never grow: chunked training (``partial_fit``
        over chunks, ``fit`` on a :class:`~sklearn_mtl.datasets.ParquetLog`)
        then builds the network once, and every process of a ``distributed``
        fit builds the same one. Like ``OneHotEncoder(categories=...)``.
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
    history_pooling : {"sqrt", "mean", "sigmoid_sum"}, default="sqrt"
        How ``interaction_history`` pools a history: ``"sqrt"`` divides the
        sum by the square root of the history length (SVD++'s
        ``|N(u)|^-1/2``: 0.906 RMSE on MovieLens 100K validation against
        0.919 for ``"mean"``); ``"mean"`` by the length; ``"sigmoid_sum"`` passes the
        sum through a sigmoid, the encoder of AutoRec, which keeps how long
        the history is (best for rating prediction on MovieLens, with
        ``weight_decay=1e-3``).
    history_dropout : float or "auto", default="auto"
        In training, hide each interaction from the pooled histories with this
        probability, drawn afresh for every batch (Mult-VAE's input dropout).
        A training interaction is left out of its own row's pools, so without
        dropout the pools of interaction rows differ from those of the
        sampled negatives by exactly that pair: the network reads the label
        from it and then scores every unseen candidate like a negative.
        ``"auto"`` is 0.8 when ``interaction_task`` marks some rows as
        non-interactions (at 0.5 a long training still let the history point
        the wrong way for some seeds; see the user guide), else 0 (every row
        is an interaction, nothing leaks).
    history_products : bool, default=False
        Also feed the element-wise products of the pooled histories with the
        item's and the user's own factor vectors (SVD++'s interaction term).
        They help rating prediction, and ranking when the negatives are
        drawn afresh (``resample_negatives``); with a fixed set of sampled
        negatives they overfit it.
    factorization_terms : bool, default=True
        With ``user_col`` and ``item_col``: add to every task's output the
        biases of every categorical column and the scaled dot product of the
        user side (the sum of the user id's, the user's side features' and
        the user's history vectors) with the item side, and feed the
        architecture their element-wise product too (the terms of matrix
        factorization and SVD++ beside the MLP, as NeuMF). Each task has its
        own scale of the dot product, and its tower starts at zero, so
        training starts from a factorization. Without ids there is nothing
        to factorize and the setting has no effect. Needs every side's
        tables of one width (an integer ``embedding_dim``) to be exact;
        with ``"auto"``, narrower vectors add on the leading dimensions.
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
    lr : float or "auto", default="auto"
        Learning rate of Adam. ``"auto"`` is 1e-3 with
        ``interaction_history`` and 2e-3 without, chosen with ``batch_size``
        and ``embedding_decay`` on validation: on MovieLens 100K u1 (rating +
        like) 1e-3 scored 0.9045 RMSE with history against 0.9100 at 2e-3,
        and 2e-3 0.932 without history against 0.937 (see the user guide).
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` lowers the learning rate from ``lr`` towards 0 along a
        half cosine over the ``max_epochs`` of each ``fit`` (skorch's
        ``LRScheduler`` with torch's ``CosineAnnealingLR``, stepped per
        epoch): the last epochs take small steps, so the final model depends
        less on which batches came last. Every ``fit`` starts the schedule
        again; the one epoch of a ``partial_fit`` call trains at ``lr``.
    weight_decay : float, default=0.0
        L2 penalty of Adam on the network's weights, the embedding tables
        too unless ``embedding_decay`` is set. The factorization terms'
        biases and scales and learned loss weights are never decayed.
    embedding_decay : float, default=6.0
        Decoupled weight decay (AdamW's semantics) of the embedding tables:
        ids, side features, interaction histories. Every step multiplies
        every row by ``1 - lr * embedding_decay``, trained by the batch or
        not, so the vectors of rarely seen users and items stay near zero
        (the prior) and popular ones are what the data make them. 0 leaves
        the tables to ``weight_decay``. Chosen on validation (see the user
        guide): on MovieLens 100K u1 (rating + like, 1024 rows a step) 6
        scored 0.904 RMSE with ``interaction_history`` against 0.909 for 4 and
        0.906 for 8, and the clustered logs learn.
    max_grad_norm : float, default=None
        Clip the L2 norm of all gradients together to this value before each
        step (skorch's ``GradientNormClipping``); ``None`` does not clip.
    dp_epsilon : float, default=None
        Train with differential privacy (DP-SGD, through Opacus: ``pip
        install 'sklearn-mtl[privacy]'``) at this privacy budget; ``None``
        trains without. The privacy unit is one row of ``X`` (one
        interaction): the trained weights change little whether or not any
        one row was in the training data, and ``privacy_spent_`` says how
        little. Each row's gradient is clipped to ``dp_max_grad_norm``, the
        clipped sum gets Gaussian noise calibrated so that ``max_epochs``
        epochs spend at most ``dp_epsilon`` (Rényi-DP accountant), and
        batches are drawn by Poisson sampling (each row joins each step with
        probability ``batch_size / n_rows``), which is what that accountant
        assumes. Later training (``partial_fit``, ``warm_start``) reuses the
        noise and adds to ``privacy_spent_``, with a warning once it passes
        ``dp_epsilon``. An early-stopping or ``validation_fraction`` split is
        held out of training, so choosing the epoch on it spends nothing,
        but its rows are not protected. The noise and the batch draws come
        from fresh entropy, not from ``random_state`` (which is saved with
        the model): private fits are not reproducible. Column encodings (vocabularies,
        numeric scalers, the regression targets' scale) are read from the
        data without noise; fix vocabularies with ``categories`` where they
        must not depend on it. Refused with DP: ``interaction_history`` and
        ``resample_negatives`` (a row's inputs would carry other rows'
        interactions), ``batch_norm`` (it mixes the rows of a batch), loss
        weightings other than ``"equal"`` (they use unclipped, un-noised
        batch statistics), ``max_grad_norm``, ``record_task_affinity``,
        ``distributed`` and Parquet logs.
    dp_delta : float, default=None
        The delta of the guarantee: the probability that it fails outright.
        ``None``: ``1 / n_samples`` of the first fit rounded down to a power
        of 10.
    dp_max_grad_norm : float, default=1.0
        Each row's gradient is clipped to this L2 norm (with ``dp_epsilon``).
        Smaller clips more and needs less noise per step.
    batch_size : int or "auto", default="auto"
        Rows per gradient step (the expected number with ``dp_epsilon``).
        ``"auto"``: 1024 when an epoch still makes 20 steps of that size
        (20,480 rows or more), else 256, decided by the first fit's rows
        (``batch_size_``).
    max_epochs : int, default=50
        Passes over the training data (at most, with early stopping).
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the rows, stop when the validation
        loss has not improved for ``n_iter_no_change`` epochs, and restore the
        best weights. ``"auto"`` (as in scikit-learn's histogram gradient
        boosting) stops early when ``fit`` gets more than 10,000 rows and
        trains all ``max_epochs`` on fewer; ``partial_fit`` (one epoch per
        call) and ParquetLog training never stop early. The epoch it stops
        at is ``n_iter_``.
    validation_fraction : float or None, default=None
        Share of rows held out for validation. ``None`` means 0.05 with early
        stopping (0.906 RMSE on MovieLens 100K validation against 0.914 for
        0.1: the held-out rows are rows the model does not learn from) and no
        validation set without it; set it without early stopping to watch
        validation metrics only.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs. 10 lets a small log leave the
        plateau a factorization starts on (6 epochs on one clustered log,
        where 5 stopped it at a train AUC of 0.52); on MovieLens it changes
        no figure.
    record_task_affinity : bool, default=False
        Log :meth:`task_affinity` on (up to 20 batches of) the training rows
        after every epoch, as ``affinity_<task>_<other>`` of
        :meth:`history_frame`: how the tasks' relation evolves while they train.
    warm_start : bool, default=False
        When the model is already fitted, ``fit`` continues training it on the
        new data (``max_epochs`` more epochs) instead of starting over; new
        users, items and categories extend the vocabularies, as in
        :meth:`partial_fit`.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation
        split. The same value gives identical predictions on CPU (except
        with ``dp_epsilon``, whose noise is never seeded).
    device : str, default="cpu"
        Torch device to train and predict on, e.g. ``"cuda"``.
    n_threads : int or None, default=None
        Torch threads of ``fit``, ``partial_fit``, the predictions and
        ``recommend``, set for the call only (the caller's setting is restored
        after). ``None`` keeps torch's setting, except inside a Dask worker,
        where the worker's ``threads_per_worker`` applies: parallel fits that
        each take every core run many times slower. joblib's process workers
        are capped by joblib already.
    distributed : bool, default=False
        Data-parallel training in every process of a ``torch.distributed``
        launch (``torchrun``, or a launcher that sets the same environment,
        such as Ray Train), through Accelerate (``pip install
        'sklearn-mtl[distributed]'``): every process is given the same ``X``
        and ``y`` and builds the same vocabularies, tasks and catalog; each
        epoch's batches are shared out between the processes, gradients are
        averaged, and every process ends with the same weights. ``verbose``
        prints on the first process only and :meth:`save` writes from it;
        :meth:`load` builds a plain single-process model. The ``"gradnorm"``
        and ``"pcgrad"`` loss weightings are refused.
    verbose : int, default=0
        ``1`` prints the tasks (with their inferred types), then one line
        per epoch (losses per task and validation metrics; colour codes only
        on a terminal), and a progress bar in any epoch that runs longer than
        two seconds.

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
        The trained network; ``net_.history`` holds skorch's log (per epoch
        as a DataFrame: :meth:`history_frame`).
    n_iter_ : int
        Epochs trained.
    early_stopping_ : bool
        Whether the fit stopped early (``early_stopping`` decided; see there).
    batch_size_ : int
        The rows per gradient step (``batch_size`` decided; see there).
    privacy_spent_ : tuple of (float, float)
        ``(epsilon, delta)`` spent by all the training of this model, from
        Opacus's Rényi-DP accountant (only with ``dp_epsilon``). A ``fit``
        never spends more than ``dp_epsilon``.
    noise_multiplier_ : float
        The DP-SGD noise: its standard deviation over ``dp_max_grad_norm``
        (only with ``dp_epsilon``).
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
        "architecture": [StrOptions(set(ARCHITECTURES)), type],
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
        "history_dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "history_products": ["boolean"],
        "factorization_terms": ["boolean"],
        "interaction_task": [str, None],
        "resample_negatives": ["boolean"],
        "text_features": [list, tuple, None],
        "text_encoder": [HasMethods(["fit", "transform"]), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "embedding_decay": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "dp_epsilon": [Interval(Real, 0, None, closed="neither"), None],
        "dp_delta": [Interval(Real, 0, 1, closed="neither"), None],
        "dp_max_grad_norm": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "categories": [dict, None],
        "distributed": ["boolean"],
        "record_task_affinity": ["boolean"],
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
        embedding_dim: int | str = 32,
        categorical_features: str | list = "from_dtype",
        categories: dict[str, list] | None = None,
        task_weights: dict[str, float] | None = None,
        user_col: str | None = None,
        item_col: str | None = None,
        user_features: list[str] | None = None,
        item_features: list[str] | None = None,
        interaction_history: bool = False,
        history_pooling: str = "sqrt",
        history_dropout: float | str = "auto",
        history_products: bool = False,
        factorization_terms: bool = True,
        interaction_task: str | None = None,
        resample_negatives: bool = False,
        text_features: list[str] | None = None,
        text_encoder: Any = None,
        dropout: float = 0.0,
        batch_norm: bool = False,
        lr: float | str = "auto",
        lr_schedule: str = "constant",
        weight_decay: float = 0.0,
        embedding_decay: float = 6.0,
        max_grad_norm: float | None = None,
        dp_epsilon: float | None = None,
        dp_delta: float | None = None,
        dp_max_grad_norm: float = 1.0,
        batch_size: int | str = "auto",
        max_epochs: int = 50,
        early_stopping: bool | str = "auto",
        validation_fraction: float | None = None,
        n_iter_no_change: int = 10,
        record_task_affinity: bool = False,
        warm_start: bool = False,
        random_state: int | np.random.RandomState | None = None,
        device: str = "cpu",
        n_threads: int | None = None,
        distributed: bool = False,
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
        self.categories = categories
        self.task_weights = task_weights
        self.user_col = user_col
        self.item_col = item_col
        self.user_features = user_features
        self.item_features = item_features
        self.interaction_history = interaction_history
        self.history_pooling = history_pooling
        self.history_dropout = history_dropout
        self.history_products = history_products
        self.factorization_terms = factorization_terms
        self.interaction_task = interaction_task
        self.resample_negatives = resample_negatives
        self.text_features = text_features
        self.text_encoder = text_encoder
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.embedding_decay = embedding_decay
        self.max_grad_norm = max_grad_norm
        self.dp_epsilon = dp_epsilon
        self.dp_delta = dp_delta
        self.dp_max_grad_norm = dp_max_grad_norm
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.record_task_affinity = record_task_affinity
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.distributed = distributed
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @limits_threads
    def fit(self, X: Any, y: Any = None) -> MultiTaskRecommender:
        """Train the network on ``X`` and the task targets ``y``.

        Parameters
        ----------
        X : DataFrame, array-like of shape (n_samples, n_features) or ParquetLog
            Mixed-dtype frame (ids, side features) or a numeric array. A
            :class:`~sklearn_mtl.datasets.ParquetLog` is read a chunk at a
            time, ``max_epochs`` passes, each chunk one epoch of its rows.
        y : DataFrame, Series or array-like of shape (n_samples,) or (n_samples, n_tasks)
            One column per task; NaN marks a missing label. ``None`` with a
            ``ParquetLog``, whose columns named in ``tasks`` are the targets.

        Returns
        -------
        self : MultiTaskRecommender
        """
        self._validate_params()
        continuing = self.warm_start and hasattr(self, "net_")
        self._check_private_training(continuing)
        if isinstance(X, ParquetLog):
            return self._train_on_log(X, y, passes=self.max_epochs, fresh=not continuing)
        if continuing:
            return self._continue_training(X, y, epochs=self.max_epochs)
        return self._fit_new(X, y, epochs=self.max_epochs)

    @limits_threads
    def partial_fit(self, X: Any, y: Any = None) -> MultiTaskRecommender:
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
        X : DataFrame, array-like of shape (n_samples, n_features) or ParquetLog
            The same columns as in the first fit. A ``ParquetLog``: one pass
            over it, a chunk at a time.
        y : DataFrame, Series or array-like
            The same tasks as in the first fit; classification labels must be
            among the classes seen then. ``None`` with a ``ParquetLog``.

        Returns
        -------
        self : MultiTaskRecommender
        """
        self._validate_params()
        self._check_private_training(continuing=hasattr(self, "net_"))
        if isinstance(X, ParquetLog):
            return self._train_on_log(X, y, passes=1, fresh=not hasattr(self, "net_"))
        if not hasattr(self, "net_"):
            return self._fit_new(X, y, epochs=1)
        return self._continue_training(X, y, epochs=1)

    def _check_private_training(self, continuing: bool) -> None:
        """Refuse what differentially private training cannot do, naming the parameter and why."""
        if continuing and (self.dp_epsilon is None) != (self._privacy() is None):
            raise ValueError(
                f"dp_epsilon={self.dp_epsilon!r} differs from the fitted model's (trained "
                f"{'with' if self._privacy() is not None else 'without'} differential "
                "privacy); continuing would mix the two. Refit with warm_start=False."
            )
        if self.dp_epsilon is None:
            return
        import_opacus()
        # Each entry: (refused, why). The guarantee is per row: nothing of one
        # row may reach another row's gradient, and nothing unnoised may steer training.
        refused = [
            (
                self.interaction_history,
                "interaction_history=True pools every user's and item's interactions into "
                "each row's inputs, so one row's data would reach the gradients of many",
            ),
            (
                self.resample_negatives,
                "resample_negatives=True draws each negative from the other rows' "
                "interactions (the items a user never interacted with)",
            ),
            (self.batch_norm, "batch_norm=True normalizes each row by its batch's statistics"),
            (
                self.loss_weighting != "equal",
                f"loss_weighting={self.loss_weighting!r} weighs the tasks from unclipped, "
                "un-noised batch statistics (use 'equal', with task_weights if needed)",
            ),
            (
                self.max_grad_norm is not None,
                "max_grad_norm clips the batch gradient; dp_max_grad_norm clips each row's",
            ),
            (
                self.record_task_affinity,
                "record_task_affinity=True logs un-noised gradients of the training rows",
            ),
            (self.distributed, "distributed=True is not supported with differential privacy"),
        ]
        for is_refused, why in refused:
            if is_refused:
                raise ValueError(f"dp_epsilon={self.dp_epsilon} cannot be used here: {why}.")

    def _privacy(self) -> Any:
        """The net's DP-SGD callback, or None for a model trained without privacy."""
        if not hasattr(self, "net_"):
            return None
        return dict(self.net_.callbacks_).get("privacy")

    def _record_privacy(self, warn: bool = True) -> None:
        """Set ``privacy_spent_`` and ``noise_multiplier_`` from the accountant."""
        privacy = self._privacy()
        if privacy is None:
            for name in ("privacy_spent_", "noise_multiplier_"):
                self.__dict__.pop(name, None)
            return
        self.privacy_spent_ = privacy.spent()
        self.noise_multiplier_ = privacy.noise_multiplier_
        epsilon, delta = self.privacy_spent_
        if warn and epsilon > privacy.target_epsilon:
            warnings.warn(
                f"This model has now spent epsilon={epsilon:.3g} (delta={delta:g}), more than "
                f"dp_epsilon={privacy.target_epsilon}: the noise was calibrated for "
                f"{privacy.epochs} epochs and the model has trained more (partial_fit, "
                "warm_start). Fit a new model to stay within the budget.",
                UserWarning,
                stacklevel=5,
            )

    def _train_on_log(
        self, log: ParquetLog, y: Any, passes: int, fresh: bool
    ) -> MultiTaskRecommender:
        """``passes`` passes over ``log``, one training call per chunk (fresh: a new model)."""
        if self.dp_epsilon is not None:
            raise ValueError(
                f"dp_epsilon={self.dp_epsilon} cannot train on a ParquetLog: each chunk would "
                "be its own sampling pass, which the privacy accounting does not cover; "
                "read the log into a DataFrame."
            )
        targets = check_log_training(self.get_params(deep=False), log, y)
        accelerator = make_accelerator(self.device) if self.distributed else None
        for _ in range(passes):
            batch_size = batch_size_in_force(self.batch_size, len(log))
            for chunk, train_steps in log_chunks(log, batch_size, accelerator):
                X, Y = chunk.drop(columns=targets), chunk[targets]
                if fresh:
                    self._fit_new(X, Y, epochs=1, train_steps=train_steps)
                    fresh = False
                else:
                    self._continue_training(X, Y, epochs=1, train_steps=train_steps)
        return self

    def _fit_new(
        self, X: Any, y: Any, epochs: int, train_steps: int | None = None
    ) -> MultiTaskRecommender:
        if self.batch_norm and self.batch_size != "auto" and self.batch_size < 2:
            raise ValueError(
                f"batch_norm=True needs batch_size >= 2 to normalize; got {self.batch_size}."
            )
        if self.text_features and not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"text_features={list(self.text_features)} names columns, so X must be a "
                f"DataFrame that has them; got {type(X).__name__}."
            )
        X = check_features(self, X, reset=True)
        Y = self._targets_frame(y, n_samples=len(X), reset=True)

        self.tasks_ = fit_tasks(self.tasks, Y)
        if self.verbose:
            inferred = " (inferred from y; set tasks= to choose)" if self.tasks is None else ""
            print(f"Tasks{inferred}:")
            for name, task in self.tasks_.items():
                print(f"  {name}: {task.describe()}")
        self.classes_ = {
            name: task.classes_ for name, task in self.tasks_.items() if task.is_classifier
        }
        ids = [c for c in (self.user_col, self.item_col) if c is not None]
        self.schema_ = FeatureSchema(
            self.categorical_features,
            always_categorical=ids,
            text_features=list(self.text_features or ()),
            categories=self.categories,
        ).fit(X)
        if self.text_features:
            encoder = SentenceEmbedder() if self.text_encoder is None else self.text_encoder
            self.text_encoders_ = fit_text_encoders(X, self.schema_.text_columns_, encoder)
        catalog = fit_catalog(self.get_params(deep=False), X, self.schema_, self.tasks_, Y)
        if catalog is None:
            # A refit without ids must not keep the catalog of an earlier fit.
            self.__dict__.pop("catalog_", None)
        else:
            self.catalog_ = catalog
        features = self._features(X)
        text_dim = features[TEXT].width if TEXT in features else 0
        dataset = TensorDictDataset(features, self._encode_targets(Y))

        seed = self._seed()
        accelerator = self._accelerator(dataset, rows_shared=train_steps is None)
        self.early_stopping_ = early_stopping_in_force(self.early_stopping, len(dataset), epochs)
        self.batch_size_ = batch_size_in_force(self.batch_size, len(dataset))
        spec = self._network_spec(text_dim)
        if accelerator is not None:
            seed = shared_seed(accelerator, seed)
            # This process's device (cuda:<local rank> on a GPU node); one printed log.
            verbose = spec.params["verbose"] if accelerator.is_main_process else 0
            params = {**spec.params, "device": str(accelerator.device), "verbose": verbose}
            spec = dataclasses.replace(spec, params=params)
        if self.dp_epsilon is not None:
            spec = dataclasses.replace(
                spec, params={**spec.params, "dp_delta": self._dp_delta(len(dataset))}
            )
        # Fork the global torch RNG: seeding for reproducibility must not
        # change the random stream of the user's own code.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_ = build_net(spec, seed)
            self.net_.initialize()
            self._train(dataset, epochs, accelerator, train_steps)
        self.n_iter_ = len(self.net_.history)
        self._record_privacy()
        return self

    def _dp_delta(self, n_samples: int) -> float:
        """The delta in force: ``dp_delta``, or ``1 / n_samples`` rounded down to a power of 10."""
        if self.dp_delta is None:
            return default_delta(n_samples)
        if self.dp_delta > 1.0 / n_samples:
            warnings.warn(
                f"dp_delta={self.dp_delta} is above 1 / n_samples = {1.0 / n_samples:.3g}: "
                "a guarantee with such a delta allows releasing some rows outright.",
                UserWarning,
                stacklevel=5,
            )
        return float(self.dp_delta)

    def _accelerator(self, dataset: TensorDictDataset, rows_shared: bool = True) -> Any:
        """An Accelerator for ``distributed=True`` (``None`` otherwise), after checks.

        ``rows_shared``: every process holds the same rows (and shares out
        their batches), as opposed to each its own part of a log.
        """
        if not self.distributed:
            return None
        weighting = self.loss_weighting
        if isinstance(weighting, str) and weighting in GRADIENT_WEIGHTINGS:
            raise ValueError(
                f"loss_weighting={weighting!r} computes per-task gradients by hand, which "
                "data-parallel training would not average; use 'equal', 'uncertainty' or "
                "'dwa' with distributed=True."
            )
        accelerator = make_accelerator(self.device)
        if rows_shared:
            check_same_on_every_rank(accelerator, len(dataset), "number of rows")
        check_same_on_every_rank(accelerator, self._encodings_digest(), "vocabularies and tasks")
        return accelerator

    def _encodings_digest(self) -> str:
        """A digest of the vocabularies and task encodings (equal on every process of a launch)."""
        digest = hashlib.sha256()
        for column, vocabulary in self.schema_.vocabularies_.items():
            digest.update(repr(column).encode())
            digest.update(pd.util.hash_array(vocabulary.to_numpy(dtype=object)).tobytes())
        digest.update(repr(sorted(self.tasks_)).encode())
        digest.update(
            repr({name: list(classes) for name, classes in self.classes_.items()}).encode()
        )
        return digest.hexdigest()

    def _train(
        self,
        dataset: TensorDictDataset,
        epochs: int,
        accelerator: Any,
        train_steps: int | None = None,
    ) -> None:
        """``epochs`` more epochs of the net on ``dataset``, data-parallel with ``accelerator``.

        ``train_steps``: exactly that many steps per epoch (processes that
        train on different rows must step together).
        """
        self.net_.accelerator = accelerator
        self.net_.train_steps = train_steps
        try:
            self.net_.partial_fit(dataset, y=None, epochs=epochs)
        finally:
            # The fitted model is a plain one: it predicts, pickles and saves
            # as any other (the accelerator belongs to this launch, and the
            # per-sample gradient hooks to this training call).
            self.net_.accelerator = None
            self.net_.train_steps = None
            if self._privacy() is not None:
                self._privacy().release(self.net_)

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _batch_size(self) -> int:
        # "auto" is decided once, by the first fit's rows (see batch_size_in_force).
        return getattr(self, "batch_size_", batch_size_in_force(self.batch_size, 0))

    def _network_spec(self, text_dim: int | None = None) -> NetworkSpec:
        if text_dim is None:
            text_dim = self.net_.module_.embeddings[0].text_dim
        params = self.get_params(deep=False)
        # "auto" is decided once, by the first fit's rows (see early_stopping_in_force).
        params["early_stopping"] = getattr(self, "early_stopping_", self.early_stopping is True)
        params["batch_size"] = self._batch_size()
        return NetworkSpec(
            params,
            self.schema_,
            self.tasks_,
            getattr(self, "catalog_", None),
            text_dim,
        )

    def _continue_training(
        self, X: Any, y: Any, epochs: int, train_steps: int | None = None
    ) -> MultiTaskRecommender:
        """More epochs on new data, growing vocabularies, catalog and histories."""
        if hasattr(self, "catalog_") and self.catalog_.interactions_ is None:
            raise ValueError(
                "This model was saved with include_interactions=False: it predicts and "
                "recommends, but training further needs the interactions it left out. Fit a "
                "new model (warm_start=False)."
            )
        X = check_features(self, X, reset=False)
        Y = self._targets_frame(y, n_samples=len(X), reset=False)
        encoded_targets = self._encode_targets(Y)  # refuses unknown classes first
        added = self.schema_.extend(X)
        interactions_changed = False
        if hasattr(self, "catalog_"):
            interactions_changed = self.catalog_.update(
                X, self.schema_, interaction_rows(self.tasks_, self.interaction_task, Y)
            )
        dataset = TensorDictDataset(self._features(X), encoded_targets)
        accelerator = self._accelerator(dataset, rows_shared=train_steps is None)
        seed = self._seed() + self.n_iter_
        if accelerator is not None:
            seed = shared_seed(accelerator, seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if added or (interactions_changed and self.interaction_history):
                grow_network(self.net_, self._network_spec())
            before = len(self.net_.history)
            self._train(dataset, epochs, accelerator, train_steps)
        self.n_iter_ += len(self.net_.history) - before
        self._record_privacy()
        return self

    def _features(self, X: pd.DataFrame) -> NetworkInputs:
        """The network inputs of the rows of ``X``."""
        features = self.schema_.transform(X)
        if self.interaction_history:
            flags = self.catalog_.rows_in_history(features[CATEGORICAL])
            features[IN_HISTORY] = flags.astype(np.float32)
        if self.schema_.text_columns_:
            features[TEXT] = encode_text_columns(X, self.text_encoders_)
        return features

    def _targets_frame(self, y: Any, *, n_samples: int, reset: bool) -> pd.DataFrame:
        """``y`` as a DataFrame with one column per task (records its layout on ``reset``)."""
        tasks = self.tasks if reset else self.tasks_
        Y, layout = check_targets(y, n_samples=n_samples, tasks=tasks, name=type(self).__name__)
        if reset:
            self._y_layout = layout
        return Y

    def _encode_targets(self, Y: pd.DataFrame) -> np.ndarray:
        return np.column_stack([task.encode(Y[name]) for name, task in self.tasks_.items()])

    # -------------------------------------------------------------- predict

    def _raw_outputs(self, X: Any) -> dict[str, np.ndarray]:
        """Each task's raw network output (logits or standardized values), float64."""
        check_is_fitted(self)
        X = check_features(self, X, reset=False)
        outputs = self.net_.forward(TensorDictDataset(self._features(X)))
        return {
            name: output.numpy().astype(np.float64)
            for name, output in zip(self.tasks_, outputs, strict=True)
        }

    @limits_threads
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
        index = X.index if isinstance(X, pd.DataFrame) else None
        return format_like_targets(predictions, self._y_layout, index)

    @available_if(_has_classification_task)
    @limits_threads
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

    @limits_threads
    def predict_outputs(self, X: Any) -> dict[str, np.ndarray]:
        """What the network predicts for each task, as its task's ``output`` defines it.

        The positive-class probability of a binary task (shape (n_samples,)),
        the class probabilities of a multiclass task, the value of a
        regression task: one forward pass for every task, and the numbers
        that ``recommend``, the ranking scorers and the ONNX graph use.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        dict
            Task → float64 array.

        Examples
        --------
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=500, random_state=0)
        >>> model = MultiTaskRecommender(max_epochs=1, random_state=0).fit(X, y)
        >>> {task: out.shape for task, out in model.predict_outputs(X.head(3)).items()}
        {'click': (3,), 'like': (3,), 'rating': (3,)}
        """
        return {
            name: self.tasks_[name].output_array(raw) for name, raw in self._raw_outputs(X).items()
        }

    # ---------------------------------------------------------------- score

    @limits_threads
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

    @limits_threads
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

    def _pair_scorer(self, method: str) -> PairScorer:
        check_is_fitted(self)
        if not hasattr(self, "catalog_"):
            raise ValueError(
                f"{method} needs a model fitted with user_col and item_col, which name the "
                "user and item id columns of X."
            )
        return PairScorer(
            self.net_.module_,
            self.net_.device,
            self.catalog_,
            self.tasks_,
            getattr(self, "text_encoders_", None),
            reads_history=self.interaction_history,
        )

    @limits_threads
    def score_pairs(
        self,
        users: Any,
        items: Any,
        rank_by: str | Mapping[str, float] | None = None,
        unknown: str = "warn",
    ) -> pd.DataFrame:
        """Score given (user, item) pairs from their ids alone.

        Parameters
        ----------
        users, items : array-like of shape (n_pairs,)
            User and item ids (an id that spells a fitted one in another
            type, ``"12"`` for ``12``, is that one); unknown users get the
            cold-start fallback (unseen code, average features).
        rank_by : str or dict, default=None
            As in :meth:`recommend`.
        unknown : {"warn", "error", "ignore"}, default="warn"
            As in :meth:`recommend`.

        Returns
        -------
        DataFrame
            ``user_col``, ``item_col``, ``score``, then one column per task:
            the positive-class probability for binary tasks, the value for
            regression tasks, the label for multiclass tasks.
        """
        scorer = self._pair_scorer("score_pairs")
        users = self._fitted_ids(users, self.user_col, "users", unknown)
        items = self._fitted_ids(items, self.item_col, "items", "ignore")
        return scorer.score_pairs(users, items, ranking_weights(rank_by, self.tasks_))

    def _fitted_ids(self, ids: Any, column: str, name: str, unknown: str) -> np.ndarray:
        """``ids`` matched to the fitted ones; ``unknown`` says what to do about the rest."""
        if unknown not in ("warn", "error", "ignore"):
            raise ValueError(f"unknown must be 'warn', 'error' or 'ignore'; got {unknown!r}.")
        ids = self.schema_.match_categories(column, ids)
        vocabulary = self.schema_.vocabularies_[column]
        new = pd.unique(ids[vocabulary.get_indexer(pd.Index(ids, dtype=object)) < 0])
        if len(new) and unknown != "ignore":
            message = (
                f"{len(new)} of {len(pd.unique(ids))} {name} were never seen in fit (e.g. "
                f"{list(new[:5])}; fitted ids look like {list(vocabulary[:3])}) and are scored "
                "as new ones (unseen id, average features, empty history)."
            )
            if unknown == "error":
                raise ValueError(message + " Pass unknown='warn' or 'ignore' to score them.")
            warnings.warn(
                message + " Pass unknown='ignore' to silence this, 'error' to refuse them.",
                UserWarning,
                stacklevel=4,
            )
        return ids

    @limits_threads
    def explain(
        self,
        users: Any,
        items: Any,
        n_reasons: int = 3,
        rank_by: str | Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """Why each (user, item) pair scores what it does: its strongest reasons.

        Two kinds of reason, each in score units (the task's ranking value:
        a probability, a value; and the fused ``score`` of ``rank_by``):

        * ``"history"`` (``interaction_history=True``): for each item the user
          interacted with, how much the score drops when that one interaction
          is taken out of the user's pooled history. Exact, for all of the
          user's past items at once. A model saved with
          ``include_interactions=False`` knows no past item: it gives feature
          reasons only.
        * ``"feature"``: each input column's share of the score by Integrated
          Gradients from a baseline (the unseen code, the column mean, a zero
          text vector, an empty history); ``approximation_error`` is the
          row's completeness gap (attributions minus the score difference
          from the baseline).

        Parameters
        ----------
        users, items : array-like of shape (n_pairs,)
            User and item ids.
        n_reasons : int, default=3
            Reasons kept per pair, task and kind.
        rank_by : str or dict, default=None
            As in :meth:`recommend`: the tasks explained, and the fused score.

        Returns
        -------
        DataFrame
            ``user_col``, ``item_col``, ``task`` (each task of ``rank_by``,
            and ``"score"``), ``reason_kind``, ``reason`` (a past item id, or
            a column), ``contribution``, ``approximation_error``; each pair's
            reasons from the strongest.
        """
        if not isinstance(n_reasons, Integral) or n_reasons < 1:
            raise ValueError(f"n_reasons must be a positive integer; got {n_reasons!r}.")
        scorer = self._pair_scorer("explain")
        weights = ranking_weights(rank_by, self.tasks_)
        users, items = np.asarray(users), np.asarray(items)
        features = scorer.pair_inputs(users, items)
        schema = self.schema_
        text_widths = []
        if schema.text_columns_:
            text_widths = [table.shape[1] for table in features[TEXT].tables]
        column_names = {
            "categorical": schema.categorical_columns_,
            "numeric": schema.numeric_columns_,
            "text": schema.text_columns_,
            "text_widths": text_widths,
        }
        table = explain_pairs(
            self.net_.module_, self.tasks_, weights, features, column_names,
            schema.vocabularies_[self.item_col], n_reasons,
        )  # fmt: skip
        pairs = table.pop("pair").to_numpy()
        table.insert(0, self.item_col, items[pairs])
        table.insert(0, self.user_col, users[pairs])
        return table.reset_index(drop=True)

    @limits_threads
    def recommend(
        self,
        users: Any,
        k: int = 10,
        items: Any = None,
        exclude_seen: bool = True,
        rank_by: str | Mapping[str, float] | None = None,
        explain: bool = False,
        n_reasons: int = 3,
        seen: pd.DataFrame | None = None,
        unknown: str = "warn",
    ) -> pd.DataFrame:
        """Top-``k`` items for each user.

        Candidates are built from what the model learned in ``fit``: each
        item's features and each user's features, looked up by id. Scoring is
        batched over users × candidates.

        Parameters
        ----------
        users : array-like
            User ids. An id that spells a fitted one in another type
            (``"12"`` for ``12``, or the reverse) is that user. Users never
            seen in ``fit`` get the cold-start fallback (unseen user code,
            average user features, empty history), with a warning (see
            ``unknown``).
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
            ``interaction_task``) and the pairs of ``seen``. A model saved
            with ``include_interactions=False`` knows no interaction: it
            then needs ``seen``.
        rank_by : str or dict, default=None
            The task to rank by (its positive-class probability or value), or
            ``{task: weight}`` to rank by the weighted sum of the tasks'
            predictions, as production systems blend click, like and rating.
            ``None`` ranks by the first task.
        explain : bool, default=False
            Join each recommendation's ``n_reasons`` strongest reasons of
            each kind for the ranking score (see :meth:`explain`): one row
            per reason, with ``reason_kind``, ``reason`` and ``contribution``.
            Only for known candidate items.
        n_reasons : int, default=3
            Reasons per kind with ``explain=True``.
        seen : DataFrame, default=None
            More (user, item) pairs to leave out with ``exclude_seen``, one
            per row in the columns ``user_col`` and ``item_col`` (interactions
            since ``fit``, or the log of a model saved without it).
        unknown : {"warn", "error", "ignore"}, default="warn"
            What to do about users never seen in ``fit``: warn how many are
            scored as new users, refuse them with a ``ValueError``, or score
            them silently (a cold-start system that expects them).

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
        scorer = self._pair_scorer("recommend")
        weights = ranking_weights(rank_by, self.tasks_)
        if explain and isinstance(items, pd.DataFrame):
            raise ValueError(
                "explain=True explains known items; candidates described by a DataFrame "
                "(cold-start items) have no reasons to give."
            )
        if seen is not None and not exclude_seen:
            raise ValueError("seen lists pairs to leave out, which needs exclude_seen=True.")
        if exclude_seen and seen is None and self.catalog_.interactions_ is None:
            raise ValueError(
                "This model was saved with include_interactions=False, so it does not know "
                "what each user has seen: pass those pairs as seen= (a DataFrame with the "
                f"columns {self.user_col!r} and {self.item_col!r}), or exclude_seen=False."
            )
        users = self._fitted_ids(users, self.user_col, "users", unknown)
        if items is not None and not isinstance(items, pd.DataFrame):
            items = self._fitted_ids(items, self.item_col, "items", "ignore")
        top = scorer.recommend(users, k, items, exclude_seen, weights, seen)
        if not explain:
            return top
        reasons = self.explain(top[self.user_col], top[self.item_col], n_reasons, rank_by)
        reasons = reasons[reasons["task"] == "score"].drop(columns="task")
        return top.merge(reasons, on=[self.user_col, self.item_col], how="left")

    # -------------------------------------------------------------- history

    def history_frame(self) -> pd.DataFrame:
        """The per-epoch training log as a DataFrame, one row per epoch.

        Indexed by ``epoch`` (from 1, across ``partial_fit`` calls and a
        save and load), with the columns that training recorded: ``dur``
        (seconds), ``train_loss``, each task's ``train_<task>_loss``; with a
        validation split ``valid_loss``, ``valid_<task>_loss`` and each task's
        metric ``valid_<task>_<metric>``; each task's loss weight
        ``weight_<task>`` (and what the weighting learns, such as
        ``log_var_<task>``); ``affinity_<task>_<other>`` with
        ``record_task_affinity``. skorch's per-batch records and "best so
        far" flags are left out (``net_.history`` keeps them).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=1000, random_state=0)
        >>> model = MultiTaskRecommender(max_epochs=3, validation_fraction=0.2,
        ...                              random_state=0).fit(X, y)
        >>> frame = model.history_frame()
        >>> frame.shape[0], frame.index.name
        (3, 'epoch')
        >>> {"valid_click_roc_auc", "weight_like"} <= set(frame.columns)
        True
        >>> frame[["train_click_loss", "valid_click_loss"]].plot()  # doctest: +SKIP
        """
        check_is_fitted(self)
        skipped = {"batches", "train_batch_count", "valid_batch_count"}
        rows = [
            {
                key: value
                for key, value in row.items()
                if key not in skipped and not key.endswith("_best")
            }
            for row in self.net_.history
        ]
        return pd.DataFrame(rows).set_index("epoch")

    # ------------------------------------------------------------ forgetting

    @limits_threads
    def forget(
        self,
        users: Any = None,
        items: Any = None,
        *,
        X: Any = None,
        y: Any = None,
        refit_epochs: int = 0,
    ) -> MultiTaskRecommender:
        """Forget users and items: afterwards they are scored as ids never seen in ``fit``.

        Honours a deletion request without retraining from scratch. Each
        forgotten id leaves its vocabulary (the other ids keep their trained
        embeddings), so it now gets the unseen code, as a new id does; its
        embedding rows, its row of the catalog (its features), its
        interactions (for ``exclude_seen``) and its share of everyone else's
        pooled ``interaction_history`` are gone, from the model and from the
        optimizer's state (which restarts). Nothing of them is left in a file
        that :meth:`save` writes afterwards; ``categories``, when it lists
        them, drops them too.

        What the forgotten rows taught the shared layers and towers stays in
        those weights. ``refit_epochs`` more epochs on the remaining data
        (``X``, ``y``, which must not hold the forgotten ids) move them
        away from it; only a refit from scratch removes it exactly. The
        numeric scalers and the text encoders keep what they learned in
        ``fit``.

        Parameters
        ----------
        users, items : array-like, default=None
            Ids to forget; each must be known to the model.
        X, y : DataFrame and targets, default=None
            The remaining training data, to train on for ``refit_epochs``.
        refit_epochs : int, default=0
            Epochs of training on ``X``, ``y`` after forgetting (as
            :meth:`partial_fit` calls: with ``dp_epsilon`` they add to
            ``privacy_spent_``).

        Returns
        -------
        self : MultiTaskRecommender

        Examples
        --------
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=2000, random_state=0)
        >>> model = MultiTaskRecommender(user_col="user_id", item_col="item_id",
        ...                              max_epochs=2, random_state=0).fit(X, y)
        >>> _ = model.forget(users=["u1"])
        >>> "u1" in model.schema_.vocabularies_["user_id"]
        False
        >>> forgotten = model.score_pairs(["u1"], ["i23"], unknown="ignore")
        >>> new = model.score_pairs(["new"], ["i23"], unknown="ignore")
        >>> forgotten.drop(columns="user_id").equals(new.drop(columns="user_id"))
        True
        """
        check_is_fitted(self)
        if not hasattr(self, "catalog_"):
            raise ValueError(
                "forget needs a model fitted with user_col and item_col, which name the "
                "user and item id columns of X."
            )
        if not isinstance(refit_epochs, Integral) or refit_epochs < 0:
            raise ValueError(f"refit_epochs must be a non-negative integer; got {refit_epochs!r}.")
        if (refit_epochs > 0) != (X is not None):
            raise ValueError(
                "X and y are the remaining training data that refit_epochs > 0 trains on; "
                f"give both or neither (got refit_epochs={refit_epochs}, X "
                f"{'given' if X is not None else 'None'})."
            )
        forgotten = {
            self.user_col: self._known_ids("users", self.user_col, users),
            self.item_col: self._known_ids("items", self.item_col, items),
        }
        if not any(len(ids) for ids in forgotten.values()):
            raise ValueError("forget needs users or items to forget; both are empty.")
        if self.catalog_.interactions_ is None and (self.interaction_history or refit_epochs):
            raise ValueError(
                "This model was saved with include_interactions=False: its pooled histories "
                "are frozen sums, from which one user's or item's share cannot be taken "
                "out, and it does not train further. Forget on the model that holds its "
                "interactions, then save."
            )
        if X is not None:
            X = check_features(self, X, reset=False)
            for column, ids in forgotten.items():
                present = X[column].isin(list(ids))
                if present.any():
                    raise ValueError(
                        f"X holds {int(present.sum())} rows of the forgotten ids in column "
                        f"{column!r}; the data to refit on must leave them out."
                    )

        schema = self.schema_
        new_codes = {
            column: schema.remove_categories(column, ids)
            if len(ids)
            else np.arange(len(schema.vocabularies_[column]) + 1)
            for column, ids in forgotten.items()
        }
        if self.categories is not None:
            self.categories = schema.categories
        self.catalog_.forget(
            forgotten[self.user_col],
            forgotten[self.item_col],
            new_codes[self.user_col],
            new_codes[self.item_col],
            schema,
        )
        kept_codes = {
            schema.categorical_columns_.index(column): np.flatnonzero(codes >= 0)
            for column, codes in new_codes.items()
        }
        shrink_network(self.net_, self._network_spec(), kept_codes)
        if refit_epochs:
            self._continue_training(X, y, epochs=refit_epochs)
        return self

    def _known_ids(self, name: str, column: str, ids: Any) -> np.ndarray:
        """The distinct ``ids`` (None: none), each known to the vocabulary of ``column``."""
        if ids is None:
            return np.empty(0, dtype=object)
        values = pd.unique(pd.Series(np.asarray(ids, dtype=object).ravel()))
        vocabulary = self.schema_.vocabularies_[column]
        unknown = values[vocabulary.get_indexer(pd.Index(values, dtype=object)) < 0]
        if len(unknown):
            raise ValueError(
                f"{name} holds {len(unknown)} ids that the model does not know (never seen in "
                f"fit, or already forgotten), e.g. {list(unknown[:5])}."
            )
        return values

    # ---------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike, include_interactions: bool = True) -> Path:
        """Save the fitted model to the folder ``path``, without pickle.

        The folder holds ``config.json`` (parameters, tasks, vocabularies,
        scalers, users and items, text encoders' settings, the per-epoch
        training log, format, library and torch versions) and
        ``model.safetensors`` (CPU tensors: weights, the interactions and the
        optimizer's state, so that ``partial_fit`` after :meth:`load`
        continues exactly); the user guide's "What a saved model holds" lists
        every field. Only the library's own components can be saved: a custom
        architecture class, loss-weighting object, task object or text
        encoder is a ``TypeError`` (use :mod:`joblib` for those, with files
        you trust).

        Parameters
        ----------
        path : str or path-like
            Folder to write (created if needed; its two files are replaced).
        include_interactions : bool, default=True
            ``False`` writes no (user, item) pair, so that the file carries no
            behaviour log: the interactions are left out, each pooled
            ``interaction_history`` is frozen into every user's and item's sum
            (the pairs a frozen history scores are all treated as
            non-interactions, as for any candidate), and the optimizer state
            is dropped. The loaded model predicts and recommends (with
            ``exclude_seen=True``, pass the pairs to leave out as ``seen=``)
            but does not train further.

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
        options = {"include_interactions": bool(include_interactions)}
        if self.distributed and launched():
            from accelerate import PartialState

            # Every process holds the same model: the first one writes it.
            state = PartialState()
            if state.is_main_process:
                save_model(self, path, target_layout=self._y_layout, **options)
            state.wait_for_everyone()
            return Path(path)
        return save_model(self, path, target_layout=self._y_layout, **options)

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
        saved = read_model(path, device=device)
        if saved.estimator != cls.__name__:
            raise ValueError(f"{saved.folder} holds a {saved.estimator}, not a {cls.__name__}.")
        # Always the plain single-process model, whatever launch trained it.
        params = {**saved.params, "distributed": False}
        return cls(**params)._assemble(saved)

    def _assemble(self, saved: SavedModel) -> MultiTaskRecommender:
        """Become the saved model: its fitted state, and its network built as ``fit`` builds it."""
        self._validate_params()  # a tampered config gets the errors fit would give
        for name, value in saved.fitted.items():
            setattr(self, name, value)
        self._y_layout = saved.target_layout
        spec = self._network_spec(saved.text_dim)
        if saved.privacy is not None:
            spec = dataclasses.replace(
                spec, params={**spec.params, "dp_delta": saved.privacy["delta"]}
            )
        self.net_ = build_net(spec, self._seed())
        self.net_.initialize()
        saved.restore_states(self.net_)
        self._record_privacy(warn=False)
        return self

    # ------------------------------------------------------------- serving

    def onnx_inputs(self, X: Any) -> dict[str, np.ndarray]:
        """The inputs of the graph written by :meth:`export_onnx` for the rows of ``X``.

        Parameters
        ----------
        X : DataFrame
            Rows with the feature columns seen in ``fit``.

        Returns
        -------
        dict
            ``categorical`` (int64 codes, 0 = unseen), ``numeric`` (float32,
            raw: the graph standardizes them), and when the model has them
            ``in_history`` (float32 flags) and ``text`` (float32 vectors).
        """
        check_is_fitted(self)
        X = check_features(self, X, reset=False)
        return onnx_inputs(self._features(X), self.schema_.numeric_values(X))

    def export_onnx(self, path: str | os.PathLike) -> Path:
        """Write the network, numeric scaling included, as an ONNX graph.

        The graph's inputs are those of :meth:`onnx_inputs` (a server encodes
        ids with the vocabularies of :meth:`save`'s ``config.json``: the
        ``i``-th category has code ``i + 1``, unknown ones 0); its outputs,
        one per task and named after it, are each task's
        :meth:`~sklearn_mtl.tasks.Task.output`: the positive-class probability
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
        columns = getattr(self, "feature_names_in_", range(self.n_features_in_))
        example = self.onnx_inputs(example_rows(self.schema_, columns))
        return export_onnx(self.net_.module_, self.schema_, self.tasks_, example, path)

    # -------------------------------------------------------------- experts

    @limits_threads
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
        if not self.net_.module_.architecture.has_gates:
            raise ValueError(
                f"expert_usage needs a mixture architecture ('mmoe' or 'ple'); this model "
                f"uses architecture={self.architecture!r}, which has no gates."
            )
        features = self._features(check_features(self, X, reset=False))
        return mean_gate_weights(
            self.net_.module_,
            features,
            list(self.tasks_),
            level,
            device=self.net_.device,
            batch_size=max(self._batch_size(), 4096),
        )

    @limits_threads
    def task_affinity(self, X: Any, y: Any) -> pd.DataFrame:
        """How the tasks relate: cosine similarity of their gradients on the shared layers.

        For each batch of ``X`` (in order, ``batch_size`` rows), each task's
        loss is differentiated with respect to the parameters that several
        tasks train; two tasks' similarity is the cosine of their gradients,
        averaged over the batches where both have labels. Near 1: training one
        task moves the shared layers as training the other would (they help
        each other); near 0: unrelated; negative: they conflict (what PCGrad
        projects away). A task and its label negation are the same task to
        the network and score near 1. Each task's gradient reaches the shared
        layers through its own tower, so read it on a trained model: two
        copies of one task score 0.68 after 3 epochs and 0.96 after 20 on the
        test suite's data, an independent task 0.01.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : DataFrame or array-like
            One column per task (NaN = no label).

        Returns
        -------
        DataFrame of shape (n_tasks, n_tasks)

        Examples
        --------
        >>> from sklearn_mtl import MultiTaskRecommender
        >>> from sklearn_mtl.datasets import make_recommendation_tasks
        >>> X, y = make_recommendation_tasks(n_samples=1000, random_state=0)
        >>> model = MultiTaskRecommender(max_epochs=2, random_state=0).fit(X, y)
        >>> affinity = model.task_affinity(X, y)
        >>> affinity.shape, round(float(affinity.loc["click", "click"]), 6)
        ((3, 3), 1.0)
        """
        check_is_fitted(self)
        X = check_features(self, X, reset=False)
        Y = self._targets_frame(y, n_samples=len(X), reset=False)
        dataset = TensorDictDataset(self._features(X), self._encode_targets(Y))
        return task_gradient_affinity(
            self.net_.module_, self.net_.criterion_, dataset,
            device=self.net_.device, batch_size=self._batch_size(),
        )  # fmt: skip

    # ----------------------------------------------------------- description

    def __str__(self) -> str:
        # repr stays scikit-learn's (a Pipeline's repr nests it); print tells more.
        if not hasattr(self, "net_"):
            return repr(self)
        return f"{self!r}\n{description_text(self)}"

    def _html_repr(self) -> str:
        """scikit-learn's diagram, then the fitted model's description (notebooks)."""
        diagram = super()._html_repr()
        if not hasattr(self, "net_"):
            return diagram
        return diagram + description_html(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


MultiTaskRecommender.__doc__ = fill_registry_names(MultiTaskRecommender.__doc__)
