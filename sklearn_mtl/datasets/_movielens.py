"""MovieLens 100K, 1M and latest-small: download once from GroupLens (verified), cache, parse.

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["fetch_movielens", "get_data_home"]

#: Environment variable that points at the data home (tests and CI set it).
DATA_HOME_ENV = "SKLEARN_MTL_DATA"


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
    users["zip_prefix"] = _zip_prefix(users["zip_code"])
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


# ml-1m's users.dat codes occupations as numbers; its README names them.
_OCCUPATIONS_1M = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
]  # fmt: skip


def _zip_prefix(zip_codes: pd.Series) -> pd.Series:
    """US zip codes start with a digit giving the region; others become ``"other"``."""
    first = zip_codes.str[0]
    return first.where(first.str.isdigit().fillna(False), "other")


def _title_year(titles: pd.Series) -> pd.Series:
    """The release year in a title such as ``"Toy Story (1995)"`` (NaN when absent)."""
    return titles.str.extract(r"\((\d{4})\)\s*$", expand=False).astype(float)


def _genre_flags(items: pd.DataFrame) -> pd.DataFrame:
    """One 0/1 ``genre_<name>`` column per genre of the ``"A|B"`` strings in ``genres``."""
    flags = items["genres"].str.get_dummies(sep="|").add_prefix("genre_")
    return items.join(flags)


def _read_double_colon(path: Path, names: list[str], **kwargs) -> pd.DataFrame:
    # The ``::`` separator needs pandas' Python engine, which is slow on a
    # million lines; splitting on ``:`` with the C engine leaves empty fields
    # between the values. Only for files whose values contain no colon.
    columns = pd.read_csv(path, sep=":", header=None, usecols=range(0, 2 * len(names), 2), **kwargs)
    columns.columns = names
    return columns


def _read_1m(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = _read_double_colon(
        folder / "ratings.dat", ["user_id", "item_id", "rating", "timestamp"], dtype=np.int64
    )
    users = _read_double_colon(
        folder / "users.dat",
        ["user_id", "gender", "age", "occupation", "zip_code"],
        dtype={"zip_code": str},
    ).set_index("user_id")
    users["occupation"] = np.asarray(_OCCUPATIONS_1M, dtype=object)[users["occupation"]]
    users["zip_prefix"] = _zip_prefix(users["zip_code"])
    users = users[["age", "gender", "occupation", "zip_code", "zip_prefix"]]
    # Titles hold colons ("Star Wars: Episode IV ..."): split each line on the first two "::".
    lines = (folder / "movies.dat").read_text(encoding="latin-1").splitlines()
    items = pd.DataFrame(
        [line.split("::", 2) for line in lines if line], columns=["item_id", "title", "genres"]
    )
    items["item_id"] = items["item_id"].astype(np.int64)
    items = items.set_index("item_id")
    items["year"] = _title_year(items["title"])
    return ratings, users, _genre_flags(items[["title", "year", "genres"]])


def _read_latest_small(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = pd.read_csv(folder / "ratings.csv").rename(
        columns={"userId": "user_id", "movieId": "item_id"}
    )
    ratings = ratings.astype({"user_id": np.int64, "item_id": np.int64, "timestamp": np.int64})
    # No demographics in this release: users are known by their ids only.
    users = pd.DataFrame(index=pd.Index(np.unique(ratings["user_id"]), name="user_id"))
    items = pd.read_csv(folder / "movies.csv", encoding="utf-8")
    items = items.rename(columns={"movieId": "item_id"}).set_index("item_id")
    items["title"] = items["title"].str.strip()
    items["year"] = _title_year(items["title"])
    items["genres"] = items["genres"].replace("(no genres listed)", "")
    return ratings, users, _genre_flags(items[["title", "year", "genres"]])


@dataclass(frozen=True)
class _Archive:
    url: str
    sha256: str
    folder: str
    #: The ratings file inside, whose presence marks a cached copy.
    ratings_file: str
    #: Its SHA-256, checked on every read of the cache (None: not published).
    ratings_sha256: str | None
    #: ``folder -> (ratings, users, items)``.
    reader: Callable[[Path], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]
    readme: str
    has_folds: bool = False


_ARCHIVES = {
    "100k": _Archive(
        url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
        ratings_file="u.data",
        ratings_sha256="06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
        reader=_read_100k,
        readme="README",
        has_folds=True,
    ),
    "1m": _Archive(
        url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        # GroupLens publishes the MD5 c4d9eecfca2ab87c1945afe126590906 of this file.
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        folder="ml-1m",
        ratings_file="ratings.dat",
        ratings_sha256=None,
        reader=_read_1m,
        readme="README",
    ),
    "latest-small": _Archive(
        # "latest" is refreshed by GroupLens now and then; this pins the
        # release of 2018-09-26 (610 users, 9742 movies, 100836 ratings).
        url="https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        sha256="696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        folder="ml-latest-small",
        ratings_file="ratings.csv",
        ratings_sha256=None,
        reader=_read_latest_small,
        readme="README.txt",
    ),
}


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
    ``ml-100k/u.item``, ...), and every later call reads it from there
    (checking the ratings file's checksum for ``"100k"``).

    Parameters
    ----------
    variant : {"100k", "1m", "latest-small"}, default="100k"
        Which MovieLens release: 100,000 ratings of 943 users on 1682 movies
        with demographics and official folds; 1,000,209 ratings of 6040 users
        on 3706 movies with demographics (``age`` is the lower bound of the
        user's age band: 1 = under 18, 18, 25, 35, 45, 50, 56); or the
        2018 "latest-small" release, 100,836 half-star ratings of 610 users
        on 9742 movies, without demographics.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download when the data is not cached; else raise ``OSError``.
    folds : bool, default=False
        Also return the official five train/test folds (u1..u5); only
        ``"100k"`` has them.

    Returns
    -------
    data : Bunch
        Dictionary-like object with the following attributes.

        frame : DataFrame
            One row per rating: ``user_id``, ``item_id``, ``rating``,
            ``timestamp``, the user's ``age``, ``gender``, ``occupation``,
            ``zip_prefix`` (first digit of the zip code, or ``"other"``;
            not in ``"latest-small"``), and the item's ``title``, ``year``
            (NaN when unknown) and ``genres`` (``"Action|Comedy"``).
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
    if folds and not archive.has_folds:
        raise ValueError(f"folds=True: MovieLens {variant} has no official folds; only 100k has.")
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
    checksum = _sha256(ratings_path) if archive.ratings_sha256 is not None else None
    if checksum != archive.ratings_sha256:
        raise ValueError(
            f"{ratings_path} has SHA-256 {checksum}, not the official {archive.ratings_sha256}: "
            f"the cached copy is corrupt. Delete {folder} to download it again."
        )

    ratings, users, items = archive.reader(folder)
    user_columns = [c for c in ("age", "gender", "occupation", "zip_prefix") if c in users]
    frame = ratings.join(users[user_columns], on="user_id").join(
        items[["title", "year", "genres"]], on="item_id"
    )
    bunch = Bunch(
        frame=frame,
        users=users,
        items=items,
        movies=items,
        DESCR=(folder / archive.readme).read_text(encoding="latin-1"),
    )
    if folds:
        bunch.folds = _official_folds(folder, frame)
    return bunch
