"""Running a python-telegram-bot `Application` against the fake server from synchronous test code:
`ApplicationThread` runs it with long polling (or a webhook) in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram.ext import Application

__all__ = ["ApplicationThread"]


class ApplicationThread:
    """Runs a PTB `Application` with long polling in a thread of its own, with its own loop.

    `start()` runs initialize, post_init, start and `updater.start_polling(poll_interval,
    timeout)`, and returns once polling runs; `stop()` runs updater.stop, stop, post_stop,
    shutdown and post_shutdown and joins the thread. A context manager does both.
    `run(coro)` runs a coroutine on the application's loop (e.g. `app.bot.send_message(...)`)
    and returns its result.
    """

    def __init__(self, application: Application, *, poll_interval: float = 0.0,
                 timeout: int = 1, allowed_updates: Iterable[str] | None = None,
                 webhook: tuple[int, str] | None = None) -> None:
        self.application = application
        self.webhook = webhook  # (port, url path): serve a webhook on 127.0.0.1 instead of polling
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 15.0) -> None:
        if self._thread is not None:
            raise RuntimeError("ApplicationThread is already running")
        self._thread = threading.Thread(target=self._main, name="PTB-Application", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the PTB application did not start in time")
        if self._error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise RuntimeError("the PTB application failed to start") from self._error

    def stop(self, timeout: float = 15.0) -> None:
        thread, loop, event = self._thread, self.loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        thread.join(timeout)
        self._thread = None
        if thread.is_alive():
            raise RuntimeError("the PTB application did not stop in time")
        if self._error is not None:
            raise RuntimeError("the PTB application failed while stopping") from self._error

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        if self.loop is None:
            raise RuntimeError("ApplicationThread is not running")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> ApplicationThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._lifecycle())
        except BaseException as exc:  # noqa: BLE001 - reported by start()/stop()
            self._error = exc
        finally:
            self._ready.set()

    async def _lifecycle(self) -> None:
        app = self.application
        self.loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            await app.initialize()
            if app.post_init:
                await app.post_init(app)
            await app.start()
            try:
                assert app.updater is not None, "build the Application with an Updater"
                if self.webhook is not None:
                    port, path = self.webhook
                    await app.updater.start_webhook(
                        listen="127.0.0.1", port=port, url_path=path,
                        webhook_url=f"http://127.0.0.1:{port}/{path}", allowed_updates=self.allowed_updates,
                    )
                else:
                    await app.updater.start_polling(
                        poll_interval=self.poll_interval, timeout=self.timeout,
                        allowed_updates=self.allowed_updates,
                    )
                self._ready.set()
                await self._stop_event.wait()
            finally:
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
                if app.post_stop:
                    await app.post_stop(app)
        finally:
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)
