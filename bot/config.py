"""The one typed settings object, read from `config.yaml` and validated at start-up."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path
from typing import Any

import platformdirs
import tzlocal
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from grading.i18n import DEFAULT_LANGUAGE, LANGUAGES
from grading.settings import GradingSettings
from questions.bank import DEFAULT_BANK_DIR
from questions.taxonomy import DEFAULT_TAXONOMY_PATH
from questions.yamlio import YamlError, did_you_mean, line_of, load_yaml, plain_error

__all__ = [
    "BankSettings", "StorageSettings", "TelegramSettings", "PrivacySettings", "DeckSettings", "Settings", "ConfigError",
    "load_settings", "local_timezone", "zone_name", "database_path", "legacy_databases", "default_data_dir", "CONFIG_ENV",
    "DATABASE_NAME",
]  # fmt: skip

CONFIG_ENV = "MOCKBOT_CONFIG"  # where to find config.yaml when --config is not given


class ConfigError(Exception):
    """A configuration problem, with the file and line to look at."""


class BankSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: Path = DEFAULT_BANK_DIR
    topics: Path = DEFAULT_TAXONOMY_PATH


DATABASE_NAME = "mockbot.sqlite3"  # the SQLite file in the data folder
LEGACY_DATABASE = Path(".mockbot") / DATABASE_NAME  # where it lived before the data folder


def default_data_dir() -> Path:
    """The platform's folder for this user's data (~/.local/share/mockbot on Linux)."""
    return platformdirs.user_data_path("mockbot", appauthor=False)


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Any SQLAlchemy URL; a relative SQLite path is relative to the config file.
    # Default: mockbot.sqlite3 in the data folder (`data_dir`).
    url: str = Field(default_factory=lambda: _sqlite_url(default_data_dir() / DATABASE_NAME))


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A self-hosted Bot API server (e.g. http://127.0.0.1:8081/bot); None: api.telegram.org.
    base_url: str | None = None
    # Webhook mode when set (the public HTTPS URL Telegram posts to); else long polling.
    webhook_url: str | None = None
    listen: str = "0.0.0.0"
    port: int = 8443
    # Webhook mode: how many connections Telegram may open at once to deliver updates (all
    # workers together share them).
    max_connections: int = Field(default=40, ge=1, le=100)
    # Telegram user ids allowed to use the admin commands (/reload, /add_question, /set_answer,
    # /edit_question, /broadcast); empty: nobody.
    admins: list[int] = []

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: list[int]) -> list[int]:
        for user_id in value:
            if user_id <= 0:
                raise ValueError(f"{user_id} is not a Telegram user id (user ids are positive; groups are not admins)")
        return value


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Keep the text of users' answers (False: only scores and key points are stored).
    store_answers: bool = True
    # Graded answers a user may send per minute (flood protection).
    answers_per_minute: int = 12
    # Days the text of an answer is kept; older texts are blanked (scores and key points stay).
    # None: kept until the user sends /forget.
    answer_retention_days: int | None = Field(default=None, ge=1)


class DeckSettings(BaseModel):
    """What users may import as decks of their own (notes files sent to the Telegram bot)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The largest notes file read, in bytes.
    max_file_bytes: int = Field(default=1_000_000, ge=1_000, le=20_000_000)
    # Decks per user.
    max_decks: int = Field(default=20, ge=1, le=1_000)
    # Questions per deck.
    max_questions: int = Field(default=500, ge=1, le=10_000)
    # Minutes a preview's Import button works.
    preview_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = DEFAULT_LANGUAGE  # one of grading.i18n.LANGUAGES
    # Where progress is kept (the database, unless storage.url says otherwise) and the charts;
    # a relative path is relative to the config file. The same from any working directory.
    data_dir: Path = Field(default_factory=default_data_dir)
    # The IANA time zone of the terminal's dates (e.g. Asia/Shanghai); None: the machine's zone.
    # Telegram users choose their own.
    timezone: str | None = None
    bank: BankSettings = BankSettings()
    grading: GradingSettings = GradingSettings()
    storage: StorageSettings = StorageSettings()
    telegram: TelegramSettings = TelegramSettings()
    privacy: PrivacySettings = PrivacySettings()
    decks: DeckSettings = DeckSettings()
    source: Path | None = None  # the file these settings were read from

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value in LANGUAGES:
            return value
        *others, last = (repr(language) for language in LANGUAGES)
        choices = f"{', '.join(others)} or {last}" if others else last
        raise ValueError(f"must be {choices} (got {value!r})")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None or _is_zone(value):
            return value
        close = did_you_mean(value, sorted(zoneinfo.available_timezones()))
        hint = f'did you mean "{close}"?' if close else "an IANA name such as Asia/Shanghai or Europe/Berlin"
        raise ValueError(f"unknown time zone {value!r} ({hint})")

    @model_validator(mode="before")
    @classmethod
    def _database_in_data_dir(cls, data: Any) -> Any:
        """Without storage.url, the database is mockbot.sqlite3 in `data_dir`."""
        if not isinstance(data, dict):
            return data
        storage = data.get("storage") or {}
        data_dir = default_data_dir() if data.get("data_dir") is None else data["data_dir"]
        if not isinstance(storage, dict) or "url" in storage or not isinstance(data_dir, (str, Path)):
            return data  # nothing to fill in, or a mistake that validation reports
        return {**data, "storage": {**storage, "url": _sqlite_url(Path(data_dir).expanduser() / DATABASE_NAME)}}


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


_UTC_ALIASES = frozenset({"Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


def zone_name(name: str) -> str | None:
    """`name` as users are shown it (UTC's aliases as plain "UTC"), or None if it is no IANA zone."""
    if not _is_zone(name):
        return None
    return "UTC" if name in _UTC_ALIASES else name


def _resolve(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from `path`, else $MOCKBOT_CONFIG, else ./config.yaml; defaults if none exists.

    Raises:
        ConfigError: the file named explicitly is missing, or any file is invalid (file:line given).
    """
    explicit = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    candidate = explicit or Path("config.yaml")
    if not candidate.is_file():
        if explicit:
            raise ConfigError(f"{candidate}: config file not found")
        return Settings()
    try:
        data = load_yaml(candidate)
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{candidate}:1: expected a mapping of settings")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(candidate, data, exc)) from None
    return _resolved(settings, candidate)


def _explain(path: Path, data: Any, exc: ValidationError) -> str:
    """Every problem of the file, one `file:line: what is wrong` line each."""
    lines = []
    for error in exc.errors():
        line = line_of(data, tuple(error["loc"]))
        lines.append(f"{path}:{line}: {plain_error(error, Settings, noun='setting')}")
    return "\n".join(lines)


def _resolved(settings: Settings, path: Path) -> Settings:
    """Paths and SQLite URLs relative to the config file's folder, made absolute."""
    base = path.resolve().parent
    bank = BankSettings(dir=_resolve(base, settings.bank.dir), topics=_resolve(base, settings.bank.topics))
    grading = settings.grading.model_copy(
        update={
            key: _resolve(base, value)
            for key in ("cache", "glossary")
            if (value := getattr(settings.grading, key)) is not None
        }
    )
    storage = StorageSettings(url=_resolve_sqlite(base, settings.storage.url))
    return settings.model_copy(
        update={
            "bank": bank, "grading": grading, "storage": storage, "data_dir": _resolve(base, settings.data_dir),
            "source": path.resolve(),
        }
    )  # fmt: skip


def _resolve_sqlite(base: Path, url: str) -> str:
    """sqlite:///relative.db is relative to the config file; other URLs are kept as they are."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :].startswith(("/", ":memory:")) or url == prefix:
        return url
    return prefix + str((base / Path(url[len(prefix) :]).expanduser()).resolve())


def local_timezone(settings: Settings) -> str:
    """The IANA zone the terminal shows times in: `timezone` from the settings, else the machine's."""
    if settings.timezone:
        return settings.timezone
    try:
        name = tzlocal.get_localzone_name()
    except (LookupError, ValueError, OSError):  # a machine with no or a broken zone set-up
        name = None
    return (zone_name(name) if name else None) or "UTC"


def database_path(settings: Settings) -> Path | None:
    """The file of the SQLite database in use, or None for another database (or a bad URL)."""
    try:
        url = make_url(settings.storage.url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def legacy_databases(settings: Settings, *, cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """SQLite files at the places older versions kept the database by default (`.mockbot/` next
    to the config file, in the working directory and in the home folder) that are not in use."""
    folders = [settings.source.parent] if settings.source else []
    folders += [cwd or Path.cwd(), home or Path.home()]
    in_use = database_path(settings)
    found: list[Path] = []
    for folder in folders:
        candidate = (folder / LEGACY_DATABASE).resolve()
        if candidate.is_file() and candidate != in_use and candidate not in found:
            found.append(candidate)
    return found
