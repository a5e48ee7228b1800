"""MovieLens 100K: download once from GroupLens (checksum-verified), cache, parse.

The license of MovieLens forbids redistribution, so the library never ships it:
``fetch_movielens`` downloads the official archive into the user's data home
and reads the extracted folder from there afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["fetch_movielens", "get_data_home"]

#: Environment variable that points at the data home (tests and CI set it).
DATA_HOME_ENV = "SKLEARN_MTL_DATA"


@dataclass(frozen=True)
class _Archive:
    url: str
    sha256: str
    folder: str
    #: SHA-256 of the ratings file inside, checked on every read of the cache.
    ratings_file: str
    ratings_sha256: str


_ARCHIVES = {
    "100k": _Archive(
        url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
        ratings_file="u.data",
        ratings_sha256="06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
    ),
}

_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder that caches downloaded data sets.

    ``data_home`` if given, else the ``SKLEARN_MTL_DATA`` environment variable,
    else ``~/sklearn_mtl_data``. Created if missing.

    Parameters
    ----------
    data_home : str or path-like, default=None

    Returns
    -------
    Path
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, Path("~") / "sklearn_mtl_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(archive: _Archive, data_home: Path) -> None:
    """Download, verify and extract ``archive`` into ``data_home`` (atomically)."""
    with tempfile.TemporaryDirectory(dir=data_home) as scratch:
        zip_path = Path(scratch) / "archive.zip"
        try:
            with urllib.request.urlopen(archive.url, timeout=60) as response:
                with zip_path.open("wb") as handle:
                    shutil.copyfileobj(response, handle)
        except (urllib.error.URLError, OSError) as exc:
            raise OSError(
                f"Could not download {archive.url} ({exc}). Without network access, "
                f"download the archive elsewhere and extract it so that "
                f"{data_home / archive.folder / archive.ratings_file} exists, or point "
                f"data_home (or ${DATA_HOME_ENV}) at a folder that holds {archive.folder}/."
            ) from exc
        checksum = _sha256(zip_path)
        if checksum != archive.sha256:
            raise ValueError(
                f"Checksum mismatch for {archive.url}: expected SHA-256 {archive.sha256}, "
                f"got {checksum}. The download is corrupt or truncated and was discarded."
            )
        with zipfile.ZipFile(zip_path) as bundle:
            for member in bundle.namelist():
                # Refuse paths that would land outside the data home.
                if Path(member).is_absolute() or ".." in Path(member).parts:
                    raise ValueError(f"Unsafe path {member!r} in {archive.url}.")
            bundle.extractall(scratch)
        extracted = Path(scratch) / archive.folder
        if not (extracted / archive.ratings_file).is_file():
            raise ValueError(
                f"{archive.url} does not hold {archive.folder}/{archive.ratings_file}."
            )
        target = data_home / archive.folder
        if target.exists():
            shutil.rmtree(target)
        extracted.rename(target)


def _read_100k(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = pd.read_csv(
        folder / "u.data", sep="\t", names=["user_id", "item_id", "rating", "timestamp"],
        dtype={"user_id": np.int64, "item_id": np.int64, "rating": np.int64,
               "timestamp": np.int64},
    )  # fmt: skip
    users = pd.read_csv(
        folder / "u.user",
        sep="|",
        names=["user_id", "age", "gender", "occupation", "zip_code"],
        dtype={"zip_code": str},
    ).set_index("user_id")
    # US zip codes start with a digit giving the region; Canadian ones with a letter.
    first = users["zip_code"].str[0]
    users["zip_prefix"] = first.where(first.str.isdigit(), "other")
    items = pd.read_csv(
        folder / "u.item", sep="|", encoding="latin-1", header=None,
        names=["item_id", "title", "release_date", "video_release_date", "url", *_GENRES],
    ).set_index("item_id")  # fmt: skip
    items["year"] = pd.to_datetime(items["release_date"], format="%d-%b-%Y").dt.year
    genre_flags = items[_GENRES].astype(bool)
    items["genres"] = genre_flags.apply(lambda row: "|".join(row.index[row]), axis=1)
    items = items.rename(columns={g: f"genre_{g}" for g in _GENRES})
    items = items.drop(columns=["video_release_date", "url"])
    return ratings, users, items


def _official_folds(folder: Path, frame: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """The u1..u5 folds as (train, test) row positions of ``frame``."""
    position = pd.Series(
        np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame[["user_id", "item_id"]])
    )
    folds = []
    for k in range(1, 6):
        parts = []
        for split in ("base", "test"):
            rows = pd.read_csv(folder / f"u{k}.{split}", sep="\t", usecols=[0, 1],
                               names=["user_id", "item_id"])  # fmt: skip
            parts.append(position.loc[pd.MultiIndex.from_frame(rows)].to_numpy())
        folds.append((parts[0], parts[1]))
    return folds


def fetch_movielens(
    variant: str = "100k",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    folds: bool = False,
) -> Bunch:
    """Load MovieLens, downloading the official GroupLens archive on first use.

    The archive's SHA-256 is verified before anything is extracted; the data
    home then holds the folder as GroupLens ships it (``ml-100k/u.data``,
    ``ml-100k/u.item``, ...), and every later call reads it from there,
    checking the ratings file's checksum.

    Parameters
    ----------
    variant : {"100k"}, default="100k"
        Which MovieLens release.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download when the data is not cached; else raise ``OSError``.
    folds : bool, default=False
        Also return the official five train/test folds (u1..u5).

    Returns
    -------
    data : Bunch
        Dictionary-like object with the following attributes.

        frame : DataFrame
            One row per rating: ``user_id``, ``item_id``, ``rating``,
            ``timestamp``, the user's ``age``, ``gender``, ``occupation``,
            ``zip_prefix`` (first digit of the zip code, or ``"other"``), and
            the item's ``title``, ``year`` and ``genres`` (``"Action|Comedy"``).
        users : DataFrame
            Indexed by ``user_id``.
        items : DataFrame
            Indexed by ``item_id``, with one ``genre_<name>`` 0/1 column per
            genre. A Bunch is a dict, so ``ml.items`` is the dict method: read
            it as ``ml["items"]`` or ``ml.movies``.
        movies : DataFrame
            The same DataFrame as ``items``.
        folds : list of (ndarray, ndarray)
            With ``folds=True``: the official (train, test) row positions of
            u1..u5 in ``frame``, usable as ``cv=`` in scikit-learn.
        DESCR : str
            The README GroupLens ships.

    Examples
    --------
    >>> from sklearn_mtl.datasets import fetch_movielens
    >>> ml = fetch_movielens("100k")  # doctest: +SKIP
    >>> ml.frame.shape  # doctest: +SKIP
    (100000, 11)
    """
    if variant not in _ARCHIVES:
        raise ValueError(f"Unknown variant {variant!r}; expected one of {sorted(_ARCHIVES)}.")
    archive = _ARCHIVES[variant]
    home = get_data_home(data_home)
    folder = home / archive.folder
    ratings_path = folder / archive.ratings_file
    if not ratings_path.is_file():
        if not download_if_missing:
            raise OSError(
                f"MovieLens {variant} not found in {home} and download_if_missing is False; "
                f"extract {archive.url} there so that {ratings_path} exists."
            )
        _download(archive, home)
    checksum = _sha256(ratings_path)
    if checksum != archive.ratings_sha256:
        raise ValueError(
            f"{ratings_path} has SHA-256 {checksum}, not the official {archive.ratings_sha256}: "
            f"the cached copy is corrupt. Delete {folder} to download it again."
        )

    ratings, users, items = _read_100k(folder)
    user_columns = ["age", "gender", "occupation", "zip_prefix"]
    frame = ratings.join(users[user_columns], on="user_id").join(
        items[["title", "year", "genres"]], on="item_id"
    )
    bunch = Bunch(
        frame=frame,
        users=users,
        items=items,
        movies=items,
        DESCR=(folder / "README").read_text(encoding="latin-1"),
    )
    if folds:
        bunch.folds = _official_folds(folder, frame)
    return bunch
