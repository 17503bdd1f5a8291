"""The bot token: read from the environment, checked, and kept out of every log line."""

from __future__ import annotations

import logging
import os
import re

__all__ = ["TOKEN_ENV", "TokenError", "read_token", "RedactingFilter", "redact"]

TOKEN_ENV = "MOCKBOT_TELEGRAM_TOKEN"
_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
_ANY_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")


class TokenError(ValueError):
    """No token, or not one that Telegram could have issued."""


def read_token(environ: dict[str, str] | None = None) -> str:
    """The token from $MOCKBOT_TELEGRAM_TOKEN; TokenError (one line, no secret in it) otherwise."""
    value = (environ if environ is not None else os.environ).get(TOKEN_ENV, "").strip()
    if not value:
        raise TokenError(f"{TOKEN_ENV} is not set (get a token from @BotFather); without a bot, try `mockbot practice`")
    if not _TOKEN.match(value):
        raise TokenError(f"{TOKEN_ENV} is malformed: expected <bot id>:<secret> as given by @BotFather")
    return value


def redact(text: str) -> str:
    """Replace anything shaped like a bot token.

    >>> redact("POST https://api.telegram.org/bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789/getMe")
    'POST https://api.telegram.org/bot<token>/getMe'
    """
    return _ANY_TOKEN.sub("<token>", text)


class RedactingFilter(logging.Filter):
    """A logging filter that removes bot tokens from every record (message, arguments, traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
