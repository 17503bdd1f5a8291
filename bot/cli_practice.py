"""`mockbot practice`: the terminal practice mode."""

from __future__ import annotations

import getpass
import random
from pathlib import Path

import click
from rich.console import Console

from grading.embeddings import ModelUnavailable

from .cli import ExitStatus, _App, _fail, cli, pass_app
from .engine import PracticeEngine
from .grading_app import build_grader
from .storage import StorageError, Store
from .terminal import TerminalPractice

__all__ = ["practice", "build_engine"]


def build_engine(app: _App, store: Store, *, seed: int | None = None) -> PracticeEngine:
    bank = app.bank()
    grader = build_grader(app.settings.grading, bank)
    rng = random.Random(seed)
    privacy = app.settings.privacy
    return PracticeEngine(
        store, bank, grader, app.taxonomy, default_language=app.settings.language, rng=rng,
        answers_per_minute=privacy.answers_per_minute, store_answers=privacy.store_answers,
        answer_retention_days=privacy.answer_retention_days,
    )  # fmt: skip


@cli.command()
@click.option("--topic", default=None, help="Practise one topic (id, Chinese or English name).")
@click.option("--user", "user_name", default=None, help="Whose progress to use (default: your login name).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of the texts (remembered).")
@click.option("--goal", default=5, show_default=True, help="Questions in this session (for the progress bar).")
@click.option("--seed", type=int, default=None, hidden=True)
@pass_app
def practice(app: _App, topic: str | None, user_name: str | None, lang: str | None, goal: int, seed: int | None) -> None:
    """Practise interview questions in the terminal (no bot token needed)."""
    name = user_name or getpass.getuser() or "me"
    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    try:
        engine = build_engine(app, store, seed=seed)
        engine.apply_retention()
        user_key = f"term:{name}"
        if lang:
            store.update_user(user_key, language=lang)
        elif store.user(user_key).language not in ("zh", "en"):
            store.update_user(user_key, language=app.settings.language)
        if topic and app.taxonomy.resolve(topic) is None:
            known = ", ".join(f"{t.id} ({t.zh})" for t in app.taxonomy.topics)
            _fail(f"unknown topic {topic!r}; topics: {known}", ExitStatus.USAGE)
        chart_dir = Path(app.settings.source).parent / ".mockbot" if app.settings.source else Path.home() / ".mockbot"
        session = TerminalPractice(engine, user_key, console=Console(highlight=False), goal=goal, topic=topic, chart_dir=chart_dir)
        session.run()
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    except StorageError as exc:
        _fail(f"storage: {exc}")
    finally:
        store.close()
