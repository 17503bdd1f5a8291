"""Webhook delivery of the fake Bot API server, as Telegram delivers to a webhook behind a load
balancer in front of several bot workers.

`deliver_by_webhook(targets)` POSTs each queued update (the JSON getUpdates would have returned,
`update_id` included) to the next target in turn, with at most `connections` requests in flight.
A 2xx answer confirms the update; a connection error, a time-out or any other status has it sent
again after `retry_delay`, to the target after the one that failed (a worker that is down refuses
connections, so its updates end up with the others). One chat's updates go one at a time and in
order: the next is sent once the one before was confirmed; different chats go in parallel. While
delivery is on, getUpdates answers 409 Conflict.

`WebhookRun` (`webhook_run`) is the bookkeeping of one run (which updates wait, chat by chat, and which chats have
one ready to send), without I/O; `WebhookDelivery` is the part of `FakeBotApi` that sends them
with httpx in the server's own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Hashable, Sequence

import httpx

from .records import QueuedUpdate
from .updates import UpdateQueue
from .webhook_run import SECRET_HEADER, WebhookRun, chat_key

__all__ = ["WebhookDelivery", "WebhookRun", "chat_key", "SECRET_HEADER"]

class WebhookDelivery(UpdateQueue):
    """Webhook delivery (see the module's docstring)."""

    def deliver_by_webhook(
        self,
        targets: Sequence[str],
        *,
        secret_token: str | None = None,
        connections: int = 40,
        retry_delay: float = 0.2,
        timeout: float = 60.0,
    ) -> None:
        """From now on POST queued updates, those already queued first, to `targets` (http(s)
        URLs, taken in turn) instead of serving them to getUpdates.

        `secret_token` goes in the X-Telegram-Bot-Api-Secret-Token header (default: the one the
        bot gave setWebhook, if any); `connections` caps the requests in flight over all targets;
        `retry_delay` (seconds) is the wait before a failed update is sent again; `timeout`
        (seconds) is how long a target may take to answer before that counts as a failure.
        Raises ValueError for bad arguments, RuntimeError if the server is not running or
        delivery is on already (`stop_webhook_delivery()` ends it).
        """
        urls = tuple(targets)
        if not urls or any(httpx.URL(url).scheme not in ("http", "https") for url in urls):
            raise ValueError(f"targets must be one or more http(s) URLs, not {targets!r}")
        if connections < 1 or retry_delay < 0 or timeout <= 0:
            raise ValueError("connections must be at least 1, retry_delay at least 0 and timeout "
                             "above 0")
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("FakeBotApi is not running: call start() first")
        run = WebhookRun(urls, secret_token, connections, retry_delay, timeout)
        asyncio.run_coroutine_threadsafe(self._webhook_open(run), loop).result(10)

    def stop_webhook_delivery(self) -> None:
        """Stop delivering by webhook (nothing happens if it is off): requests in flight are
        abandoned, and every update not confirmed goes back to getUpdates. Not to be called
        from the server's own thread (it waits for that thread)."""
        run, loop = self._webhook, self._loop
        if run is None or loop is None:
            return
        if threading.current_thread() is self._thread:
            raise RuntimeError("stop_webhook_delivery() waits for the server's thread: call it "
                               "from another one")
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            asyncio.run_coroutine_threadsafe(self._webhook_close(run), loop).result(10)

    def wait_for_webhook_idle(self, timeout: float = 10.0) -> None:
        """Wait until every queued update was confirmed (`pending_updates` is 0).

        Raises TimeoutError, with the webhook counters, if that takes over `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (pending := self.pending_updates) > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{pending} updates not confirmed within {timeout}s (webhook delivery "
                        f"{'on' if self._webhook is not None else 'off'}; "
                        f"{self.webhook_attempts} attempts, {self.webhook_deliveries} "
                        f"confirmed, {self.webhook_failures} failed)")
                self._changed.wait(remaining)

    # ------------------------------------------------------------------ in the server's loop

    async def _webhook_open(self, run: WebhookRun) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._webhook is not None:
                raise RuntimeError("webhook delivery is on already: call stop_webhook_delivery()")
            # Keep-alive connections: a new one per update would run out of ports in a push run.
            run.client = httpx.AsyncClient(
                timeout=run.timeout, trust_env=False,  # no proxy from the environment for these
                limits=httpx.Limits(max_connections=run.connections,
                                    max_keepalive_connections=run.connections))
            for update in self._updates:
                run.enqueue(update)
            self._updates.clear()
            self._forced_in_queue = 0

            def wake() -> None:
                with contextlib.suppress(RuntimeError):  # loop closed: the server stopped
                    loop.call_soon_threadsafe(self._webhook_dispatch, run)

            run.wake = wake
            self._webhook = run
        self._resolve_waiters()  # a waiting getUpdates now answers 409
        self._webhook_dispatch(run)

    async def _webhook_close(self, run: WebhookRun) -> None:
        with self._changed:
            if self._webhook is not run:
                return
            self._webhook = None
            run.closed = True
            back = run.unconfirmed()
            self._updates.extend(back)
            self._forced_in_queue += sum(1 for update in back if update.forced)
            self._changed.notify_all()
        tasks = list(run.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if run.client is not None:
            await run.client.aclose()
        self._resolve_waiters()  # the updates put back are there for a waiting getUpdates

    def _webhook_dispatch(self, run: WebhookRun) -> None:
        """Start sending whatever may go now."""
        if run.closed:
            return
        loop = asyncio.get_running_loop()
        with self._changed:
            sends, dropped = run.take(self._wanted)
            if dropped:
                self._changed.notify_all()
            bodies = [json.dumps(update.payload, ensure_ascii=False).encode()
                      for _, update, _ in sends]
        for (key, update, index), body in zip(sends, bodies):
            task = loop.create_task(self._webhook_post(run, key, update, index, body))
            run.tasks.add(task)
            task.add_done_callback(run.tasks.discard)

    async def _webhook_post(self, run: WebhookRun, key: Hashable, update: QueuedUpdate,
                            index: int, body: bytes) -> None:
        assert run.client is not None
        headers = {"Content-Type": "application/json"}
        secret = run.secret_token or self._webhook_secret
        if secret:
            headers[SECRET_HEADER] = secret
        with self._lock:
            self.webhook_attempts += 1
        try:
            response = await run.client.post(run.targets[index], content=body, headers=headers)
            confirmed = 200 <= response.status_code < 300
        except (httpx.HTTPError, OSError):  # refused, reset, timed out
            confirmed = False
        with self._changed:
            if confirmed:
                self.webhook_deliveries += 1
                run.confirm(key, update)
                self._changed.notify_all()
                again = False
            else:
                self.webhook_failures += 1
                again = run.fail(key, update, index)
        if again:
            asyncio.get_running_loop().call_later(run.retry_delay, self._webhook_retry, run, key)
        self._webhook_dispatch(run)

    def _webhook_retry(self, run: WebhookRun, key: Hashable) -> None:
        if run.closed:
            return
        with self._lock:
            run.retry(key)
        self._webhook_dispatch(run)
