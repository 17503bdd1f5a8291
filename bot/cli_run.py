"""`mockbot run`: the Telegram bot (polling, or a webhook when configured)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from grading.embeddings import ModelUnavailable

from .cli import ExitStatus, _App, _fail, cli, pass_app
from .cli_practice import build_engine
from .storage import StorageError, Store
from .telegram.token import RedactingFilter, TokenError, read_token

__all__ = ["run"]


def _logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it would log every request URL


@cli.command()
@pass_app
def run(app: _App) -> None:
    """Run the Telegram bot; the token comes from $MOCKBOT_TELEGRAM_TOKEN, never from a file."""
    try:
        token = read_token()
    except TokenError as exc:
        _fail(str(exc), ExitStatus.USAGE)
    from .telegram.app import build_application

    _logging()
    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    try:
        engine = build_engine(app, store)
        telegram = app.settings.telegram
        application = build_application(  # type: ignore[arg-type]
            engine, token, base_url=telegram.base_url, admins=telegram.admins, bank_dir=app.settings.bank.dir
        )
        if telegram.webhook_url:
            path = urlparse(telegram.webhook_url).path.strip("/")  # Telegram posts to the URL's own path
            application.run_webhook(
                listen=telegram.listen, port=telegram.port, url_path=path, webhook_url=telegram.webhook_url
            )
        else:
            application.run_polling()
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    finally:
        store.close()
