"""The webhook server of `mockbot run`: Telegram's updates over HTTP, `/healthz`, graceful shutdown.

Telegram POSTs each update to the webhook URL's path. The update is handled through the
application's update processor (each chat's updates in order, see `ordering`) and answered 200
only once it was handled: a worker killed in the middle of an update never confirmed it, so
Telegram delivers it again, to another worker or to this one restarted. A request without the
right `X-Telegram-Bot-Api-Secret-Token` is answered 403, a body that is not an update 400, an
update whose handling still raised 500 (Telegram retries).

Several worker processes may serve one port: each binds it with SO_REUSEPORT (`bind_shared`)
and the kernel spreads the connections. On SIGTERM or SIGINT a worker stops accepting, finishes
the updates in flight (for up to `DRAIN_TIMEOUT` seconds), then stops the application (PTB waits
for running jobs) and shuts it down.

`GET /healthz` answers `{"ok": …, "database": …, "migrations": …, "model": …, "pid": …}`, 200 when
every check is "ok", else 503; the checks come from an injectable `HealthCheck`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import signal
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol

import tornado.web
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, ExtBot
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .ordering import UpdateFailed

__all__ = [
    "serve", "bind_shared", "webhook_secret", "Health", "HealthCheck", "HealthSource", "store_health",
    "SecretError", "SECRET_ENV", "DRAIN_TIMEOUT", "DEFAULT_MAX_CONNECTIONS", "OK",
]  # fmt: skip

logger = logging.getLogger(__name__)

SECRET_ENV = "MOCKBOT_WEBHOOK_SECRET"  # the webhook's secret token; unset: derived from the bot token
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret token
DRAIN_TIMEOUT = 30.0  # seconds a stopping worker waits for the updates in flight
DEFAULT_MAX_CONNECTIONS = 40  # Telegram's default: simultaneous HTTPS connections for updates
HEALTH_TIMEOUT = 5.0  # seconds a database check may take before it counts as failed
MAX_BODY_BYTES = 4 << 20  # an update is a few kilobytes; refuse anything far larger unread
OK = "ok"


class SecretError(ValueError):
    """$MOCKBOT_WEBHOOK_SECRET holds something Telegram does not accept as a secret token."""


def webhook_secret(token: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret token Telegram sends with every update: $MOCKBOT_WEBHOOK_SECRET if set, else one
    derived from the bot token, so that every worker agrees without configuration.

    Raises:
        SecretError: the variable is set but is not 1-256 characters of A-Z, a-z, 0-9, _ and -.
    """
    configured = (environ if environ is not None else os.environ).get(SECRET_ENV, "").strip()
    if configured:
        if not _SECRET.match(configured):
            raise SecretError(f"{SECRET_ENV} must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return configured
    return hashlib.sha256(b"mockbot-webhook:" + token.encode()).hexdigest()[:32]


def bind_shared(listen: str, port: int) -> list[socket.socket]:
    """Listening sockets on `listen`:`port` with SO_REUSEPORT, so that several processes can
    listen on one port (port 0: a free port, see `getsockname()`).

    Raises:
        OSError: the address cannot be bound (in use without SO_REUSEPORT, no permission).
    """
    return bind_sockets(port, listen, reuse_port=True)


@dataclass(frozen=True)
class Health:
    """The checks of `/healthz`; each is `OK` or a short word on what is wrong.

    Attributes:
        database: the database answers ("unreachable" otherwise).
        migrations: the schema is at the newest migration ("behind", or "unknown" without a database).
        model: the grading model is loaded ("not loaded").
    """

    database: str
    migrations: str
    model: str

    @property
    def ok(self) -> bool:
        return self.database == self.migrations == self.model == OK

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "database": self.database, "migrations": self.migrations, "model": self.model}


HealthCheck = Callable[[], Awaitable[Health]]


class HealthSource(Protocol):
    """What `store_health` asks (a `Store`); each may return False or raise to say "not so"."""

    def ping(self) -> object: ...

    def schema_current(self) -> object: ...


def store_health(store: HealthSource, model_loaded: Callable[[], bool], *, timeout: float = HEALTH_TIMEOUT) -> HealthCheck:
    """The default `HealthCheck`: `store.ping()` and `store.schema_current()` (blocking: run in a
    thread, `timeout` seconds each), and `model_loaded()`. Failures are logged with their cause;
    the answer only names them, so `/healthz` gives nothing away."""

    async def check(what: str, probe: Callable[[], object]) -> bool:
        try:
            return await asyncio.wait_for(asyncio.to_thread(probe), timeout) is not False
        except Exception as exc:  # noqa: BLE001 - any failure means: not healthy
            first_line = next(iter(str(exc).splitlines()), "")
            logger.warning("health check: %s failed: %s: %s", what, type(exc).__name__, first_line)
            return False

    async def health() -> Health:
        database = OK if await check("database", lambda: store.ping()) else "unreachable"
        if database != OK:
            migrations = "unknown"
        else:
            migrations = OK if await check("migrations", lambda: store.schema_current()) else "behind"
        return Health(database=database, migrations=migrations, model=OK if model_loaded() else "not loaded")

    return health


class _Worker:
    """What the request handlers share: the application, the secret, the updates in flight."""

    def __init__(self, application: Application, secret_token: str | None, health: HealthCheck) -> None:
        self.application = application
        self.secret_token = secret_token
        self.health = health
        self.draining = False
        self.requests = 0  # update requests not yet answered
        self.idle = asyncio.Event()
        self.idle.set()
        self.tasks: set[asyncio.Task[None]] = set()

    def begin(self) -> None:
        self.requests += 1
        self.idle.clear()

    def end(self) -> None:
        self.requests -= 1
        if self.requests == 0:
            self.idle.set()

    async def handle(self, update: Update) -> HTTPStatus:
        """Handle one update; the status to answer Telegram with."""
        task = asyncio.create_task(self._process(update), name=f"webhook:update:{update.update_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # this request itself is cancelled
            return HTTPStatus.SERVICE_UNAVAILABLE  # cut off at shutdown: Telegram sends it again
        except UpdateFailed as failed:  # the error handler logged why (one line): a condition, not a bug
            logger.debug("%s", failed)
            return HTTPStatus.INTERNAL_SERVER_ERROR
        except Exception:
            logger.exception("update %d could not be handled; Telegram will send it again", update.update_id)
            return HTTPStatus.INTERNAL_SERVER_ERROR
        return HTTPStatus.OK

    async def _process(self, update: Update) -> None:
        application = self.application
        if isinstance(application.bot, ExtBot):
            application.bot.insert_callback_data(update)
        await application.update_processor.process_update(update, application.process_update(update))


class _JsonHandler(tornado.web.RequestHandler):
    def initialize(self, worker: _Worker) -> None:
        self.worker = worker

    def _answer(self, status: HTTPStatus, body: dict[str, Any] | None = None) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        if self.worker.draining:
            self.set_header("Connection", "close")
        self.finish(json.dumps(body if body is not None else {"ok": status == HTTPStatus.OK}))


class _UpdateHandler(_JsonHandler):
    """POST <url path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    async def post(self) -> None:
        worker = self.worker
        if worker.draining:  # on a kept-alive connection after the stop: let another worker take it
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        secret = worker.secret_token
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret is not None and not hmac.compare_digest(given.encode(), secret.encode()):
            self._answer(HTTPStatus.FORBIDDEN)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, worker.application.bot) if isinstance(data, dict) else None
        except Exception:  # noqa: BLE001 - not JSON, or JSON that is no update
            update = None
        if update is None:
            self._answer(HTTPStatus.BAD_REQUEST)
            return
        worker.begin()
        try:
            self._answer(await worker.handle(update))
        finally:
            worker.end()


class _HealthHandler(_JsonHandler):
    """GET /healthz: the worker's checks (see `Health`)."""

    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    async def get(self) -> None:
        try:
            health = await self.worker.health()
        except Exception:
            logger.exception("the health check failed")
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "pid": os.getpid()})
            return
        status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
        self._answer(status, {**health.to_dict(), "pid": os.getpid()})


def _http_server(worker: _Worker, url_path: str) -> HTTPServer:
    routes = [
        (r"/healthz", _HealthHandler, {"worker": worker}),
        (rf"/{re.escape(url_path.strip('/'))}/?", _UpdateHandler, {"worker": worker}),
    ]
    app = tornado.web.Application(routes, log_function=lambda handler: None)  # no line per request
    return HTTPServer(app, max_body_size=MAX_BODY_BYTES)


async def _drain(server: HTTPServer, worker: _Worker, timeout: float) -> None:
    """Stop accepting, wait up to `timeout` s for the updates in flight, cut off the rest."""
    worker.draining = True
    server.stop()
    try:
        await asyncio.wait_for(worker.idle.wait(), timeout)
    except TimeoutError:
        logger.warning("%d updates still in flight after %.0f s: cut off (Telegram sends them again)",
                       len(worker.tasks), timeout)
        for task in list(worker.tasks):
            task.cancel()
        await asyncio.gather(*worker.tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):  # their requests answer 503 at once
            await asyncio.wait_for(worker.idle.wait(), 1.0)
    await server.close_all_connections()


async def _with_retries(action: Callable[[], Awaitable[object]], what: str, retries: int) -> None:
    """`action()`, tried again up to `retries` times (1 s, 2 s, 4 s … apart) on network errors."""
    delay = 1.0
    for attempt in range(retries + 1):
        try:
            await action()
            return
        except NetworkError as exc:
            if attempt == retries:
                raise
            logger.warning("%s failed (%s); trying again in %.0f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay *= 2


async def serve(
    application: Application,
    *,
    listen: str,
    port: int,
    url_path: str,
    secret_token: str | None,
    health: HealthCheck,
    webhook_url: str | None = None,
    sockets: list[socket.socket] | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    startup_retries: int = 0,
    drain_timeout: float = DRAIN_TIMEOUT,
    stop: asyncio.Event | None = None,
    stop_signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> None:
    """Run `application` behind the webhook server until a stop signal, then shut down gracefully.

    Args:
        listen, port: where to listen (bound with SO_REUSEPORT) unless `sockets` are given.
        url_path: the path Telegram posts to (the webhook URL's path, without slashes).
        secret_token: the `X-Telegram-Bot-Api-Secret-Token` required of every update (None: none).
        health: the checks behind `/healthz`.
        webhook_url: registered with Telegram at start-up (idempotent: every worker may do it);
            None: not registered here.
        sockets: listening sockets to serve instead of binding `listen`:`port`; closed on return.
        max_connections: Telegram's limit of simultaneous connections (1-100) for `setWebhook`.
        startup_retries: extra tries of start-up calls to the Bot API that fail on the network.
        drain_timeout: seconds to wait at shutdown for the updates in flight.
        stop: set it to stop (default: only the signals stop).
        stop_signals: signals that stop (installed on the running loop; () in a thread).

    Raises:
        OSError: the address cannot be bound.
        telegram.error.InvalidToken, telegram.error.NetworkError: Telegram refused the token or
            could not be reached at start-up.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    listening = sockets if sockets is not None else bind_shared(listen, port)
    worker = _Worker(application, secret_token, health)

    def on_signal(number: signal.Signals) -> None:
        if not stop.is_set():
            logger.info("webhook worker pid %d: %s, stopping", os.getpid(), number.name)
        stop.set()

    for number in stop_signals:
        loop.add_signal_handler(number, on_signal, number)
    try:
        await _with_retries(application.initialize, "connecting to the Bot API", startup_retries)
        try:
            await _run(application, worker, listening, url_path=url_path, webhook_url=webhook_url,
                       max_connections=max_connections, startup_retries=startup_retries,
                       drain_timeout=drain_timeout, stop=stop)
        finally:
            await application.shutdown()
            if application.post_shutdown:
                await application.post_shutdown(application)
    finally:
        for number in stop_signals:
            loop.remove_signal_handler(number)
        for sock in listening:
            sock.close()
    logger.info("webhook worker pid %d stopped", os.getpid())


async def _run(application: Application, worker: _Worker, listening: list[socket.socket], *, url_path: str,
               webhook_url: str | None, max_connections: int, startup_retries: int, drain_timeout: float,
               stop: asyncio.Event) -> None:
    """The running part of `serve`, between initialize and shutdown."""
    if application.post_init:
        await application.post_init(application)
    await application.start()
    try:
        if webhook_url:
            register = lambda: application.bot.set_webhook(  # noqa: E731
                url=webhook_url, secret_token=worker.secret_token, allowed_updates=Update.ALL_TYPES,
                max_connections=max_connections,
            )
            await _with_retries(register, "setting the webhook", startup_retries)
        server = _http_server(worker, url_path)
        server.add_sockets(listening)
        where = ", ".join("%s:%d" % sock.getsockname()[:2] for sock in listening)
        logger.info("webhook worker pid %d listening on %s", os.getpid(), where)
        try:
            await stop.wait()
        finally:
            await _drain(server, worker, drain_timeout)
    finally:
        await application.stop()  # PTB waits for running jobs
        if application.post_stop:
            await application.post_stop(application)
