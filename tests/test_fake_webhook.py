"""Webhook delivery of the fake Bot API server, over real HTTP: small http.server receivers (and two
real PTB webhook applications) play the bot workers behind one load balancer."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from mockbot_testing.fake_api import ApplicationThread, FakeBotApi

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

SECRET = "s3cret-token_1"


@dataclass
class Received:
    """One POST a receiver got: which receiver, the update, its headers, the status answered."""

    target: str
    update: dict[str, Any]
    headers: dict[str, str]
    status: int

    @property
    def chat_id(self) -> int:
        return self.update["message"]["chat"]["id"]

    @property
    def text(self) -> str:
        return self.update["message"]["text"]


@dataclass
class Journal:
    """Every POST of every receiver, in the order they arrived."""

    entries: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, entry: Received) -> None:
        with self.changed:
            self.entries.append(entry)
            self.changed.notify_all()

    def wait_until(self, condition: Callable[[list[Received]], bool], timeout: float = 10.0
                   ) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: condition(self.entries), timeout):
                raise AssertionError(f"not reached within {timeout}s: {self.entries!r}")

    def confirmed(self) -> list[Received]:
        with self.changed:
            return [entry for entry in self.entries if 200 <= entry.status < 300]


class Receiver:
    """A webhook receiver on 127.0.0.1 (HTTP/1.0: a connection per request, so a stopped one
    refuses the next): records each POST in the journal, then answers 200, or 500 for the first
    `fail_first`; a POST for which `hold` is true waits for `release` first."""

    def __init__(self, name: str, journal: Journal) -> None:
        self.name = name
        self.journal = journal
        self.fail_first = 0
        self.hold: Callable[[dict[str, Any]], bool] = lambda update: False
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.answer(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        update = json.loads(body)
        with self._lock:
            failing = self.fail_first > 0
            self.fail_first -= failing
        status = 500 if failing else 200
        self.journal.add(Received(self.name, update, dict(handler.headers.items()), status))
        if self.hold(update):
            self.release.wait(10)
        answer = b'{"ok": true}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def receivers(journal: Journal) -> Iterator[tuple[Receiver, Receiver]]:
    first, second = Receiver("a", journal), Receiver("b", journal)
    yield first, second
    first.stop()
    second.stop()


def _get_updates(fake: FakeBotApi, **params: Any) -> httpx.Response:
    return httpx.post(f"{fake.base_url}{fake.token}/getUpdates", json=params, timeout=15)


def _refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nobody listens there now


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_every_update_arrives_once_round_robin_in_chat_order_with_the_secret(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    chats = (101, 102, -100777, 104)
    sent: dict[int, list[str]] = {chat: [] for chat in chats}
    for n in range(3):  # queued before delivery starts: they go out first
        for chat in chats:
            sent[chat].append(f"early {n}")
            fake.send_text(chat, abs(chat), f"early {n}")
    fake.deliver_by_webhook([r.url for r in receivers], secret_token=SECRET)
    for n in range(4):
        for chat in chats:
            sent[chat].append(f"late {n}")
            fake.send_text(chat, abs(chat), f"late {n}")
    fake.wait_for_webhook_idle(10)

    received = journal.confirmed()
    assert sorted(entry.update["update_id"] for entry in received) == list(range(1, 29))
    for chat in chats:
        assert [e.text for e in received if e.chat_id == chat] == sent[chat]
    by_target = [sum(1 for e in received if e.target == r.name) for r in receivers]
    assert by_target == [14, 14]  # taken in turn
    assert all(e.headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET for e in received)
    assert all(e.headers["Content-Type"] == "application/json" for e in received)
    assert (fake.webhook_deliveries, fake.webhook_attempts, fake.webhook_failures) == (28, 28, 0)
    assert fake.pending_updates == 0


def test_payloads_are_exactly_what_get_updates_returns_and_repeats_go_again(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    fake.send_text(7, 7, "/start")
    fake.press_button(7, 7, 1, "level:easy")
    fake.send_text(-1005, 8, "在群里 𝑥", chat_type="supergroup")
    looked = _get_updates(fake).json()["result"]  # a look without an offset confirms nothing
    fake.deliver_by_webhook([receivers[0].url])
    fake.wait_for_webhook_idle(10)
    assert sorted((e.update for e in journal.confirmed()), key=lambda u: u["update_id"]) == looked

    fake.push_update(looked[0], update_id=looked[0]["update_id"])  # Telegram sends it again
    fake.wait_for_webhook_idle(10)
    assert [e.update for e in journal.confirmed()][-1] == looked[0]
    assert fake.webhook_deliveries == 4


def test_a_chat_waits_for_its_confirmation_while_other_chats_go_on(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    for receiver in receivers:
        receiver.hold = lambda update: update["message"]["text"] == "slow 0"
    fake.deliver_by_webhook([r.url for r in receivers])
    fake.send_text(1, 1, "slow 0")
    fake.send_text(1, 1, "slow 1")
    for n in range(5):
        fake.send_text(2, 2, f"fast {n}")
    journal.wait_until(lambda entries: sum(e.chat_id == 2 for e in entries) == 5)
    fake.send_text(2, 2, "fast 5")
    journal.wait_until(lambda entries: sum(e.chat_id == 2 for e in entries) == 6)
    _wait_for(lambda: fake.pending_updates == 2)  # chat 2's are confirmed, chat 1's are not
    assert [e.text for e in journal.entries if e.chat_id == 1] == ["slow 0"]

    for receiver in receivers:
        receiver.release.set()
    fake.wait_for_webhook_idle(10)
    assert [e.text for e in journal.entries if e.chat_id == 1] == ["slow 0", "slow 1"]


def test_connections_caps_the_requests_in_flight(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    for receiver in receivers:
        receiver.hold = lambda update: True
    fake.deliver_by_webhook([r.url for r in receivers], connections=2)
    for chat in range(10, 16):
        fake.send_text(chat, chat, "hello")
    journal.wait_until(lambda entries: len(entries) == 2)
    assert fake.webhook_attempts == 2
    assert fake.pending_updates == 6

    receivers[0].hold = receivers[1].hold = lambda update: False
    receivers[0].release.set()
    receivers[1].release.set()
    fake.wait_for_webhook_idle(10)
    assert (fake.webhook_attempts, fake.webhook_deliveries) == (6, 6)


def test_a_500_is_delivered_again_to_the_other_target(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    first, second = receivers
    first.fail_first = 1
    fake.deliver_by_webhook([first.url, second.url], retry_delay=0.05)
    fake.send_text(5, 5, "answer")
    fake.wait_for_webhook_idle(10)

    assert [(e.target, e.status, e.text) for e in journal.entries] == [
        ("a", 500, "answer"), ("b", 200, "answer")]
    assert journal.entries[0].update == journal.entries[1].update
    assert (fake.webhook_attempts, fake.webhook_deliveries, fake.webhook_failures) == (2, 1, 1)


def test_an_answer_too_late_counts_as_a_failure(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    first, second = receivers
    first.hold = lambda update: True  # answers only once released, long after the time-out
    fake.deliver_by_webhook([first.url, second.url], retry_delay=0.05, timeout=0.3)
    fake.send_text(6, 6, "slow network")
    fake.wait_for_webhook_idle(10)
    first.release.set()

    assert [(e.target, e.text) for e in journal.entries] == [
        ("a", "slow network"), ("b", "slow network")]
    assert (fake.webhook_attempts, fake.webhook_deliveries, fake.webhook_failures) == (2, 1, 1)


def test_a_stopped_target_s_updates_go_to_the_other(
        fake: FakeBotApi, receivers: tuple[Receiver, Receiver], journal: Journal) -> None:
    first, second = receivers
    sent: dict[int, list[str]] = {30: [], 31: [], 32: []}
    fake.deliver_by_webhook([first.url, second.url], retry_delay=0.05)
    for n in range(4):
        sent[30 + n % 2].append(f"before {n}")
        fake.send_text(30 + n % 2, 30, f"before {n}")
    fake.wait_for_webhook_idle(10)
    assert {e.target for e in journal.confirmed()} == {"a", "b"}

    second.stop()  # the worker was killed: its port refuses connections
    for n in range(6):
        sent[30 + n % 3].append(f"after {n}")
        fake.send_text(30 + n % 3, 30, f"after {n}")
    fake.wait_for_webhook_idle(10)

    received = journal.confirmed()
    assert sorted(e.update["update_id"] for e in received) == list(range(1, 11))
    assert {e.target for e in received[4:]} == {"a"}
    for chat, texts in sent.items():
        assert [e.text for e in received if e.chat_id == chat] == texts
    assert fake.webhook_failures >= 3  # every other new update went to the dead one first
    assert fake.webhook_attempts == fake.webhook_deliveries + fake.webhook_failures


def test_get_updates_is_409_while_delivering_and_unconfirmed_updates_go_back(
        fake: FakeBotApi) -> None:
    waiting: list[httpx.Response] = []
    poller = threading.Thread(target=lambda: waiting.append(_get_updates(fake, timeout=5)))
    poller.start()
    _wait_for(lambda: bool(fake._poll_waiters))  # a long poll is waiting
    fake.deliver_by_webhook([_refused_url()], retry_delay=0.05)
    poller.join(10)
    assert waiting[0].status_code == 409

    first = fake.send_text(9, 9, "one")
    fake.send_text(9, 9, "two")
    answer = _get_updates(fake, offset=1)
    assert answer.status_code == 409
    assert "webhook is active" in answer.json()["description"]
    _wait_for(lambda: fake.webhook_failures >= 2)
    assert fake.pending_updates == 2 and fake.webhook_deliveries == 0
    with pytest.raises(TimeoutError, match="2 updates not confirmed"):
        fake.wait_for_webhook_idle(0.2)

    fake.stop_webhook_delivery()
    polled = _get_updates(fake, offset=1).json()["result"]
    assert [(u["update_id"], u["message"]["message_id"], u["message"]["text"]) for u in polled] == [
        (1, first, "one"), (2, first + 1, "two")]


def test_bad_arguments_and_a_second_start_are_refused(fake: FakeBotApi) -> None:
    with pytest.raises(ValueError):
        fake.deliver_by_webhook([])
    with pytest.raises(ValueError):
        fake.deliver_by_webhook(["ftp://127.0.0.1/hook"])
    with pytest.raises(ValueError):
        fake.deliver_by_webhook(["http://127.0.0.1:1/hook"], connections=0)
    fake.deliver_by_webhook([_refused_url()])
    with pytest.raises(RuntimeError, match="on already"):
        fake.deliver_by_webhook([_refused_url()])
    fake.stop()  # stops the delivery too
    assert fake._webhook is None and not fake.running


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_ptb_webhook_workers_share_the_chats(fake: FakeBotApi) -> None:
    served: list[tuple[str, int]] = []

    def worker(name: str, port: int) -> ApplicationThread:
        async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_chat is not None and update.message is not None
            served.append((name, update.effective_chat.id))
            await update.message.reply_text(f"hello from {name}")

        application = fake.application_builder().build()
        application.add_handler(CommandHandler("start", start))
        return ApplicationThread(application, webhook=(port, f"hook-{name}"))

    ports = _free_port(), _free_port()
    with worker("a", ports[0]), worker("b", ports[1]):
        fake.deliver_by_webhook([f"http://127.0.0.1:{ports[0]}/hook-a",
                                 f"http://127.0.0.1:{ports[1]}/hook-b"])
        for chat in (201, 202, 203, 204):
            fake.send_text(chat, chat, "/start")
        for chat in (201, 202, 203, 204):
            fake.wait_for(lambda c, chat=chat: c.method == "sendMessage" and c.chat_id == chat)
        fake.wait_for_webhook_idle(10)
    assert sorted(chat for _, chat in served) == [201, 202, 203, 204]
    assert {name for name, _ in served} == {"a", "b"}
