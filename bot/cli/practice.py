"""`mockbot practice`: the terminal practice mode."""

from __future__ import annotations

import getpass
import select
import signal
import sys
from pathlib import Path

import click
from rich.console import Console

from grading.embeddings import ModelUnavailable
from grading.i18n import LANGUAGES, _

from ..config import database_path, legacy_databases, local_timezone, zone_name
from ..storage import StorageError, Store
from ..terminal import DEFAULT_GOAL, TerminalPractice
from ..wrapping import WrappedText
from .common import ExitStatus, _App, _fail, build_engine, pass_app

__all__ = ["practice"]

# How long an empty line waits for more input before it ends the answer. A paste may reach the
# terminal in pieces, some way apart over a laggy SSH link; its next paragraph is there within this.
# An empty line typed by hand sends the answer after this barely noticeable pause.
PASTE_WAIT = 0.25


def _time_zone(app: _App, given: str | None) -> str:
    """--tz, else the config's `timezone`, else the machine's own zone (an IANA name)."""
    wanted = given or local_timezone(app.settings)
    zone = zone_name(wanted)
    if zone is None:
        _fail(f"unknown time zone {wanted!r} (use an IANA name such as Asia/Shanghai or Europe/Berlin)", ExitStatus.USAGE)
    return zone  # type: ignore[return-value]


def _line_editing() -> None:
    """Read typed lines through readline when at a terminal: arrows and history work, and a long
    pasted line is not cut at the terminal's 4,095-byte line limit (often inside a character).
    Input from a pipe is read whatever its encoding."""
    if not sys.stdin.isatty():
        # Piped bytes that are not UTF-8 (a GBK file) reach the session as surrogates, which it
        # decodes, instead of stopping it with UnicodeDecodeError.
        if hasattr(sys.stdin, "reconfigure"):
            sys.stdin.reconfigure(errors="surrogateescape")
        return
    # Started where Ctrl-C is ignored (nohup, a background job), it would never reach the session:
    # at a keyboard it must drop the line being typed.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        import readline
    except ImportError:  # not on every platform
        return
    readline.parse_and_bind("set enable-bracketed-paste off")  # no escape codes around the prompt


def _typed_ahead() -> bool:
    """Whether more input is already waiting at the terminal, within `PASTE_WAIT` (the rest of a
    paste). Only for a terminal: from a pipe everything is waiting, and an empty line ends the answer."""
    try:
        ready, _writable, _errors = select.select([sys.stdin], [], [], PASTE_WAIT)
    except (OSError, ValueError):  # a console select() cannot watch (Windows)
        return False
    return bool(ready)


@click.command()
@click.option("--topic", "topics", multiple=True, help="Practise only this topic (id, Chinese or English name; repeat for several; `all` for every topic). Remembered until changed.")
@click.option("--user", "user_name", default=None, help="Whose progress to use (default: your login name).")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default=None, help="Language of the texts (remembered).")
@click.option(
    "--goal", default=DEFAULT_GOAL, show_default=True, type=click.IntRange(1, 500),
    help="Graded answers to aim for in this session (a progress bar, then a summary).",
)
@click.option("--tz", "time_zone", default=None, help="Time zone for due dates, e.g. Asia/Shanghai (default: config `timezone`, else this machine's).")
@click.option("--seed", type=int, default=None, hidden=True)
@pass_app
def practice(
    app: _App, topics: tuple[str, ...], user_name: str | None, lang: str | None, goal: int, time_zone: str | None, seed: int | None
) -> None:
    """Practise interview questions in the terminal (no bot token needed)."""
    name = user_name or getpass.getuser() or "me"
    zone = _time_zone(app, time_zone)
    chosen = [] if [t.lower() for t in topics] == ["all"] else list(topics)
    for topic in chosen:
        if app.taxonomy.resolve(topic) is None:
            known = ", ".join(f"{t.id} ({t.zh})" for t in app.taxonomy.topics)
            _fail(f"unknown topic {topic!r}; topics: {known}", ExitStatus.USAGE)
    database = database_path(app.settings)
    first_run = database is not None and not database.exists()
    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    try:
        engine = build_engine(app, store, seed=seed, terminal=True)
        engine.apply_retention()
        user_key = f"term:{name}"
        store.update_user(user_key, timezone=zone)
        if lang:
            store.update_user(user_key, language=lang)
        elif store.user(user_key).language not in LANGUAGES:
            store.update_user(user_key, language=app.settings.language)
        if topics:
            engine.set_topics(user_key, chosen)
        console = Console(highlight=False)
        _line_editing()
        if first_run:
            language = store.user(user_key).language
            for legacy in legacy_databases(app.settings):
                console.print(WrappedText(_("practice.legacy_database", language, database=database, legacy=legacy), style="dim"))
        chart_dir = Path(app.settings.data_dir) / "charts"
        typed_ahead = _typed_ahead if sys.stdin.isatty() else (lambda: False)
        session = TerminalPractice(engine, user_key, console=console, typed_ahead=typed_ahead, goal=goal, chart_dir=chart_dir)
        session.run()
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    except StorageError as exc:
        _fail(f"storage: {exc}")
    finally:
        store.close()
