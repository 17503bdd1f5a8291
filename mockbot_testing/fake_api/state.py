"""What the fake Bot API server keeps, under one lock: the bot it plays, the chats, users, messages,
topics and files, the update queue, the recorded calls and the injected failures.

`ServerState` holds it; every part of the server (`chats`, `users`, `updates`, `methods`,
`recording`, `faults`, `server`) works on it as a mixin of `FakeBotApi`.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import random
import threading
from typing import TYPE_CHECKING, Any

from .records import QueuedUpdate, SentCall

if TYPE_CHECKING:
    from .webhook_run import WebhookRun

__all__ = ["ServerState", "DEFAULT_TOKEN"]

DEFAULT_TOKEN = "123456:TEST-TOKEN"


class ServerState:
    """The server's state (see the module's docstring); the attributes tests may set at any time are
    listed on `FakeBotApi`."""

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
        self.webhook_attempts = 0  # webhook POSTs sent
        self.webhook_deliveries = 0  # ... answered 2xx: the update is confirmed
        self.webhook_failures = 0  # ... refused, timed out or answered otherwise: sent again
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
        self._updates: collections.deque[QueuedUpdate] = collections.deque()
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
        self._webhook_secret: str | None = None  # setWebhook's secret_token
        self._webhook: WebhookRun | None = None  # webhook delivery, while it is on

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._poll_waiters: set[asyncio.Future[None]] = set()
        self._poll_generation = 0
