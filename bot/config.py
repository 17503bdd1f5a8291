"""The one typed settings object, read from `config.yaml` and validated at start-up."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grading.settings import GradingSettings
from questions.bank import DEFAULT_BANK_DIR
from questions.taxonomy import DEFAULT_TAXONOMY_PATH
from questions.yamlio import YamlError, line_of, load_yaml

__all__ = ["BankSettings", "StorageSettings", "TelegramSettings", "PrivacySettings", "Settings", "ConfigError", "load_settings", "CONFIG_ENV"]

CONFIG_ENV = "MOCKBOT_CONFIG"  # where to find config.yaml when --config is not given


class ConfigError(Exception):
    """A configuration problem, with the file and line to look at."""


class BankSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: Path = DEFAULT_BANK_DIR
    topics: Path = DEFAULT_TAXONOMY_PATH


DEFAULT_DATABASE = Path.home() / ".mockbot" / "mockbot.sqlite3"


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Any SQLAlchemy URL; a relative SQLite path is relative to the config file.
    url: str = f"sqlite:///{DEFAULT_DATABASE}"


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A self-hosted Bot API server (e.g. http://127.0.0.1:8081/bot); None: api.telegram.org.
    base_url: str | None = None
    # Webhook mode when set (the public HTTPS URL Telegram posts to); else long polling.
    webhook_url: str | None = None
    listen: str = "0.0.0.0"
    port: int = 8443
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


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Literal["zh", "en"] = "zh"
    bank: BankSettings = BankSettings()
    grading: GradingSettings = GradingSettings()
    storage: StorageSettings = StorageSettings()
    telegram: TelegramSettings = TelegramSettings()
    privacy: PrivacySettings = PrivacySettings()
    source: Path | None = None  # the file these settings were read from


def _resolve(base: Path, path: Path) -> Path:
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
        lines = []
        for error in exc.errors():
            line = line_of(data, tuple(error["loc"]))
            key = ".".join(str(step) for step in error["loc"])
            lines.append(f"{candidate}:{line}: {key}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from None
    base = candidate.resolve().parent
    bank = BankSettings(dir=_resolve(base, settings.bank.dir), topics=_resolve(base, settings.bank.topics))
    grading = settings.grading.model_copy(
        update={
            key: _resolve(base, value)
            for key in ("cache", "glossary")
            if (value := getattr(settings.grading, key)) is not None
        }
    )
    storage = StorageSettings(url=_resolve_sqlite(base, settings.storage.url))
    return settings.model_copy(update={"bank": bank, "grading": grading, "storage": storage, "source": candidate.resolve()})


def _resolve_sqlite(base: Path, url: str) -> str:
    """sqlite:///relative.db is relative to the config file; other URLs are kept as they are."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :].startswith(("/", ":memory:")) or url == prefix:
        return url
    return prefix + str((base / url[len(prefix) :]).resolve())
