"""A fake Telegram Bot API server on 127.0.0.1, for running the real python-telegram-bot against.

`FakeBotApi` serves the Bot API over real HTTP (stdlib asyncio, HTTP/1.1 keep-alive) in a
background thread with its own event loop, so it works from plain synchronous pytest code and next
to a PTB `Application` running in another thread or loop::

    with FakeBotApi() as fake:
        app = fake.application_builder().build()          # token, base_url, base_file_url set
        app.add_handler(CommandHandler("start", start))
        with ApplicationThread(app):                         # initialize, start, start_polling
            fake.send_text(chat_id=42, user_id=42, text="/start")
            reply = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 42)

What it does, like Telegram does it:

* URLs are `base_url + token + "/" + method` (PTB appends the token to `base_url`); a request with
  another token answers 401 Unauthorized, an unknown method 404 "Not Found: method not found";
  method names are case-insensitive. Bodies may be JSON, form-encoded (what PTB sends: every value
  is a string, non-string values JSON-encoded) or multipart/form-data (uploads), and parameters
  may also come in the query string.
* Answers use the envelope `{"ok": true, "result": ...}` / `{"ok": false, "error_code": ...,
  "description": ...}` with realistic objects: a sent `Message` has a `message_id` counted per
  chat (shared with the users' messages in that chat), an integer `date`, the `chat`, `from` (the
  bot), `text`, the inline keyboard echoed as `reply_markup`, and `reply_to_message` when a
  reply was asked for.
* `getUpdates` long-polls: it waits up to `timeout` seconds for an update, honours `offset`
  (updates with a smaller id are confirmed and dropped; a negative offset keeps only the last
  ones), `limit` and `allowed_updates`; a newer `getUpdates` ends an older waiting one with 409
  Conflict ("terminated by other getUpdates request"), so two instances polling with one token
  keep ending each other's polls, and `getUpdates` while a webhook is set is 409 as well.
* Groups as Telegram has them: a user message has the `date` it was sent (`date=`: one sent
  earlier and delivered late); a forum (`add_topic`) has topics, a message in one carries its
  `message_thread_id` and `is_topic_message` (and replies to the topic's first message unless it
  replies to another), and a send to a topic that does not exist is 400 "message thread not
  found"; a member may speak as a chat (`send_as_chat`: a channel, or the group itself for an
  anonymous admin, with `sender_chat` and Telegram's stand-in `from`); a group upgraded to a
  supergroup (`migrate_group`) has a new id, the service messages `migrate_to_chat_id` and
  `migrate_from_chat_id`, and every call naming the old id answers 400 "group chat was upgraded
  to a supergroup chat" with `parameters.migrate_to_chat_id`.
* Some of Telegram's 400s, because real bots hit them: empty or over-long texts (4096) and
  captions (1024), counted as Telegram counts them: in UTF-16 code units of the text after
  entity parsing (𝑥 counts two, `&amp;` one, tags nothing); unsupported or unbalanced tags with
  `parse_mode="HTML"` (`validate_html`),
  editing a message that does not exist, is not the bot's, or would not change ("message is not
  modified"), replying to a missing message, answering an unknown or already answered callback
  query or one pressed `too_old` ("query is too old"), callback data over 64 bytes
  ("BUTTON_DATA_INVALID"), invalid bot commands.

Methods: getMe, getUpdates, deleteWebhook, setWebhook, getWebhookInfo, setMyCommands,
getMyCommands, deleteMyCommands, sendMessage, sendPhoto, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, sendChatAction, getChatMember, getChat, and also deleteMessage and getFile
(files are served under `base_file_url`).

Recording: every call the bot makes that is answered ok is a `SentCall` in `calls` (getUpdates is
not recorded: a poll, i.e. a getUpdates with an `offset` as a polling loop sends, only counts in
`poll_count`; a look without one, which confirms nothing, is not counted); the ok sendMessage,
sendPhoto and editMessageText calls are also in `sent`; calls answered with an error (injected
429/5xx, 400s, unknown methods) are in `rejected` instead. Lists are appended to under a lock and only ever grow until `clear()`.

Fault injection: `fail_next(method, times=, status=, retry_after=)`, `flood_rate` (a seeded share
of sendMessage/sendPhoto answered 429 with `flood_retry_after`), `group_limit` (Telegram's flood
limit for groups: more than this many sendMessage/sendPhoto to one group within 60 s are answered
429 with the seconds until a slot frees up; off by default), and `delay` (seconds added to every
answer, after the call took effect: a client that times out may still have sent the message, as
with Telegram).

`ApplicationThread` runs a PTB `Application` (initialize, post_init, start, start_polling; and
updater.stop, stop, post_stop, shutdown, post_shutdown) in a thread with its own event loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import html
import itertools
import json
import math
import random
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, ApplicationBuilder

__all__ = ["FakeBotApi", "SentCall", "ApplicationThread", "DEFAULT_TOKEN"]

DEFAULT_TOKEN = "123456:TEST-TOKEN"

MAX_TEXT_LENGTH = 4096  # UTF-16 code units of the text as shown (after entity parsing)
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data
_SENT_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText"})
_FLOOD_METHODS = frozenset({"sendMessage", "sendPhoto"})
# Telegram does not send these update types unless they are asked for in `allowed_updates`.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Tags Telegram's HTML parse mode knows.
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "code", "pre", "blockquote", "tg-emoji", "tg-time"}
)
_TAG_NAME = re.compile(r"/?\s*([A-Za-z][A-Za-z0-9-]*)")
_INT = re.compile(r"-?\d+")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
# Form values that are strings as they are (PTB does not JSON-encode str values): never decoded.
_STRING_PARAMS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "action",
     "language_code", "business_connection_id", "secret_token", "ip_address", "description",
     "short_description", "name", "title", "emoji", "query", "message_effect_id", "photo",
     "document", "voice", "sticker", "file_id", "certificate", "custom_title"}
)
# Values that are JSON objects/arrays even when a JSON body carries them as a string.
_JSON_PARAMS = frozenset(
    {"reply_markup", "reply_parameters", "entities", "caption_entities", "commands", "scope",
     "allowed_updates", "link_preview_options", "media"}
)
# Telegram's stand-in authors of messages sent as a chat: by a channel, by an anonymous admin.
_CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel",
                "username": "Channel_Bot"}
_ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                    "username": "GroupAnonymousBot"}
_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_pin_messages", "can_manage_topics",
)


@dataclass
class SentCall:
    """One Bot API call the bot made.

    `chat_id` is an int where the call named a chat (for answerCallbackQuery: the chat of the
    button's message); `text` is the text (sendMessage, editMessageText) or caption (sendPhoto)
    as sent, markup included; `params` are the decoded parameters (JSON values decoded, uploads
    left out: `photo` holds the uploaded or referenced photo's bytes); `message_id` is the sent or
    edited message's; `time` is `time.monotonic()` when the call took effect; `result` is what the
    server answered. A rejected call has its HTTP `status` and the `error` description.
    """

    method: str
    chat_id: int | str | None
    text: str | None
    params: dict[str, Any]
    photo: bytes | None = None
    message_id: int | None = None
    time: float = 0.0
    status: int = 200
    error: str | None = None
    result: Any = field(default=None, repr=False)

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """The inline keyboard as (label, callback_data) pairs, row by row."""
        markup = self.reply_markup or {}
        return [
            (button.get("text", ""), button.get("callback_data"))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    def summary(self) -> str:
        text = "" if self.text is None else f" text={self.text[:80]!r}"
        error = f" -> {self.status} {self.error}" if self.error else ""
        return f"{self.method} chat={self.chat_id}{text}{error}"


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(what: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {what}")


class _Update:
    __slots__ = ("update_id", "payload", "kind", "forced", "delivered")

    def __init__(self, update_id: int, payload: dict[str, Any], forced: bool):
        self.update_id = update_id
        self.payload = payload
        self.kind = next((key for key in payload if key != "update_id"), "")
        self.forced = forced
        self.delivered = False


class FakeBotApi:
    """A fake Telegram Bot API server; see the module's docstring.

    Attributes you may set at any time: `admins` (chat id -> set of user ids that getChatMember
    reports as "administrator"), `delay`, `flood_rate`, `flood_retry_after`, `group_limit`,
    `validate_html`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "mockbot_test_bot",
        bot_first_name: str = "Mockbot Test",
        seed: int = 0,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"a bot token looks like '123456:ABC-DEF', not {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
            "username": bot_username,
        }
        self.admins: collections.defaultdict[int, set[int]] = collections.defaultdict(set)
        self.delay = 0.0
        self.flood_rate = 0.0
        self.flood_retry_after = 1
        self.group_limit: int | None = None  # messages a minute to one group (Telegram: 20)
        self.validate_html = True
        self.held = 0  # calls waiting behind `hold()` right now
        self.dropped: list[str] = []  # methods of held calls whose client went away meanwhile
        self._hold: tuple[frozenset[str], int] | None = None  # (methods, calls let through first)
        self._release: asyncio.Event | None = None

        self.calls: list[SentCall] = []
        self.sent: list[SentCall] = []
        self.rejected: list[SentCall] = []
        self.poll_count = 0
        self._sent_by_chat: dict[int | str, list[SentCall]] = collections.defaultdict(list)

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._rng = random.Random(seed)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = collections.defaultdict(lambda: 1)
        self._chats: dict[int, dict[str, Any]] = {}
        self._topics: collections.defaultdict[int, set[int]] = collections.defaultdict(set)
        self._migrated: dict[int, int] = {}  # a group upgraded to a supergroup -> its new id
        self._group_sends: collections.defaultdict[int, collections.deque[float]] = (
            collections.defaultdict(collections.deque))  # group -> times of its recent messages
        self._users: dict[int, dict[str, Any]] = {}
        self._updates: collections.deque[_Update] = collections.deque()
        self._forced_in_queue = 0
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._callbacks: dict[str, tuple[int | None, bool]] = {}  # id -> (chat id, answered)
        self._files: dict[str, tuple[str, bytes | None, str]] = {}  # id -> (unique id, data, path)
        self._file_paths: dict[str, str] = {}  # file_path -> file_id
        self._counter = itertools.count(1)
        self._failures: dict[str, collections.deque[tuple[int, int, str | None]]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._webhook_url = ""

        self._handlers: dict[str, tuple[str, Callable[[dict[str, Any], dict[str, bytes]], Any]]]
        self._handlers = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("deleteWebhook", self._delete_webhook),
                ("setWebhook", self._set_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendMessage", self._send_message),
                ("sendPhoto", self._send_photo),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("answerCallbackQuery", self._answer_callback_query),
                ("sendChatAction", self._send_chat_action),
                ("getChatMember", self._get_chat_member),
                ("getChat", self._get_chat),
                ("deleteMessage", self._delete_message),
                ("getFile", self._get_file),
            )
        }

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0

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
        """Stop serving: open connections are closed, waiting getUpdates calls end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
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

    # ------------------------------------------------------------------ recording

    def wait_for(
        self, predicate: Callable[[SentCall], bool], timeout: float = 10.0, *, since: int = 0
    ) -> SentCall:
        """The first recorded call (in `calls`, from index `since` on) that matches `predicate`,
        waiting up to `timeout` seconds for it; AssertionError with the recent calls if none
        comes. Calls recorded before this one was called count too (pass `since=len(fake.calls)`
        to look only at later ones)."""
        deadline = time.monotonic() + timeout
        index = since
        with self._changed:
            while True:
                if index > len(self.calls):  # clear() was called meanwhile
                    index = 0
                while index < len(self.calls):
                    call = self.calls[index]
                    index += 1
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no matching Bot API call within {timeout}s\n{self.describe()}"
                    )
                self._changed.wait(remaining)

    async def wait_for_async(
        self, predicate: Callable[[SentCall], bool], timeout: float = 10.0, *, since: int = 0
    ) -> SentCall:
        """`wait_for` for coroutines: waits in a worker thread, not blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, since=since)

    def describe(self, last: int = 15) -> str:
        """The most recent calls and rejected calls, one a line (for assertion messages)."""
        with self._lock:
            calls = self.calls[-last:]
            rejected = self.rejected[-5:]
        lines = [f"recent calls ({len(self.calls)} in all):"]
        lines += [f"  {call.summary()}" for call in calls] or ["  (none)"]
        if rejected:
            lines.append(f"recently rejected ({len(self.rejected)} in all):")
            lines += [f"  {call.summary()}" for call in rejected]
        return "\n".join(lines)

    def messages_to(self, chat_id: int | str) -> list[SentCall]:
        """The sendMessage, sendPhoto and editMessageText calls to `chat_id` that were answered
        ok, in order."""
        with self._lock:
            return list(self._sent_by_chat.get(chat_id, ()))

    def clear(self) -> None:
        """Forget the recorded calls (`calls`, `sent`, `rejected`); chats, messages, pending
        updates and injected failures stay."""
        with self._changed:
            self.calls.clear()
            self.sent.clear()
            self.rejected.clear()
            self._sent_by_chat.clear()
            self._changed.notify_all()

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current JSON of a message in a chat (the bot's or a user's), or None."""
        with self._lock:
            found = self._messages.get((chat_id, message_id))
            return copy.deepcopy(found) if found is not None else None

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return len(self._updates)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (any method, getUpdates too) with an
        error: 429 "Too Many Requests: retry after N" with parameters.retry_after (the default),
        or `status` (502, 500, 400 ...) with its standard description. Failures queue up."""
        if times < 1 or (status == 429 and retry_after < 1):
            raise ValueError("times and a 429's retry_after must be at least 1 (PTB reads a "
                             "retry_after of 0 as no retry_after at all)")
        with self._lock:
            queue = self._failures.setdefault(method.lower(), collections.deque())
            queue.extend([(status, retry_after, description)] * times)

    def hold(self, *methods: str, after: int = 0) -> None:
        """Let `after` more calls of these methods through, then make the next ones wait,
        before they take effect, until `release()`: a network that has stopped carrying them.

        A held call whose client has gone away by then (e.g. the bot was killed) never takes
        effect, like a request that never reached Telegram; its method is added to `dropped`."""
        with self._lock:
            self._hold = (frozenset(m.lower() for m in methods), after)
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._new_release_event)

    def release(self) -> None:
        """Let held calls go on (see `hold`)."""
        with self._lock:
            self._hold = None
            loop, event = self._loop, self._release
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    def _new_release_event(self) -> None:
        if self._release is None or self._release.is_set():
            self._release = asyncio.Event()

    async def _pass_hold(self, method: str, reader: asyncio.StreamReader | None) -> bool:
        """Wait while `method` is held; False if the client went away meanwhile."""
        with self._changed:
            hold = self._hold
            if hold is None or method.lower() not in hold[0]:
                return True
            if hold[1] > 0:
                self._hold = (hold[0], hold[1] - 1)
                return True
            self._new_release_event()
            event = self._release
            self.held += 1
            self._changed.notify_all()
        assert event is not None
        try:
            await event.wait()
        finally:
            with self._changed:
                self.held -= 1
        await asyncio.sleep(0.05)  # let a closed connection's end-of-file arrive
        if reader is not None and reader.at_eof():
            with self._changed:
                self.dropped.append(method)
                self._changed.notify_all()
            return False
        return True

    def _group_flood(self, method: str, params: dict[str, Any]) -> _ApiError | None:
        """Telegram's flood limit for groups (`group_limit` messages within 60 s), if it is set."""
        chat_id = params.get("chat_id")
        if (self.group_limit is None or method not in _FLOOD_METHODS
                or not isinstance(chat_id, int) or chat_id >= 0):
            return None
        sends, now = self._group_sends[chat_id], time.monotonic()
        while sends and sends[0] <= now - 60:
            sends.popleft()
        if len(sends) < self.group_limit:
            return None
        retry = max(1, math.ceil(sends[0] + 60 - now))
        return _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _injected_failure(self, method: str) -> _ApiError | None:
        queue = self._failures.get(method.lower())
        if queue:
            status, retry_after, description = queue.popleft()
            if status == 429:
                return _ApiError(
                    429,
                    description or f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            return _ApiError(status, description or _phrase(status))
        if (method in _FLOOD_METHODS and self.flood_rate > 0
                and self._rng.random() < self.flood_rate):
            retry = self.flood_retry_after
            return _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        return None

    # ------------------------------------------------------------------ injecting updates

    def push_update(self, raw: dict[str, Any], *, update_id: int | None = None) -> int:
        """Queue a raw update (without or with "update_id") for getUpdates; its id is returned.

        An id given here or in `raw` is kept as it is, even one already delivered or confirmed:
        such an update is delivered once more (Telegram re-sending an update), sorted by id into
        the batch it goes out with."""
        payload = copy.deepcopy(raw)
        if update_id is None:
            update_id = payload.get("update_id")
        with self._lock:
            forced = update_id is not None
            if update_id is None:
                update_id = self._next_update_id
            self._next_update_id = max(self._next_update_id, update_id + 1)
            payload["update_id"] = update_id
            self._remember(payload)
            self._updates.append(_Update(update_id, payload, forced))
            if forced:
                self._forced_in_queue += 1
        self._wake_pollers()
        return update_id

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str = "Alice",
        username: str | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
    ) -> int:
        """A user writes `text` (a "/command" gets its bot_command entity); returns the
        message_id of the user's message. `thread_id`: in that forum topic (see `add_topic`);
        `date`: sent at that Unix time (default: now), e.g. sent earlier and delivered late."""
        return self._user_message(
            chat_id, user_id, _text_content(text), first_name=first_name, username=username,
            chat_type=chat_type, reply_to_message_id=reply_to_message_id, thread_id=thread_id,
            date=date,
        )

    def send_as_chat(
        self,
        chat_id: int,
        sender_chat_id: int,
        text: str,
        *,
        title: str | None = None,
        signature: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
    ) -> int:
        """A member writes `text` in the group `chat_id` as a chat, as Telegram lets them: as a
        channel (`sender_chat_id` another chat, a "channel" named `title`; `from` is Telegram's
        Channel_Bot), or as the group itself, i.e. an anonymous admin (`sender_chat_id ==
        chat_id`; `from` is GroupAnonymousBot, `signature` the admin's title as
        `author_signature`). Returns the message_id."""
        with self._lock:
            if sender_chat_id == chat_id:
                sender = self._chat_json(chat_id)
                author = _ANONYMOUS_ADMIN
            else:
                sender = {"id": sender_chat_id, "type": "channel",
                          "title": title or f"Channel {abs(sender_chat_id)}"}
                author = _CHANNEL_BOT
        extra: dict[str, Any] = {"sender_chat": sender}
        if signature:
            extra["author_signature"] = signature
        return self._user_message(
            chat_id, author["id"], {**_text_content(text), **extra}, author=author,
            reply_to_message_id=reply_to_message_id, thread_id=thread_id, date=date,
        )

    def add_topic(self, chat_id: int, name: str = "Topic", *, user_id: int = 1,
                  first_name: str = "Alice") -> int:
        """Make the supergroup `chat_id` a forum and open a topic in it, as a member does; returns
        the topic's `message_thread_id`, which is (as in Telegram) the id of its first message, the
        `forum_topic_created` service message. That message is not sent to the bot."""
        with self._lock:
            user = self._user_json(user_id, first_name, None)
            self._chat_for_user(chat_id, user, "supergroup")
            self._chats[chat_id]["is_forum"] = True
            thread_id = self._take_message_id(chat_id)
            self._messages[(chat_id, thread_id)] = {
                "message_id": thread_id, "from": user, "chat": self._chat_json(chat_id),
                "date": int(time.time()), "message_thread_id": thread_id, "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": 7322096},
            }
            self._topics[chat_id].add(thread_id)
        return thread_id

    def migrate_group(
        self, chat_id: int, new_chat_id: int | None = None, *, user_id: int = 1,
        first_name: str = "Alice", announce: bool = True,
    ) -> int:
        """Upgrade the group `chat_id` to a supergroup, as Telegram does (a group that grows, or
        gets a setting only supergroups have): the supergroup has a new id (`new_chat_id`, by
        default -100… made from the old one) and the group's title; every call that names the old
        id answers 400 "group chat was upgraded to a supergroup chat" with
        `parameters.migrate_to_chat_id`; with `announce`, the bot gets the service messages, one
        with `migrate_to_chat_id` in the old chat, then one with `migrate_from_chat_id` in the new.
        Returns the new id."""
        new_id = new_chat_id if new_chat_id is not None else -(10**12 + abs(chat_id))
        updates: list[dict[str, Any]] = []
        with self._lock:
            user = self._user_json(user_id, first_name, None)
            old = self._chat_json(chat_id)
            title = old.get("title", f"Test group {abs(chat_id)}")
            self._chats[new_id] = {"id": new_id, "type": "supergroup", "title": title}
            services = ((old, "migrate_to_chat_id", new_id),
                        (self._chats[new_id], "migrate_from_chat_id", chat_id))
            for chat, field_name, value in services if announce else ():
                message_id = self._take_message_id(chat["id"])
                message = {"message_id": message_id, "from": user, "chat": dict(chat),
                           "date": int(time.time()), field_name: value}
                self._messages[(chat["id"], message_id)] = message
                updates.append({"message": copy.deepcopy(message)})
            self._migrated[chat_id] = new_id
        for raw in updates:
            self.push_update(raw)
        return new_id

    def press_button(self, chat_id: int, user_id: int, message_id: int, data: str, *,
                     first_name: str = "Alice", username: str | None = None,
                     too_old: bool = False) -> str:
        """A user presses the inline button with callback `data` under the bot's message
        `message_id`; returns the callback query's id (what answerCallbackQuery gets).
        `too_old`: the press waits longer than Telegram lets a query be answered (the bot was
        down when it was pressed), so answerCallbackQuery answers 400 "query is too old…"."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id} to press a button on")
            query_id = str(8_000_000_000_000_000_000 + next(self._counter))
            self._callbacks[query_id] = (chat_id, too_old)  # an expired query answers as an answered one
            raw = {
                "callback_query": {
                    "id": query_id,
                    "from": self._user_json(user_id, first_name, username),
                    "message": copy.deepcopy(message),
                    "chat_instance": str(abs(chat_id) * 7919 + 1_000_003),
                    "data": data,
                }
            }
        self.push_update(raw)
        return query_id

    def send_sticker(self, chat_id: int, user_id: int, *, emoji: str = "👍",
                     first_name: str = "Alice", username: str | None = None) -> int:
        file_id, unique_id = self._new_file(None, "stickers", "webp")
        sticker = {
            "file_id": file_id, "file_unique_id": unique_id, "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": emoji,
            "file_size": 20_000,
        }
        return self._user_message(chat_id, user_id, {"sticker": sticker},
                                  first_name=first_name, username=username)

    def send_photo(self, chat_id: int, user_id: int, *, caption: str | None = None,
                   data: bytes | None = None, first_name: str = "Alice",
                   username: str | None = None) -> int:
        """A user sends a photo (`data`, if given, is what getFile then serves)."""
        content: dict[str, Any] = {"photo": self._photo_sizes(data)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, user_id, content, first_name=first_name,
                                  username=username)

    def send_voice(self, chat_id: int, user_id: int, *, duration: int = 3,
                   data: bytes | None = None, first_name: str = "Alice",
                   username: str | None = None) -> int:
        file_id, unique_id = self._new_file(data, "voice", "oga")
        voice = {"file_id": file_id, "file_unique_id": unique_id, "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(data) if data else 12_000}
        return self._user_message(chat_id, user_id, {"voice": voice},
                                  first_name=first_name, username=username)

    def send_document(self, chat_id: int, user_id: int, *, file_name: str = "answer.txt",
                      mime_type: str = "text/plain", data: bytes | None = None,
                      caption: str | None = None, first_name: str = "Alice",
                      username: str | None = None) -> int:
        file_id, unique_id = self._new_file(data, "documents", file_name.rpartition(".")[2])
        document = {"file_id": file_id, "file_unique_id": unique_id, "file_name": file_name,
                    "mime_type": mime_type, "file_size": len(data) if data else 1_000}
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, user_id, content, first_name=first_name,
                                  username=username)

    def edit_text(self, chat_id: int, user_id: int, message_id: int, new_text: str) -> int:
        """A user edits their text message: an edited_message update; returns its message_id."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            if message is None or message.get("from", {}).get("id") != user_id:
                raise KeyError(f"user {user_id} has no message {message_id} in chat {chat_id}")
            message["text"] = new_text
            message["edit_date"] = int(time.time())
            if new_text.startswith("/"):
                command = new_text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command)}
                ]
            else:
                message.pop("entities", None)
            raw = {"edited_message": copy.deepcopy(message)}
        self.push_update(raw)
        return message_id

    def _user_message(
        self,
        chat_id: int,
        user_id: int,
        content: dict[str, Any],
        *,
        first_name: str = "Alice",
        username: str | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
        author: dict[str, Any] | None = None,
    ) -> int:
        with self._lock:
            user = (dict(author) if author is not None
                    else self._user_json(user_id, first_name, username))
            chat = self._chat_for_user(chat_id, user, chat_type)
            message_id = self._take_message_id(chat_id)
            message: dict[str, Any] = {
                "message_id": message_id, "from": user, "chat": chat,
                "date": int(time.time()) if date is None else date,
            }
            if thread_id is not None:
                if thread_id not in self._topics.get(chat_id, ()):
                    raise KeyError(f"no topic {thread_id} in chat {chat_id} (see add_topic)")
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            reply_to = reply_to_message_id if reply_to_message_id is not None else thread_id
            if reply_to is not None:  # in a topic, a message replying to nothing replies to its first
                target = self._messages.get((chat_id, reply_to))
                if target is not None:
                    message["reply_to_message"] = _without_reply(target)
            message.update(content)
            self._messages[(chat_id, message_id)] = message
            raw = {"message": copy.deepcopy(message)}
        self.push_update(raw)
        return message_id

    def _user_json(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name,
                                "language_code": "en"}
        if username:
            user["username"] = username
        self._users[user_id] = user
        return dict(user)

    def _chat_for_user(self, chat_id: int, user: dict[str, Any], chat_type: str | None
                       ) -> dict[str, Any]:
        known = self._chats.get(chat_id, {})  # a group keeps its type (a basic "group", a forum)
        chat_type = chat_type or ("private" if chat_id > 0 else known.get("type", "supergroup"))
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat = {"id": chat_id, "type": chat_type,
                    "title": known.get("title", f"Test group {abs(chat_id)}")}
            if known.get("is_forum"):
                chat["is_forum"] = True
        self._chats[chat_id] = chat
        return dict(chat)

    def _remember(self, payload: dict[str, Any]) -> None:
        """Keep what a raw update tells about chats, users, messages and callback queries."""
        for key in ("message", "edited_message", "channel_post"):
            message = payload.get(key)
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat_id = message["chat"].get("id")
                message_id = message.get("message_id")
                if isinstance(chat_id, int) and isinstance(message_id, int):
                    self._chats.setdefault(chat_id, dict(message["chat"]))
                    if key != "edited_message" or (chat_id, message_id) not in self._messages:
                        self._messages.setdefault((chat_id, message_id), copy.deepcopy(message))
                    nxt = self._next_message_id
                    nxt[chat_id] = max(nxt[chat_id], message_id + 1)
        query = payload.get("callback_query")
        if isinstance(query, dict) and "id" in query and query["id"] not in self._callbacks:
            chat_id = ((query.get("message") or {}).get("chat") or {}).get("id")
            self._callbacks[str(query["id"])] = (chat_id, False)

    def _wake_pollers(self) -> None:
        loop = self._loop
        if loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting
                loop.call_soon_threadsafe(self._resolve_waiters)

    def _resolve_waiters(self) -> None:
        """Wake every waiting getUpdates (runs in the server's loop)."""
        waiters, self._poll_waiters = self._poll_waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

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
                    body = await _read_body(reader, headers)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                connection = headers.get("connection", "").lower()
                keep_alive = (connection != "close") if version == "HTTP/1.1" else (
                    connection == "keep-alive")
                status, content_type, payload = await self._respond(verb, target, headers, body, reader)
                head_out = (
                    f"HTTP/1.1 {status} {_phrase(status)}\r\n"
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
                status, answer = 401, _error_body(401, "Unauthorized")
            elif not method or "/" in method:
                status, answer = 404, _error_body(404, "Not Found")
            else:
                status, answer = await self._call(method, url.query, headers, body, reader)
            content_type, payload = "application/json", answer
        else:
            status, content_type = 404, "application/json"
            payload = _error_body(404, "Not Found")
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return status, content_type, payload

    def _download(self, rest: str) -> tuple[int, str, bytes]:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return 401, "application/json", _error_body(401, "Unauthorized")
        with self._lock:
            file_id = self._file_paths.get(file_path)
            data = self._files[file_id][1] if file_id else None
        if data is None:
            return 404, "application/json", _error_body(404, "Not Found")
        return 200, "application/octet-stream", data

    async def _call(self, method: str, query: str, headers: dict[str, str], body: bytes,
                    reader: asyncio.StreamReader | None = None
                    ) -> tuple[int, bytes]:
        try:
            params, files = _parse_params(query, headers.get("content-type", ""), body)
        except ValueError as exc:
            return 400, _error_body(400, f"Bad Request: {exc}")
        key = method.lower()
        if key == "getupdates":
            with self._changed:
                failure = self._injected_failure("getUpdates")
                if failure is not None:
                    self._record("getUpdates", params, files, None, failure)
            if failure is not None:
                return failure.status, _error_body(failure.status, failure.description,
                                                   failure.parameters)
            return await self._get_updates(params)
        known = self._handlers.get(key)
        name = known[0] if known else method
        if not await self._pass_hold(name, reader):
            return 499, _error_body(499, "Client Closed Request: the call never took effect")
        with self._changed:
            try:
                if known is None:
                    raise _ApiError(404, "Not Found: method not found")
                failure = self._injected_failure(name) or self._group_flood(name, params)
                if failure is not None:
                    raise failure
                try:
                    result = known[1](params, files)
                except (TypeError, ValueError, KeyError, AttributeError) as exc:  # bad params
                    raise _bad_request(f"{type(exc).__name__}: {exc}") from exc
            except _ApiError as exc:
                self._record(name, params, files, None, exc)
                return exc.status, _error_body(exc.status, exc.description, exc.parameters)
            self._record(name, params, files, result, None)
        return 200, _ok_body(result)

    def _record(self, method: str, params: dict[str, Any], files: dict[str, bytes],
                result: Any, error: _ApiError | None) -> None:
        chat_id = params.get("chat_id")
        if method == "answerCallbackQuery":
            chat_id = self._callbacks.get(str(params.get("callback_query_id")), (None, False))[0]
        if isinstance(result, dict) and isinstance(result.get("chat"), dict):
            chat_id = result["chat"].get("id", chat_id)
        text = params.get("text") if "text" in params else params.get("caption")
        photo = files.get("photo")
        if photo is None and method == "sendPhoto":
            photo = self._photo_bytes(result)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None and isinstance(params.get("message_id"), int):
            message_id = params["message_id"]
        call = SentCall(
            method=method,
            chat_id=chat_id,
            text=text if isinstance(text, str) else None,
            params=params,
            photo=photo,
            message_id=message_id,
            time=time.monotonic(),
            status=error.status if error else 200,
            error=error.description if error else None,
            result=result,
        )
        if error is not None:
            self.rejected.append(call)
        else:
            self.calls.append(call)
            if method in _SENT_METHODS:
                self.sent.append(call)
                if chat_id is not None:
                    self._sent_by_chat[chat_id].append(call)
            if (self.group_limit is not None and method in _FLOOD_METHODS
                    and isinstance(chat_id, int) and chat_id < 0):
                self._group_sends[chat_id].append(call.time)
        self._changed.notify_all()

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, bytes]:
        loop = self._loop
        assert loop is not None
        if self._webhook_url:
            return 409, _error_body(409, "Conflict: can't use getUpdates method while webhook "
                                         "is active; use deleteWebhook to delete the webhook "
                                         "first")
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            return 400, _error_body(400, "Bad Request: wrong parameter value")
        allowed = params.get("allowed_updates")
        with self._lock:
            if "offset" in params:  # a polling loop's call (a look without an offset confirms nothing)
                self.poll_count += 1
            if isinstance(allowed, list):
                self._allowed_updates = frozenset(allowed) if allowed else None
        # A newer getUpdates ends the waiting older ones, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._resolve_waiters()
        deadline = loop.time() + timeout
        while True:
            # Registered before looking, so an update pushed after the look wakes this one.
            waiter: asyncio.Future[None] = loop.create_future()
            self._poll_waiters.add(waiter)
            try:
                with self._lock:
                    batch = self._collect(offset, limit)
                if batch:
                    return 200, _ok_body(batch)
                if generation != self._poll_generation:
                    return 409, _error_body(
                        409, "Conflict: terminated by other getUpdates request; make sure that "
                             "only one bot instance is running")
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return 200, _ok_body([])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, remaining)
            finally:
                self._poll_waiters.discard(waiter)

    def _collect(self, offset: int, limit: int) -> list[dict[str, Any]]:
        queue = self._updates
        if offset > 0:
            if self._forced_in_queue:
                kept = [u for u in queue
                        if u.update_id >= offset or (u.forced and not u.delivered)]
                queue.clear()
                queue.extend(kept)
                self._forced_in_queue = sum(1 for u in kept if u.forced)
            else:
                while queue and queue[0].update_id < offset:
                    queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                if queue.popleft().forced:
                    self._forced_in_queue -= 1
        allowed = self._allowed_updates
        batch: list[_Update] = []
        for update in queue:
            if (update.kind in allowed) if allowed is not None else (
                    update.kind not in _NOT_BY_DEFAULT):
                batch.append(update)
                if len(batch) >= limit:
                    break
        for update in batch:
            update.delivered = True
        batch.sort(key=lambda u: u.update_id)
        return [copy.deepcopy(u.payload) for u in batch] if batch else []

    # ------------------------------------------------------------------ methods

    def _get_me(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            **self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._webhook_url = ""
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
            self._forced_in_queue = 0
        return True

    def _set_webhook(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        url = p.get("url")
        if not isinstance(url, str):
            raise _bad_request("bad webhook: Webhook URL must be provided")
        self._webhook_url = url
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
            self._forced_in_queue = 0
        return True

    def _get_webhook_info(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {"url": self._webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _commands_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    def _set_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("parameter \"commands\" must be an array of at most 100 commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _COMMAND.fullmatch(name) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_INVALID")
        self._commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> list[Any]:
        return copy.deepcopy(self._commands.get(self._commands_key(p), []))

    def _delete_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _send_message(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        plain = self._formatted(text, p.get("parse_mode"))
        if not plain.strip():
            raise _bad_request("message text is empty")
        if _utf16_length(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        message = self._bot_message(chat_id, p)
        message["text"] = plain
        if isinstance(p.get("entities"), list):
            message["entities"] = p["entities"]
        if isinstance(p.get("link_preview_options"), dict):
            message["link_preview_options"] = p["link_preview_options"]
        return self._store(chat_id, message, p)

    def _send_photo(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        data = files.get("photo")
        if data is None:
            reference = p.get("photo")
            if not isinstance(reference, str) or not reference:
                raise _bad_request("there is no photo in the request")
            if reference in self._files:
                data = self._files[reference][1]
            elif not reference.startswith(("http://", "https://")):
                raise _bad_request("wrong file identifier/HTTP URL specified")
        caption = p.get("caption")
        message = self._bot_message(chat_id, p)
        message["photo"] = self._photo_sizes(data)
        if isinstance(caption, str) and caption:
            plain = self._formatted(caption, p.get("parse_mode"))
            if _utf16_length(plain) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            message["caption"] = plain
        return self._store(chat_id, message, p)

    def _edit_target(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        message_id = p.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    def _edit_message_text(self, p: dict[str, Any], files: dict[str, bytes]
                           ) -> dict[str, Any] | bool:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        plain = self._formatted(text, p.get("parse_mode"))
        if _utf16_length(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        if p.get("inline_message_id"):
            return True
        message = self._edit_target(p)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        markup = _inline_markup(p.get("reply_markup"))
        if plain == message["text"] and markup == message.get("reply_markup"):
            raise _not_modified()
        message["text"] = plain
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, p: dict[str, Any], files: dict[str, bytes]
                                   ) -> dict[str, Any] | bool:
        if p.get("inline_message_id"):
            return True
        message = self._edit_target(p)
        markup = _inline_markup(p.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _not_modified()
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _answer_callback_query(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        chat_id, answered = self._callbacks.get(query_id, (None, True))
        if answered:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid")
        self._callbacks[query_id] = (chat_id, True)
        return True

    def _send_chat_action(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat_id(p)
        if not p.get("action"):
            raise _bad_request("action is empty")
        return True

    def _get_chat_member(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        user_id = p.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        if user_id == self.bot_id:
            user = {"id": self.bot_id, "is_bot": True, "first_name": self.bot_user["first_name"],
                    "username": self.bot_username}
        else:
            user = dict(self._users.get(user_id) or
                        {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"})
        if user_id in self.admins.get(chat_id, ()):
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, "can_promote_members": False,
                    **{right: True for right in _ADMIN_RIGHTS}}
        return {"status": "member", "user": user}

    def _get_chat(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        return {
            **self._chat_json(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                    "unique_gifts": False, "premium_subscription": False,
                                    "gifts_from_channels": False},
        }

    def _delete_message(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        key = (self._chat_id(p), p.get("message_id"))
        if self._messages.pop(key, None) is None:  # type: ignore[arg-type]
            raise _bad_request("message to delete not found")
        return True

    def _get_file(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        file_id = p.get("file_id")
        known = self._files.get(file_id) if isinstance(file_id, str) else None
        if known is None:
            raise _bad_request("invalid file_id")
        unique_id, data, path = known
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id,
                                  "file_path": path}
        if data is not None:
            result["file_size"] = len(data)
        return result

    # ------------------------------------------------------------------ method helpers

    def _chat_id(self, p: dict[str, Any]) -> int:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad_request("chat not found")
        if chat_id in self._migrated:
            raise _ApiError(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[chat_id]})
        return chat_id

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            user = self._users.get(chat_id)
            chat = {"id": chat_id, "type": "private",
                    "first_name": user["first_name"] if user else f"User {chat_id}"}
            if user and "username" in user:
                chat["username"] = user["username"]
            return chat
        return {"id": chat_id, "type": "supergroup", "title": f"Test group {abs(chat_id)}"}

    def _take_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_message(self, chat_id: int, p: dict[str, Any]) -> dict[str, Any]:
        """A new message from the bot (its id not yet taken), with the reply it asks for."""
        message: dict[str, Any] = {
            "message_id": 0, "from": dict(self.bot_user), "chat": self._chat_json(chat_id),
            "date": int(time.time()),
        }
        reply = p.get("reply_parameters")
        if not isinstance(reply, dict):
            reply = {"message_id": p["reply_to_message_id"]} if isinstance(
                p.get("reply_to_message_id"), int) else None
            if reply is not None and p.get("allow_sending_without_reply") is True:
                reply["allow_sending_without_reply"] = True
        if reply is not None:
            key = (reply.get("chat_id", chat_id), reply.get("message_id"))
            target = self._messages.get(key)  # type: ignore[arg-type]
            if target is not None:
                message["reply_to_message"] = _without_reply(target)
            elif reply.get("allow_sending_without_reply") is not True:
                raise _bad_request("message to be replied not found")
        thread_id = p.get("message_thread_id")
        if isinstance(thread_id, int):
            if self._chats.get(chat_id, {}).get("is_forum"):  # a topic of a forum
                if thread_id not in self._topics.get(chat_id, ()):
                    raise _bad_request("message thread not found")
                message["is_topic_message"] = True
            message["message_thread_id"] = thread_id
        return message

    def _store(self, chat_id: int, message: dict[str, Any], p: dict[str, Any]
               ) -> dict[str, Any]:
        message["message_id"] = self._take_message_id(chat_id)
        _set_markup(message, _inline_markup(p.get("reply_markup")))
        self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def _formatted(self, text: str, parse_mode: Any) -> str:
        """The text as Telegram shows it; HTML markup is checked like Telegram does."""
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            return _html_to_plain(text) if self.validate_html else text
        return text

    def _new_file(self, data: bytes | None, folder: str, extension: str) -> tuple[str, str]:
        with self._lock:
            number = next(self._counter)
            file_id = f"AgACAgIAAxkBAAI{number:06d}FakeFileId"
            unique_id = f"AQAD{number:06d}"
            path = f"{folder}/file_{number}.{extension or 'bin'}"
            self._files[file_id] = (unique_id, data, path)
            self._file_paths[path] = file_id
        return file_id, unique_id

    def _photo_sizes(self, data: bytes | None) -> list[dict[str, Any]]:
        width, height = _image_size(data) or (1280, 960)
        file_id, unique_id = self._new_file(data, "photos", "png" if _is_png(data) else "jpg")
        thumb_id, thumb_unique = self._new_file(data, "photos", "jpg")
        scale = min(1.0, 90 / max(width, height, 1))
        size = len(data) if data else 50_000
        return [
            {"file_id": thumb_id, "file_unique_id": thumb_unique,
             "width": max(1, round(width * scale)), "height": max(1, round(height * scale)),
             "file_size": min(size, 1_500)},
            {"file_id": file_id, "file_unique_id": unique_id, "width": width,
             "height": height, "file_size": size},
        ]

    def _photo_bytes(self, result: Any) -> bytes | None:
        if isinstance(result, dict) and result.get("photo"):
            known = self._files.get(result["photo"][-1]["file_id"])
            return known[1] if known else None
        return None


# ---------------------------------------------------------------------- PTB in a thread


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


# ---------------------------------------------------------------------- helpers


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _ok_body(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def _error_body(status: int, description: str, parameters: dict[str, Any] | None = None
                ) -> bytes:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json.dumps(body, ensure_ascii=False).encode()


def _not_modified() -> _ApiError:
    return _bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _text_content(text: str) -> dict[str, Any]:
    """A user's text message (a "/command" gets its bot_command entity)."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return content


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    nested = copy.deepcopy(message)
    nested.pop("reply_to_message", None)
    return nested


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """The markup a Message echoes: inline keyboards only (reply keyboards are not echoed).
    Callback data over Telegram's 64 bytes is refused as Telegram does."""
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        for row in markup["inline_keyboard"]:
            for button in row if isinstance(row, list) else ():
                data = button.get("callback_data") if isinstance(button, dict) else None
                if isinstance(data, str) and len(data.encode()) > MAX_CALLBACK_DATA:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup) if markup["inline_keyboard"] else None
    return None


def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup


def _utf16_length(text: str) -> int:
    """Telegram's length of a text: its UTF-16 code units (a character beyond U+FFFF counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _html_to_plain(text: str) -> str:
    """Check Telegram-style HTML (known tags, balanced) and return the visible text."""
    out: list[str] = []
    stack: list[str] = []
    position = 0

    def fail(what: str, at: int, detail: str = "") -> _ApiError:
        offset = len(text[:at].encode("utf-8"))
        return _bad_request(f"can't parse entities: {what} at byte offset {offset}{detail}")

    while True:
        start = text.find("<", position)
        if start < 0:
            out.append(text[position:])
            break
        out.append(text[position:start])
        end = text.find(">", start)
        if end < 0:
            raise fail("Unclosed start tag", start)
        inside = text[start + 1:end]
        match = _TAG_NAME.match(inside)
        name = match.group(1).lower() if match else ""
        closing = inside.startswith("/")
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported {"end" if closing else "start"} tag "{name}"', start)
        if closing:
            if not stack or stack[-1] != name:
                expected = f'expected "</{stack[-1]}>", ' if stack else ""
                raise fail("Unmatched end tag", start, f', {expected}found "</{name}>"')
            stack.pop()
        elif not inside.endswith("/"):
            stack.append(name)
        position = end + 1
    if stack:
        raise _bad_request(
            f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out))


def _is_png(data: bytes | None) -> bool:
    return bool(data) and data[:8] == b"\x89PNG\r\n\x1a\n"  # type: ignore[index]


def _image_size(data: bytes | None) -> tuple[int, int] | None:
    if data and _is_png(data) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or 0)
    if length < 0:
        raise ValueError("negative Content-Length")
    return await reader.readexactly(length) if length else b""


def _decode(name: str, value: str) -> Any:
    """A form value as the Bot API reads it: PTB JSON-encodes every non-string value."""
    if name in _STRING_PARAMS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if value[:1] in ("{", "[") or name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_params(query: str, content_type: str, body: bytes
                  ) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = _decode(name, value)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        pass
    elif media_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ValueError("can't parse JSON object") from exc
        if not isinstance(data, dict):
            raise ValueError("JSON object expected")
        for name, value in data.items():
            if name in _JSON_PARAMS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[name] = value
    elif media_type == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not match:
            raise ValueError("multipart body without boundary")
        for name, filename, content in _multipart_parts(body, match.group(1).encode("latin-1")):
            if filename is not None:
                files[name] = content
            else:
                params[name] = _decode(name, content.decode("utf-8", "replace"))
    else:  # application/x-www-form-urlencoded, or anything form-like
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            params[name] = _decode(name, value)
    for name, value in list(params.items()):  # "attach://<part>" names an uploaded part
        if isinstance(value, str) and value.startswith("attach://"):
            part = value[len("attach://"):]
            if part in files:
                files[name] = files.pop(part)
                del params[name]
    return params, files


def _multipart_parts(body: bytes, boundary: bytes
                     ) -> Iterable[tuple[str, str | None, bytes]]:
    delimiter = b"--" + boundary
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        if part.endswith(b"\r\n"):
            part = part[:-2]
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        if name is None:
            continue
        filename = re.search(r'filename\*?="?([^";]*)"?', disposition)
        yield name.group(1), (filename.group(1) if filename else None), content
