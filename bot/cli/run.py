"""`mockbot run`: the Telegram bot (polling, or a webhook when configured)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

import click
from telegram.error import InvalidToken, NetworkError

from grading.embeddings import ModelUnavailable

from ..grading_app import warm_up
from ..storage import StorageError, Store
from ..telegram.token import RedactingFilter, TokenError, read_token
from .common import ExitStatus, _App, _fail, build_engine, pass_app

__all__ = ["run"]


STARTUP_RETRIES = 3  # tries to reach the Bot API at start-up (PTB waits longer after each) before giving up


class _OneLineNetworkErrors(logging.Filter):
    """Telegram being unreachable is an expected condition: its log line needs no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NetworkError):
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def _logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OneLineNetworkErrors())  # before redaction, which renders the traceback
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it would log every request URL


@click.command()
@pass_app
def run(app: _App) -> None:
    """Run the Telegram bot; the token comes from $MOCKBOT_TELEGRAM_TOKEN, never from a file."""
    try:
        token = read_token()
    except TokenError as exc:
        _fail(str(exc), ExitStatus.USAGE)
    from ..telegram.app import build_application

    _logging()
    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    try:
        engine = build_engine(app, store)
        warm_up(engine.grader, engine.bank)  # fail now, not on the first answer; first reply fast
        telegram = app.settings.telegram
        application = build_application(  # type: ignore[arg-type]
            engine, token, base_url=telegram.base_url, admins=telegram.admins, bank_dir=app.settings.bank.dir
        )
        if telegram.webhook_url:
            path = urlparse(telegram.webhook_url).path.strip("/")  # Telegram posts to the URL's own path
            application.run_webhook(
                listen=telegram.listen, port=telegram.port, url_path=path, webhook_url=telegram.webhook_url,
                bootstrap_retries=STARTUP_RETRIES,
            )
        else:
            application.run_polling(bootstrap_retries=STARTUP_RETRIES)
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    except InvalidToken:
        _fail("Telegram refused the token in MOCKBOT_TELEGRAM_TOKEN (revoked or mistyped?)", ExitStatus.USAGE)
    except NetworkError as exc:  # only at start-up: later, PTB's polling retries by itself
        where = telegram.base_url or "api.telegram.org"
        _fail(f"cannot reach the Telegram Bot API at {where}: {exc} (telegram.base_url, network)")
    finally:
        store.close()
