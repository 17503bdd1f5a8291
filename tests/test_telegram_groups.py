"""Group rounds in real chats: a busy group (replies judged by when they were sent, notices that
never hold up updates, other chats served meanwhile), a group upgraded to a supergroup in the
middle of a round, forum topics, and members who speak as channels or as anonymous admins. The
real PTB Application over HTTP against the fake Bot API server; storage on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from bot_process import until
from sqlalchemy import create_engine, text
from telegram.error import BadRequest, ChatMigrated, RetryAfter

from bot.engine import PracticeEngine
from bot.storage import RoundRecord, Store
from bot.storage.migrate import upgrade
from bot.telegram.app import build_application
from bot.telegram.ratelimit import PacedRateLimiter
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank
from questions.taxonomy import Taxonomy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GROUP = -1007070
CHAT = 7070  # a private chat: chat id == user id
ANN, BEN, CAI, DAN = 3001, 3002, 3003, 3004
MEMBERS = {ANN: "Ann", BEN: "Ben", CAI: "Cai", DAN: "Dan", 3005: "Eve", 3006: "Fay"}
OLD, OTHER = -4242, -4343  # basic groups, upgraded to supergroups in the tests
FORUM = -1008080  # a supergroup with topics
FAST = 0.2  # seconds: the private answer window (these tests send one message per answer)


@pytest.fixture()
def engine(database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = PracticeEngine(Store.open(database_url), bank, grader, taxonomy, rng=random.Random(11))
    yield built
    built.store.close()


def _bot(fake: FakeBotApi, engine: PracticeEngine, *, paced: bool = True) -> ApplicationThread:
    application = build_application(engine, fake.token, base_url=fake.base_url, answer_window=FAST, rate_limit=paced)
    return ApplicationThread(application)


def _in(chat: int, said: str = "") -> Callable[[SentCall], bool]:
    return lambda call: call.chat_id == chat and call.method == "sendMessage" and said in (call.text or "")


def _said(fake: FakeBotApi, chat: int, since: int, said: str = "") -> SentCall:
    """The bot's first message to `chat` from call `since` on that contains `said`."""
    return fake.wait_for(_in(chat, said), 20.0, since=since)


def _round(engine: PracticeEngine, chat: int, message_id: int, running: ApplicationThread) -> RoundRecord:
    """The chat's running round once it takes replies to `message_id` and its timer is set."""
    found: list[RoundRecord] = []

    def ready() -> bool:
        found[:] = [r for r in engine.store.active_rounds(f"tg:{chat}") if r.message_id == message_id]
        return bool(found) and bool(running.application.job_queue.get_jobs_by_name(f"round:{found[0].id}"))

    until(ready, 10.0, f"a round in {chat} to take replies to message {message_id}")
    return found[0]


def _time_up(running: ApplicationThread, round_id: int) -> None:
    """The open question's time is up: its timer runs now."""
    (job,) = running.application.job_queue.get_jobs_by_name(f"round:{round_id}")
    running.run(job.run(running.application), timeout=30.0)


def _answered(engine: PracticeEngine, record: RoundRecord, count: int) -> None:
    """Wait until the round has `count` answers stored (quicker than waiting for the notices)."""
    until(lambda: len(engine.store.round_answers(record.id)) >= count, 20.0, f"{count} answers to round {record.id}")


def _point(engine: PracticeEngine, record: RoundRecord, number: int = 0) -> str:
    return engine.bank.get(record.question_ids[record.current_index]).point_texts[number]  # type: ignore[union-attr]


def _names_said(fake: FakeBotApi, chat: int, since: int, marker: str = "") -> str:
    """Everything the bot said in `chat` from call `since` on in messages containing `marker`."""
    return "\n".join(c.text or "" for c in fake.calls[since:] if _in(chat, marker)(c))


def _until_named(fake: FakeBotApi, chat: int, since: int, names: Iterable[str], marker: str = "") -> str:
    """Wait until the bot has named everyone in `names` in `chat` (in messages containing
    `marker`), however its notices were gathered; returns all it said there."""
    names = list(names)
    until(lambda: all(n in _names_said(fake, chat, since, marker) for n in names), 20.0, f"{names} named in {chat}")
    return _names_said(fake, chat, since)


# ---------------------------------------------------------------- what the tests lean on


def test_the_fake_server_answers_for_groups_as_telegram_does(fake: FakeBotApi) -> None:
    topic = fake.add_topic(FORUM, "Topic")

    async def scenario() -> None:
        async with fake.bot() as bot:
            new = fake.migrate_group(OTHER)
            with pytest.raises(ChatMigrated) as moved:  # PTB reads parameters.migrate_to_chat_id
                await bot.send_message(OTHER, "hello")
            assert moved.value.new_chat_id == new
            sent = await bot.send_message(FORUM, "hello", message_thread_id=topic)
            assert sent.is_topic_message and sent.message_thread_id == topic
            with pytest.raises(BadRequest, match="(?i)message thread not found"):
                await bot.send_message(FORUM, "hello", message_thread_id=topic + 100)
            fake.group_limit = 2
            for number in range(2):
                await bot.send_message(GROUP, f"message {number}")
            with pytest.raises(RetryAfter):
                await bot.send_message(GROUP, "one too many this minute")
            await bot.send_message(CHAT, "a private chat has no such limit")
            fake.send_as_chat(GROUP, -1009001, "hello", title="频道甲")
            fake.send_as_chat(GROUP, GROUP, "hello", signature="主持人")
            fake.send_text(FORUM, ANN, "hello", thread_id=topic, date=1_700_000_000)
            to, came_from, channel, anonymous, topical = (update.message for update in await bot.get_updates())
        assert (to.chat.id, to.migrate_to_chat_id) == (OTHER, new)
        assert (came_from.chat.id, came_from.chat.type, came_from.migrate_from_chat_id) == (new, "supergroup", OTHER)
        assert (channel.sender_chat.title, channel.from_user.username) == ("频道甲", "Channel_Bot")
        assert (anonymous.sender_chat.id, anonymous.author_signature) == (GROUP, "主持人")
        assert anonymous.from_user.username == "GroupAnonymousBot"
        assert topical.is_topic_message and topical.message_thread_id == topic and topical.chat.is_forum
        assert topical.reply_to_message.forum_topic_created.name == "Topic"  # as Telegram: the topic's first message
        assert int(topical.date.timestamp()) == 1_700_000_000

    asyncio.run(scenario())


def test_a_look_up_in_a_group_does_not_wait_behind_the_groups_messages() -> None:
    limiter = PacedRateLimiter(group_rate=600)  # a slot every 0.1 s, to keep the test short
    done: list[str] = []

    async def request(what: str) -> None:
        done.append(what)

    async def scenario() -> None:
        await asyncio.gather(*(
            limiter.process_request(request, (what,), {}, endpoint, {"chat_id": GROUP}, None)
            for what, endpoint in (("message", "sendMessage"), ("message", "sendMessage"), ("admin?", "getChatMember"))
        ))

    asyncio.run(scenario())
    assert done == ["message", "admin?", "message"]  # the look-up took no slot of the group's messages


# ---------------------------------------------------------------- 1. a busy group round


def test_a_busy_round_counts_every_reply_sent_in_time_and_other_chats_do_not_wait(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    fake.group_limit = 20  # Telegram's flood limit for a group: more would be answered 429
    with _bot(fake, engine) as running:  # paced as for Telegram: 20 messages a minute to a group
        mark = len(fake.calls)
        fake.send_text(GROUP, ANN, "/mock 1 python 15", first_name="Ann")
        question = _said(fake, GROUP, mark, "模拟面试 第 1/1 题")
        record = _round(engine, GROUP, question.message_id, running)  # type: ignore[arg-type]
        mark = len(fake.calls)
        for user, name in MEMBERS.items():  # six replies within a second
            fake.send_text(GROUP, user, _point(engine, record), first_name=name, reply_to_message_id=question.message_id)
        fake.send_text(CHAT, CHAT, "/help")  # at the same time, in a private chat
        helped = fake.wait_for(lambda c: c.chat_id == CHAT and "/question" in (c.text or ""), 20.0, since=mark)
        _until_named(fake, GROUP, mark, MEMBERS.values(), "收到")
        acks = [c for c in fake.calls[mark:] if _in(GROUP, "收到")(c)]
        order = {id(call): number for number, call in enumerate(fake.calls)}
        assert order[id(helped)] < order[id(acks[0])]  # /help did not wait for the group's pace
        assert len(acks) < len(MEMBERS)  # gathered, not one message each

        # The question's time runs out (its deadline set 3 s back instead of waiting 15 s), and two
        # replies reach the bot only now: one sent 2 s before the deadline, one sent 2 s after it.
        deadline = datetime.now(timezone.utc) - timedelta(seconds=3)
        engine.store.update_round(record.id, deadline_at=deadline)
        sent_at = int(deadline.timestamp())
        mark = len(fake.calls)
        for user, name, when in ((3007, "Gus", sent_at - 2), (3008, "Hal", sent_at + 2)):
            fake.send_text(
                GROUP, user, _point(engine, record), first_name=name, reply_to_message_id=question.message_id, date=when
            )
        said = _until_named(fake, GROUP, mark, ("Gus", "Hal"))
    assert any("收到" in line and "Gus" in line for line in said.splitlines())
    assert any("已经结束" in line and "Hal" in line for line in said.splitlines())
    answers = engine.store.round_answers(record.id)
    assert sorted(a.display_name for a in answers) == sorted([*MEMBERS.values(), "Gus"])  # all six, and the one in time
    assert not [c for c in fake.rejected if c.status == 429]


# ---------------------------------------------------------------- 2. upgraded to a supergroup


def test_a_group_upgraded_to_a_supergroup_mid_round_carries_on_there(fake: FakeBotApi, engine: PracticeEngine) -> None:
    engine.store.update_user(f"tg:{OTHER}", language="en")  # one group's settings (the language of its /help)
    with _bot(fake, engine, paced=False) as running:  # not paced: the test is not about flood control
        # Telegram's service messages have not come yet: the bot learns it from its next send.
        mark = len(fake.calls)
        fake.send_text(OLD, ANN, "/mock 2 python 15", first_name="Ann", chat_type="group")
        first = _said(fake, OLD, mark, "第 1/2 题")
        record = _round(engine, OLD, first.message_id, running)  # type: ignore[arg-type]
        fake.send_text(OLD, ANN, _point(engine, record), first_name="Ann", reply_to_message_id=first.message_id)
        _said(fake, OLD, mark, "收到 Ann")
        new = fake.migrate_group(OLD, announce=False)
        mark = len(fake.calls)
        _time_up(running, record.id)
        assert "Ann" in _said(fake, new, mark, "谁答到了哪些要点").text  # type: ignore[operator]
        second = _said(fake, new, mark, "第 2/2 题")
        record = _round(engine, new, second.message_id, running)  # type: ignore[arg-type]
        fake.send_text(new, BEN, _point(engine, record), first_name="Ben", reply_to_message_id=second.message_id)
        fake.send_text(new, ANN, "/mock_stop", first_name="Ann")  # handled after Ben's answer: one chat's updates in order
        stopped = _said(fake, new, mark, "提前结束").text or ""
        assert "🥇" in stopped and "Ann" in stopped and "Ben" in stopped  # the leaderboard, there

        # The service messages come while a question is open: it is asked again in the supergroup.
        mark = len(fake.calls)
        fake.send_text(OTHER, CAI, "/mock 1 python 15", first_name="Cai", chat_type="group")
        asked = _said(fake, OTHER, mark, "第 1/1 题")
        record = _round(engine, OTHER, asked.message_id, running)  # type: ignore[arg-type]
        fake.send_text(OTHER, CAI, _point(engine, record), first_name="Cai", reply_to_message_id=asked.message_id)
        _answered(engine, record, 1)
        upgraded_at = time.monotonic()
        upgraded = fake.migrate_group(OTHER)
        again = _said(fake, upgraded, mark, "第 1/1 题")
        record = _round(engine, upgraded, again.message_id, running)  # type: ignore[arg-type]
        fake.send_text(upgraded, DAN, _point(engine, record), first_name="Dan", reply_to_message_id=again.message_id)
        _answered(engine, record, 2)
        _time_up(running, record.id)
        results = _said(fake, upgraded, mark, "谁答到了哪些要点").text or ""
        assert "Cai" in results and "Dan" in results  # the answer given before the upgrade counts
        _said(fake, upgraded, mark, "排行榜")
        fake.send_text(upgraded, DAN, "/help", first_name="Dan")
        _said(fake, upgraded, mark, "I ask ML interview questions")  # its settings moved with it
        delivery_retries = running.application.job_queue.get_jobs_by_name(f"round-delivery:tg:{OLD}")
    migrated = [c for c in fake.rejected if c.chat_id == OLD]
    assert len(migrated) == 1 and "upgraded to a supergroup" in (migrated[0].error or "")  # one refusal, then the new id
    assert not delivery_retries and not engine.store.pending(datetime.now(timezone.utc) + timedelta(seconds=1))
    assert not [c for c in fake.messages_to(OTHER) if c.time > upgraded_at]  # nothing more to the old chat
    for old in (OLD, OTHER):
        assert engine.store.active_rounds(f"tg:{old}") == [] and f"tg:{old}" not in engine.store.user_keys("tg:")


# ---------------------------------------------------------------- 3. forum topics


def test_each_forum_topic_runs_its_own_round_and_hears_all_of_it_there(fake: FakeBotApi, engine: PracticeEngine) -> None:
    first_topic, second_topic = fake.add_topic(FORUM, "模拟面试 A"), fake.add_topic(FORUM, "模拟面试 B")
    with _bot(fake, engine, paced=False) as running:
        mark = len(fake.calls)
        fake.send_text(FORUM, ANN, "/mock 1 python 15", first_name="Ann", thread_id=first_topic)
        asked_first = _said(fake, FORUM, mark, "模拟面试 第 1/1 题")
        fake.send_text(FORUM, BEN, "/mock 1 python 15", first_name="Ben", thread_id=second_topic)
        asked_second = _said(fake, FORUM, fake.calls.index(asked_first) + 1, "模拟面试 第 1/1 题")
        first = _round(engine, FORUM, asked_first.message_id, running)  # type: ignore[arg-type]
        second = _round(engine, FORUM, asked_second.message_id, running)  # type: ignore[arg-type]
        fake.send_text(FORUM, CAI, "/mock", first_name="Cai", thread_id=first_topic)
        _said(fake, FORUM, mark, "已经有一轮")
        for user, name, record, asked, topic in (
            (CAI, "Cai", first, asked_first, first_topic), (DAN, "Dan", second, asked_second, second_topic)
        ):
            fake.send_text(FORUM, user, _point(engine, record), first_name=name, thread_id=topic, reply_to_message_id=asked.message_id)
        _until_named(fake, FORUM, mark, ("Cai", "Dan"), "收到")
        fake.send_text(FORUM, BEN, "/mock_stop", first_name="Ben", thread_id=second_topic)
        _said(fake, FORUM, mark, "提前结束")
        assert [r.id for r in engine.store.active_rounds(f"tg:{FORUM}")] == [first.id]  # the other topic's round goes on
        _time_up(running, first.id)
        _said(fake, FORUM, mark, "排行榜")
    by_topic: dict[int | None, list[str]] = {}
    for call in fake.calls[mark:]:
        if _in(FORUM)(call):
            assert call.result.get("is_topic_message") is True, call.summary()
            by_topic.setdefault(call.result.get("message_thread_id"), []).append(call.text or "")
    assert set(by_topic) == {first_topic, second_topic}  # nothing went to General
    said_first, said_second = "\n".join(by_topic[first_topic]), "\n".join(by_topic[second_topic])
    for expected in ("已经有一轮", "收到 Cai", "谁答到了哪些要点", "排行榜"):
        assert expected in said_first
    assert "收到 Dan" in said_second and "提前结束" in said_second
    assert "Dan" not in said_first and "Cai" not in said_second


def test_rounds_stored_before_topics_run_on_after_the_upgrade(database_url: str) -> None:
    started = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    engine = create_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO rounds (id, chat_key, starter_key, question_ids, current_index, seconds, state, message_id, "
                "started_at, deadline_at) VALUES (1, 'tg:-5', 'tg:1', '[\"000-93d25c\"]', 0, 60, 0, 7, :at, :at)"
            ), {"at": started})
    finally:
        engine.dispose()
    with Store.open(database_url) as store:
        (record,) = store.active_rounds("tg:-5", 0)  # a round of no topic, where it ran
        assert (record.thread_id, record.message_id) == (0, 7)
        topic = store.create_round("tg:-5", "tg:2", ["000-93d25c"], seconds=60, thread_id=77, now=started)
        assert [r.id for r in store.active_rounds("tg:-5", 77)] == [topic.id]
        store.advance_round(topic.id, ["results"], now=started, state=1)
        (queued,) = store.pending(started + timedelta(seconds=1), user_key="tg:-5")
        assert queued.payload == {"text": "results", "thread_id": 77}


# ---------------------------------------------------------------- 4. channels and anonymous admins


def test_channels_play_as_themselves_and_an_anonymous_admin_may_stop_the_round(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    channels = {-1009001: "频道甲", -1009002: "Channel B"}
    with _bot(fake, engine, paced=False) as running:
        mark = len(fake.calls)
        fake.send_text(GROUP, ANN, "/mock 1 python 15", first_name="Ann")
        question = _said(fake, GROUP, mark, "模拟面试 第 1/1 题")
        record = _round(engine, GROUP, question.message_id, running)  # type: ignore[arg-type]
        for channel, title in channels.items():
            fake.send_as_chat(GROUP, channel, _point(engine, record), title=title, reply_to_message_id=question.message_id)
        _until_named(fake, GROUP, mark, channels.values(), "收到")
        fake.send_as_chat(GROUP, -1009001, "/mock_stop", title="频道甲")  # neither the starter nor an admin
        _said(fake, GROUP, mark, "只有发起人或群管理员")
        fake.send_as_chat(GROUP, GROUP, "/mock_stop")  # an anonymous admin
        stopped = _said(fake, GROUP, mark, "提前结束").text or ""
    assert "频道甲" in stopped and "Channel B" in stopped
    answers = engine.store.round_answers(record.id)
    assert {(a.user_key, a.display_name) for a in answers} == {(f"tg:{c}", t) for c, t in channels.items()}
    assert engine.store.active_rounds(f"tg:{GROUP}") == []
