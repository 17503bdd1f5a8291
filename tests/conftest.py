"""Shared fixtures: where the seed documents and the repository's bank are, and the databases."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockbot_testing.fake_api import FakeBotApi
from questions.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
BANK_DIR = REPO / "questions" / "bank"

# Under pytest-xdist each worker takes a core: a model that also spreads over every core (torch,
# numpy's BLAS) makes the two fight, and the Mohler evaluation took 288 s where one thread alone
# takes 151 s. Set before any model is loaded; bot processes the tests start inherit it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _threads in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_threads, "1")


def _seed_dir() -> Path:
    configured = os.environ.get("MOCKBOT_SEEDS_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five seed documents (`../shared/seeds`, or $MOCKBOT_SEEDS_DIR)."""
    path = _seed_dir()
    if not path.is_dir():
        message = f"seed documents not found at {path} (set MOCKBOT_SEEDS_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always has them: their absence is a broken set-up
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def repo_bank_dir() -> Path:
    """The bank committed in this repository."""
    return BANK_DIR


# ---------------------------------------------------------------- grading
# (tests/ is not a package, so these live here rather than in a module the grading tests import)


@pytest.fixture(scope="session")
def bank(taxonomy: Taxonomy, repo_bank_dir: Path):  # noqa: ANN201 - questions.bank.Bank
    """The repository's question bank, loaded once per session."""
    from questions.bank import load_bank

    return load_bank(repo_bank_dir, taxonomy)


@pytest.fixture(scope="session")
def grader(bank):  # noqa: ANN001, ANN201 - grading.grader.Grader
    """A grader with the default (calibrated) settings and the real embedding models, loaded lazily
    once per session: usem3 for Chinese, all-MiniLM-L6-v2 for English. Memory-only cache."""
    from bot.grading_app import build_grader
    from grading.settings import GradingSettings

    return build_grader(GradingSettings(), bank)


# ---------------------------------------------------------------- databases
# Storage tests run on SQLite and on PostgreSQL. The PostgreSQL server comes from
# $MOCKBOT_TEST_POSTGRES_URL (an SQLAlchemy URL whose role may create databases); each test gets a
# database of its own, created for it and dropped afterwards. `.ci/postgres start` runs such a
# server and prints the `export` line.

POSTGRES_URL_ENV = "MOCKBOT_TEST_POSTGRES_URL"
DROP_TRIES = 20  # a test database is dropped with FORCE, which cannot end an autovacuum worker in it


def postgres_server_url() -> str:
    """The PostgreSQL server for the tests; skips the test without one (fails it under CI)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        message = (
            f"PostgreSQL tests need ${POSTGRES_URL_ENV}: run `.ci/postgres start` and export the "
            "URL it prints (or `eval \"$(.ci/postgres start)\"`)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # CI starts a server: its absence is a broken set-up
        pytest.skip(message)
    return url


def _libpq(url: str) -> str:
    """An SQLAlchemy PostgreSQL URL as a libpq connection string, for psycopg itself."""
    from sqlalchemy import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`; its URL, force-dropped on exit."""
    import psycopg
    from psycopg import sql
    from sqlalchemy import make_url

    name = f"mockbot_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            for attempt in range(DROP_TRIES):
                try:
                    connection.execute(drop)
                    break
                except psycopg.errors.InsufficientPrivilege:  # an autovacuum worker is in it: soon done
                    if attempt == DROP_TRIES - 1:
                        raise
                    time.sleep(0.5)


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test alone (see `postgres_server_url`)."""
    with postgres_database(postgres_server_url()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for this test: a SQLite file in `tmp_path`, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mockbot.sqlite3'}"
    return request.getfixturevalue("postgres_database_url")


@pytest.fixture()
def practice_config(tmp_path: Path, repo_bank_dir: Path) -> Path:
    """A config.yaml for `mockbot practice` in a test: the shipped bank, a SQLite file and an
    embedding cache of the test's own (practice.sqlite3 and emb.sqlite3 beside it)."""
    path = tmp_path / "config.yaml"
    topics = REPO / "questions" / "topics.yaml"
    path.write_text(
        f"bank:\n  dir: {repo_bank_dir}\n  topics: {topics}\n"
        f"grading:\n  cache: {tmp_path / 'emb.sqlite3'}\n"
        f"storage:\n  url: sqlite:///{tmp_path / 'practice.sqlite3'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def fake() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1 for the test."""
    with FakeBotApi() as server:
        yield server
