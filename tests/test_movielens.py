"""fetch_movielens: download, checksum, cache and parsing; the real files when available."""

import dataclasses
import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl.datasets import _movielens, fetch_movielens, get_data_home

SHARED = os.environ.get("SKLEARN_MTL_DATA")
needs_movielens = pytest.mark.skipif(
    SHARED is None or not (Path(SHARED) / "ml-100k" / "u.data").is_file(),
    reason="MovieLens 100K is not in $SKLEARN_MTL_DATA (its license forbids shipping it)",
)


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def serve(monkeypatch, tmp_path, variant: str, data: bytes) -> Path:
    """Serve ``data`` as ``variant``'s archive from a file:// URL, with its own checksums."""
    archive = tmp_path / f"{variant}.zip"
    archive.write_bytes(data)
    spec = _movielens._ARCHIVES[variant]
    ratings_sha256 = None
    if spec.ratings_sha256 is not None:
        with zipfile.ZipFile(archive) as bundle:
            ratings = bundle.read(f"{spec.folder}/{spec.ratings_file}")
        ratings_sha256 = hashlib.sha256(ratings).hexdigest()
    spec = dataclasses.replace(
        spec,
        url=archive.as_uri(),
        sha256=hashlib.sha256(data).hexdigest(),
        ratings_sha256=ratings_sha256,
    )
    monkeypatch.setitem(_movielens._ARCHIVES, variant, spec)
    return archive


def tiny_archive() -> bytes:
    """A zip laid out like GroupLens' ml-100k.zip, with three users and three movies."""
    ratings = "1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t881250951\n3\t3\t1\t881250952\n"
    users = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|T8H1N\n"
    genres = "|".join(["0"] * 19)
    items = (
        f"1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|{'|'.join(['0'] * 13)}\n"
        f"2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|{'|'.join(['0'] * 16)}\n"
        f"3|Caf\xe9 au lait (1994)|||http://x|{genres}\n"
    )
    folds = {f"ml-100k/u{k}.{s}": ratings for k in range(1, 6) for s in ("base", "test")}
    return zipped(
        {
            "ml-100k/u.data": ratings,
            "ml-100k/u.user": users,
            "ml-100k/u.item": items.encode("latin-1"),
            "ml-100k/README": "tiny test copy",
            **folds,
        }
    )


@pytest.fixture
def fake_grouplens(tmp_path, monkeypatch):
    """Serve a tiny ml-100k archive from a file:// URL with its own checksums."""
    return serve(monkeypatch, tmp_path, "100k", tiny_archive())


def test_download_verify_cache_and_parse(fake_grouplens, tmp_path):
    home = tmp_path / "home"
    ml = fetch_movielens(data_home=home, folds=True)
    assert (home / "ml-100k" / "u.data").is_file()  # the folder as GroupLens ships it
    assert not list(home.glob("*.zip"))
    frame = ml.frame
    assert list(frame.columns) == [
        "user_id",
        "item_id",
        "rating",
        "timestamp",
        "age",
        "gender",
        "occupation",
        "zip_prefix",
        "title",
        "year",
        "genres",
    ]
    assert frame.loc[0, "genres"] == "Animation|Children's|Comedy"
    assert frame.set_index("item_id").loc[3, "title"] == "Café au lait (1994)"  # Latin-1
    assert np.isnan(frame.set_index("item_id").loc[3, "year"])  # no release date
    assert ml.users.loc[3, "zip_prefix"] == "other" and ml.users.loc[1, "zip_prefix"] == "8"
    assert ml["items"].loc[1, "genre_Comedy"] == 1 and ml.movies is ml["items"]
    train, test = ml.folds[0]
    assert len(train) == len(test) == 4
    # Second call reads the cache: removing the archive changes nothing.
    fake_grouplens.unlink()
    pd.testing.assert_frame_equal(fetch_movielens(data_home=home).frame, frame)


def test_corrupt_download_is_refused_and_not_kept(fake_grouplens, tmp_path, monkeypatch):
    fake_grouplens.write_bytes(fake_grouplens.read_bytes()[:-100])  # truncated
    home = tmp_path / "home"
    with pytest.raises(ValueError, match=r"Checksum mismatch.*discarded"):
        fetch_movielens(data_home=home)
    assert not (home / "ml-100k").exists()
    assert list(home.iterdir()) == []


def test_corrupt_cache_is_refused(fake_grouplens, tmp_path):
    home = tmp_path / "home"
    fetch_movielens(data_home=home)
    (home / "ml-100k" / "u.data").write_text("1\t1\t5\t0\n")
    with pytest.raises(ValueError, match=r"cached copy is corrupt\. Delete"):
        fetch_movielens(data_home=home)


def test_no_network_and_no_cache_says_where_to_put_the_files(tmp_path, monkeypatch):
    spec = dataclasses.replace(_movielens._ARCHIVES["100k"], url=(tmp_path / "absent.zip").as_uri())
    monkeypatch.setitem(_movielens._ARCHIVES, "100k", spec)
    with pytest.raises(OSError, match=r"Could not download .*ml-100k/u.data exists"):
        fetch_movielens(data_home=tmp_path)
    with pytest.raises(OSError, match="download_if_missing is False"):
        fetch_movielens(data_home=tmp_path, download_if_missing=False)


def test_unknown_variant():
    with pytest.raises(ValueError, match=r"Unknown variant .10m.; expected one of \['100k', '1m'"):
        fetch_movielens("10m")


def test_movielens_1m_formats(tmp_path, monkeypatch):
    """ml-1m: "::"-separated files, coded ages and occupations, Latin-1 titles with colons."""
    files = {
        "ml-1m/ratings.dat": "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
        "ml-1m/users.dat": "1::F::1::10::48067\n2::M::56::16::T8H1N-1234\n",
        "ml-1m/movies.dat": (
            "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
            "1193::Star Wars: Episode IV - A New Hope (1977)::Action|Sci-Fi\n"
            "3000::Caf\xe9 (no year)::Drama\n"
        ).encode("latin-1"),
        "ml-1m/README": "tiny 1m copy",
    }
    serve(monkeypatch, tmp_path, "1m", zipped(files))
    ml = fetch_movielens("1m", data_home=tmp_path / "home")
    assert (tmp_path / "home" / "ml-1m" / "ratings.dat").is_file()
    frame = ml.frame
    assert list(frame.columns) == [
        *["user_id", "item_id", "rating", "timestamp", "age", "gender", "occupation"],
        *["zip_prefix", "title", "year", "genres"],
    ]
    assert frame["rating"].tolist() == [5, 3, 4] and frame["timestamp"].iloc[0] == 978300760
    assert ml.users.loc[1, "occupation"] == "K-12 student" and ml.users.loc[1, "age"] == 1
    assert ml.users.loc[2, "occupation"] == "self-employed" and ml.users.loc[2, "gender"] == "M"
    assert ml.users["zip_prefix"].tolist() == ["4", "other"]
    movies = ml.movies
    assert movies.loc[1193, "title"] == "Star Wars: Episode IV - A New Hope (1977)"
    assert movies.loc[1193, "year"] == 1977 and np.isnan(movies.loc[3000, "year"])
    assert movies.loc[3000, "title"] == "Café (no year)"
    assert movies.loc[661, "genre_Musical"] == 1 and movies.loc[1193, "genre_Musical"] == 0
    assert frame.loc[0, "genres"] == "Action|Sci-Fi" and ml.DESCR == "tiny 1m copy"
    with pytest.raises(ValueError, match="folds=True: MovieLens 1m has no official folds"):
        fetch_movielens("1m", data_home=tmp_path / "home", folds=True)


def test_movielens_latest_small_formats(tmp_path, monkeypatch):
    """ml-latest-small: CSV with quoted titles, half-star ratings, no demographics."""
    files = {
        "ml-latest-small/ratings.csv": (
            "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n"
            "2,1,0.5,1445714835\n"
        ),
        "ml-latest-small/movies.csv": (
            "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n"
            '2,"American President, The (1995)",Comedy|Drama|Romance\n'
            "3,Black Mirror,(no genres listed)\n"
        ),
        "ml-latest-small/README.txt": "tiny latest-small copy",
    }
    serve(monkeypatch, tmp_path, "latest-small", zipped(files))
    ml = fetch_movielens("latest-small", data_home=tmp_path / "home")
    frame = ml.frame
    assert list(frame.columns) == [
        *["user_id", "item_id", "rating", "timestamp", "title", "year", "genres"]
    ]
    assert frame["rating"].tolist() == [4.0, 3.5, 0.5]
    assert list(ml.users.index) == [1, 2] and ml.users.shape[1] == 0
    movies = ml.movies
    assert movies.loc[2, "title"] == "American President, The (1995)"
    assert movies.loc[2, "year"] == 1995 and np.isnan(movies.loc[3, "year"])
    assert movies.loc[3, "genres"] == "" and movies.loc[1, "genre_Animation"] == 1
    assert "genre_(no genres listed)" not in movies.columns


def test_data_home_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_MTL_DATA", str(tmp_path / "env-home"))
    assert get_data_home() == tmp_path / "env-home"
    assert get_data_home(tmp_path / "given") == tmp_path / "given"


@needs_movielens
def test_real_movielens_100k():
    ml = fetch_movielens(folds=True, download_if_missing=False)
    frame = ml.frame
    assert frame.shape == (100_000, 11)
    assert frame["user_id"].nunique() == 943 and frame["item_id"].nunique() == 1682
    assert frame["rating"].between(1, 5).all()
    assert len(ml.users) == 943 and len(ml["items"]) == 1682
    for train, test in ml.folds:
        assert len(train) == 80_000 and len(test) == 20_000
        assert not np.intersect1d(train, test).size
    tests = np.concatenate([test for _, test in ml.folds])
    assert np.array_equal(np.sort(tests), np.arange(100_000))  # u1..u5 tests partition the data
    assert "MovieLens" in ml.DESCR
