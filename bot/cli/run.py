"""`mockbot run`: the Telegram bot (polling, or a webhook when configured), or `--workers N`
webhook worker processes sharing one port and one PostgreSQL database under a small supervisor."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType
from urllib.parse import urlparse

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from telegram.error import InvalidToken, NetworkError

from grading.embeddings import ModelUnavailable

from ..config import Settings
from ..grading_app import warm_up
from ..storage import StorageError, Store
from ..telegram.token import RedactingFilter, TokenError, read_token
from ..telegram.webhook import DRAIN_TIMEOUT, SecretError, bind_shared, serve, store_health, webhook_secret
from .common import ExitStatus, _App, _fail, build_engine, pass_app

__all__ = ["run"]

logger = logging.getLogger(__name__)

STARTUP_RETRIES = 3  # tries to reach the Bot API at start-up (PTB waits longer after each) before giving up
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
WORKER_GRACE = DRAIN_TIMEOUT + 30.0  # seconds a stopping worker gets (updates in flight, jobs) before SIGKILL
QUICK_EXIT = 60.0  # seconds: a worker that exits sooner after its start failed at start-up
QUICK_EXITS = 3  # start-up failures in a row after which the supervisor gives up
RESTART_DELAY = 1.0  # seconds before a worker is started again; doubles with each start-up failure
MAX_RESTART_DELAY = 30.0
SUPERVISOR_TICK = 0.2  # seconds between looks at the workers


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
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it would log every run of every job


@click.command()
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Webhook worker processes sharing telegram.port (N > 1 needs telegram.webhook_url "
                   "and a PostgreSQL storage.url).")
@click.option("--worker", is_flag=True, hidden=True, help="Run as one of the workers of --workers.")
@pass_app
def run(app: _App, workers: int, worker: bool) -> None:
    """Run the Telegram bot; the token comes from $MOCKBOT_TELEGRAM_TOKEN, never from a file."""
    try:
        token = read_token()
    except TokenError as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if workers > 1 or worker:
        _check_workers(app.settings, workers)
    secret = None
    if app.settings.telegram.webhook_url:
        try:
            secret = webhook_secret(token)
        except SecretError as exc:
            _fail(str(exc), ExitStatus.USAGE)
    _logging()
    if workers > 1 and not worker:
        sys.exit(_supervise(_worker_command(app.settings), workers))
    if app.settings.telegram.webhook_url:
        for number in STOP_SIGNALS:  # until the server runs, a stop has nothing to finish
            signal.signal(number, _exit_now)
    _run_bot(app, token, secret)


def _check_workers(settings: Settings, workers: int) -> None:
    """Several workers need webhook mode and PostgreSQL; checked before anything is loaded."""
    if not settings.telegram.webhook_url:
        _fail(f"--workers {workers} needs webhook mode: set telegram.webhook_url (only one process "
              "may long-poll a bot)", ExitStatus.USAGE)
    if _backend(settings) != "postgresql":
        _fail(f"--workers {workers} needs PostgreSQL in storage.url (postgresql+psycopg://…): several "
              "workers share one database, and SQLite is for one process", ExitStatus.USAGE)


def _backend(settings: Settings) -> str | None:
    """The database kind of storage.url ("sqlite", "postgresql" …), None for a URL that is not one."""
    try:
        return make_url(settings.storage.url).get_backend_name()
    except ArgumentError:
        return None


def _exit_now(number: int, _frame: FrameType | None) -> None:
    raise SystemExit(ExitStatus.OK)


def _run_bot(app: _App, token: str, secret: str | None) -> None:
    """One bot process: long polling, or the webhook server (bound with SO_REUSEPORT)."""
    from ..telegram.app import build_application

    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    telegram = app.settings.telegram
    try:
        engine = build_engine(app, store)
        warm_up(engine.grader, engine.bank)  # fail now, not on the first answer; first reply fast
        model_loaded = threading.Event()
        model_loaded.set()
        application = build_application(  # type: ignore[arg-type]
            engine, token, base_url=telegram.base_url, admins=telegram.admins, bank_dir=app.settings.bank.dir,
            shared=bool(telegram.webhook_url) and _backend(app.settings) == "postgresql",  # other workers may share it
        )
        if telegram.webhook_url:
            try:  # bound only now: the kernel would queue connections for a worker still loading
                sockets = bind_shared(telegram.listen, telegram.port)
            except OSError as exc:
                _fail(f"cannot listen on {telegram.listen}:{telegram.port}: {exc.strerror or exc} "
                      "(telegram.listen, telegram.port)", ExitStatus.USAGE)
            asyncio.run(serve(
                application, listen=telegram.listen, port=telegram.port, sockets=sockets,
                url_path=urlparse(telegram.webhook_url).path.strip("/"),  # Telegram posts to the URL's own path
                webhook_url=telegram.webhook_url, secret_token=secret, max_connections=telegram.max_connections,
                health=store_health(store, model_loaded.is_set), startup_retries=STARTUP_RETRIES,
            ))  # fmt: skip
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


# ---------------------------------------------------------------- the supervisor of --workers N


def _worker_command(settings: Settings) -> list[str]:
    """`mockbot [--config FILE] run --worker` for this Python (-P: not from the working directory)."""
    config = ["--config", str(settings.source)] if settings.source else []
    return [sys.executable, "-P", "-m", "bot", *config, "run", "--worker"]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    started: float  # time.monotonic()


def _start(command: list[str]) -> _Worker:
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # its log goes to ours
    logger.info("started webhook worker pid %d", process.pid)
    return _Worker(process, time.monotonic())


def _describe(status: int) -> str:
    return f"signal {signal.Signals(-status).name}" if status < 0 else f"status {status}"


def _supervise(command: list[str], count: int) -> int:
    """Run `count` workers until SIGTERM or SIGINT, which is passed on to them; a worker that
    exits on its own is started again after a pause. Returns the exit status: 0 after a clean
    stop, else the status of the last worker that failed at start-up `QUICK_EXITS` times in a row
    (or 1)."""
    received: list[signal.Signals] = []

    def on_signal(number: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(number))

    previous = {number: signal.signal(number, on_signal) for number in STOP_SIGNALS}
    logger.info("mockbot run pid %d: starting %d webhook workers", os.getpid(), count)
    workers: dict[int, _Worker] = {}
    restart_at: dict[int, float] = {}
    quick_exits = 0
    try:
        workers = {slot: _start(command) for slot in range(count)}
        while not received:
            time.sleep(SUPERVISOR_TICK)
            now = time.monotonic()
            for slot, worker in list(workers.items()):
                code = worker.process.poll()
                if code is None or received:
                    continue
                del workers[slot]
                quick_exits = quick_exits + 1 if now - worker.started < QUICK_EXIT else 0
                if quick_exits >= QUICK_EXITS:
                    logger.error("webhook worker pid %d exited with %s: %d start-up failures in a row, giving up",
                                 worker.process.pid, _describe(code), quick_exits)
                    return code if code > 0 else ExitStatus.FAILED
                delay = min(RESTART_DELAY * 2 ** max(quick_exits - 1, 0), MAX_RESTART_DELAY)
                logger.warning("webhook worker pid %d exited with %s; starting another in %.0f s",
                               worker.process.pid, _describe(code), delay)
                restart_at[slot] = now + delay
            for slot, when in list(restart_at.items()):
                if now >= when and not received:
                    del restart_at[slot]
                    workers[slot] = _start(command)
        logger.info("mockbot run pid %d: %s, stopping %d workers", os.getpid(), received[0].name, len(workers))
    finally:
        status = _stop(list(workers.values()), received[0] if received else signal.SIGTERM)
        for number, handler in previous.items():
            signal.signal(number, handler)
    return status


def _stop(workers: list[_Worker], number: signal.Signals) -> ExitStatus:
    """Pass `number` on to the running workers and wait for them (SIGKILL after `WORKER_GRACE` s)."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(number)
    deadline = time.monotonic() + WORKER_GRACE
    status = ExitStatus.OK
    for worker in workers:
        try:
            code = worker.process.wait(max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            logger.error("webhook worker pid %d did not stop within %.0f s: killed", worker.process.pid, WORKER_GRACE)
            worker.process.kill()
            code = worker.process.wait()
        if code > 0 or (code < 0 and -code not in STOP_SIGNALS):
            status = ExitStatus.FAILED
    return status
