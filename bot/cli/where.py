"""`mockbot where` and its alias `mockbot doctor`: what is in use (config file, data folder,
database, bank, models, grading cache, time zone)."""

from __future__ import annotations

import re
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from questions.bank import BankInvalid, load_bank

from ..config import Settings, database_path, legacy_databases, local_timezone
from .common import _App, pass_app

__all__ = ["where", "doctor"]


@click.command()
@pass_app
def where(app: _App) -> None:
    """Show what is in use: config file, data folder, database, bank, models, grading cache and time zone."""
    settings = app.settings
    rows = [
        ("config file", str(settings.source) if settings.source else "built-in defaults (no config file found)"),
        ("data folder", str(settings.data_dir)),
        ("database", _database_line(settings)),
        ("bank", _bank_line(app)),
        ("topics", str(settings.bank.topics)),
        *((f"model ({language})", settings.grading.for_language(language).model) for language in ("zh", "en")),
        ("grading cache", _cache_line(settings)),
        ("time zone", _zone_line(settings)),
    ]
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        click.echo(f"{label + ':':<{width}} {value}")
    target = database_path(settings) or settings.data_dir
    for legacy in legacy_databases(settings):
        click.echo(
            f"\nan older database was found: {legacy}\n"
            f"  to keep using it, set storage.url: sqlite:///{legacy} in the config file, or move it to {target}"
        )


doctor = click.Command("doctor", callback=where.callback, help="The same as `mockbot where`.")


def _masked(url: str) -> str:
    """A database URL with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _database_line(settings: Settings) -> str:
    path = database_path(settings)
    if path is None:
        return _masked(settings.storage.url)
    return f"{_masked(settings.storage.url)} ({_file_state(path)})"


def _cache_line(settings: Settings) -> str:
    path = settings.grading.cache
    if path is None:
        return "none: reference embeddings are kept in memory only (set grading.cache to keep them)"
    return f"{path} ({_file_state(path)}; reference embeddings only, never replies)"


def _file_state(path: Path) -> str:
    """A file's size in MB, or that it is not there yet."""
    return f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "not created yet"


def _bank_line(app: _App) -> str:
    folder = app.settings.bank.dir
    try:
        count = len(load_bank(folder, app.taxonomy).questions)
    except BankInvalid as exc:
        return f"{folder} (invalid: {len(exc.problems)} problem(s); run `mockbot bank validate`)"
    return f"{folder} ({count} questions)"


def _zone_line(settings: Settings) -> str:
    if settings.timezone:
        return f"{settings.timezone} (from the config file)"
    return f"{local_timezone(settings)} (this machine's; set `timezone` in the config file to change it)"

