"""The fake Bot API server itself: `FakeBotApi` serves the Bot API over real HTTP (stdlib asyncio,
HTTP/1.1 keep-alive) on 127.0.0.1 in a background thread with its own event loop, and hands each
call to its method under the server's lock, after the injected failures had their say.

URLs are `base_url + token + "/" + method` (PTB appends the token to `base_url`); a request with
another token answers 401 Unauthorized, an unknown method 404 "Not Found: method not found";
method names are case-insensitive. Files are served under `base_file_url`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .faults import FaultInjection
from .methods import BotMethods
from .recording import Recording
from .users import UserActions
from .webhook import WebhookDelivery
from .wire import ApiError, bad_request, error_body, ok_body, parse_params, phrase, read_body

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import ApplicationBuilder

__all__ = ["FakeBotApi"]


class FakeBotApi(UserActions, BotMethods, WebhookDelivery, Recording, FaultInjection):
    """A fake Telegram Bot API server; see the package's docstring.

    Attributes you may set at any time: `admins` (chat id -> set of user ids that getChatMember
    reports as "administrator"), `delay`, `flood_rate`, `flood_retry_after`, `group_limit`,
    `validate_html`. Webhook delivery (`deliver_by_webhook`, see `webhook`) counts its POSTs in
    `webhook_attempts`, those answered 2xx in `webhook_deliveries`, the others in
    `webhook_failures`.
    """

    @functools.cached_property
    def _handlers(self) -> dict[str, tuple[str, Any]]:
        """The Bot API methods by lower-case name, built once."""
        return self._method_table()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Serve on 127.0.0.1 on a free port, in a daemon thread with its own event loop."""
        if self._thread is not None:
            raise RuntimeError("FakeBotApi is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="FakeBotApi", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread = None
            raise RuntimeError("FakeBotApi did not start") from (failure[0] if failure else None)

    def stop(self) -> None:
        """Stop serving: webhook delivery stops, open connections are closed, waiting getUpdates
        calls end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self.stop_webhook_delivery()
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._port = None

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not running: call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """For PTB's `base_url`: PTB appends the token, then "/" + the method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For PTB's `base_file_url`: file downloads are base_file_url + token + "/" + path."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def bot(self, **kwargs: Any) -> Bot:
        """A `telegram.Bot` for this server (not initialized; use `async with`)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    def application_builder(self) -> ApplicationBuilder:
        """A PTB `ApplicationBuilder` with this server's token, base_url and base_file_url."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                self._poll_waiters = set()
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=1024)
                )
                self._port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # noqa: BLE001 - handed to start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close_all())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    # ------------------------------------------------------------------ HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                          ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    verb, target, version = lines[0].split(" ", 2)
                except ValueError:
                    return
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                try:
                    body = await read_body(reader, headers)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                connection = headers.get("connection", "").lower()
                keep_alive = (connection != "close") if version == "HTTP/1.1" else (
                    connection == "keep-alive")
                status, content_type, payload = await self._respond(verb, target, headers, body, reader)
                head_out = (
                    f"HTTP/1.1 {status} {phrase(status)}\r\n"
                    f"Content-Type: {content_type}\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
                )
                writer.write(head_out.encode("latin-1") + payload)
                try:
                    await writer.drain()
                except ConnectionError:
                    return
                if not keep_alive:
                    return
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _respond(self, verb: str, target: str, headers: dict[str, str], body: bytes,
                       reader: asyncio.StreamReader | None = None
                       ) -> tuple[int, str, bytes]:
        url = urlsplit(target)
        path = unquote(url.path)
        if path.startswith("/file/bot"):
            status, content_type, payload = self._download(path[len("/file/bot"):])
        elif path.startswith("/bot"):
            token, _, method = path[len("/bot"):].partition("/")
            method = method.strip("/")
            if token != self.token:
                status, answer = 401, error_body(401, "Unauthorized")
            elif not method or "/" in method:
                status, answer = 404, error_body(404, "Not Found")
            else:
                status, answer = await self._call(method, url.query, headers, body, reader)
            content_type, payload = "application/json", answer
        else:
            status, content_type = 404, "application/json"
            payload = error_body(404, "Not Found")
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return status, content_type, payload

    def _download(self, rest: str) -> tuple[int, str, bytes]:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return 401, "application/json", error_body(401, "Unauthorized")
        with self._lock:
            file_id = self._file_paths.get(file_path)
            data = self._files[file_id][1] if file_id else None
        if data is None:
            return 404, "application/json", error_body(404, "Not Found")
        return 200, "application/octet-stream", data

    async def _call(self, method: str, query: str, headers: dict[str, str], body: bytes,
                    reader: asyncio.StreamReader | None = None
                    ) -> tuple[int, bytes]:
        try:
            params, files = parse_params(query, headers.get("content-type", ""), body)
        except ValueError as exc:
            return 400, error_body(400, f"Bad Request: {exc}")
        key = method.lower()
        if key == "getupdates":
            with self._changed:
                failure = self._injected_failure("getUpdates")
                if failure is not None:
                    self._record("getUpdates", params, files, None, failure)
            if failure is not None:
                return failure.status, error_body(failure.status, failure.description,
                                                  failure.parameters)
            return await self._get_updates(params)
        known = self._handlers.get(key)
        name = known[0] if known else method
        if not await self._pass_hold(name, reader):
            return 499, error_body(499, "Client Closed Request: the call never took effect")
        with self._changed:
            try:
                if known is None:
                    raise ApiError(404, "Not Found: method not found")
                failure = self._injected_failure(name) or self._group_flood(name, params)
                if failure is not None:
                    raise failure
                try:
                    result = known[1](params, files)
                except (TypeError, ValueError, KeyError, AttributeError) as exc:  # bad params
                    raise bad_request(f"{type(exc).__name__}: {exc}") from exc
            except ApiError as exc:
                self._record(name, params, files, None, exc)
                return exc.status, error_body(exc.status, exc.description, exc.parameters)
            self._record(name, params, files, result, None)
        return 200, ok_body(result)
