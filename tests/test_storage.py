"""`bot.storage`: migrations, the Store's round trips, time zones, and how failures are reported.

Tests taking `database_url` run twice: on a SQLite file under `tmp_path` and on a fresh PostgreSQL
database (see conftest). Tests about SQLite files and locks use a file only (the URL test uses
memory); the `postgres_database_url` ones check what only a server does. Times are fixed datetimes
passed as `now`, so nothing depends on the clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, inspect, make_url, select, text
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.storage import RoundState, StorageError, Store, UserRecord
from bot.storage.base import RACE_RETRIES
from bot.storage.migrate import current_revision, head_revision
from bot.storage.models import Base, User, UTCDateTime

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
SHANGHAI = timezone(timedelta(hours=8))
TABLES = {"users", "chat_states", "attempts", "reviews", "rounds", "round_answers", "outbox", "decks", "deck_uploads", "group_decks",
          "jobs", "seen_updates", "send_pacing"}


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def label_of(url: str) -> str:
    """How errors name the database: a SQLite file by its path, a server by its URL sans password."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else parsed.render_as_string()


@contextmanager
def raw_engine(url: str) -> Iterator[Engine]:
    """A plain SQLAlchemy engine on the database, bypassing the Store."""
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "mockbot.sqlite3"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


# ---------------------------------------------------------------- migrations


def test_migrates_an_empty_database_then_is_idempotent(
    database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    bare = Store(database_url)  # connects, does not migrate
    with raw_engine(database_url) as engine:
        assert not TABLES & set(inspect(engine).get_table_names())
    bare.upgrade()
    bare.upgrade()  # already at head: nothing to do
    bare.close()
    Store.open(database_url).close()  # and again through open()
    assert capfd.readouterr().out == ""
    with raw_engine(database_url) as engine:
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision() == "0007"
        assert TABLES <= set(inspect(engine).get_table_names())


def test_a_database_at_the_first_revision_keeps_its_chats_when_upgraded(database_url: str) -> None:
    from bot.storage.migrate import upgrade

    with raw_engine(database_url) as engine:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, key, language, timezone, topics, created_at) "
                "VALUES (1, 'term:old', 'zh', 'UTC', '[]', :now)"), {"now": datetime(2026, 1, 1, tzinfo=timezone.utc)})
            connection.execute(text(
                "INSERT INTO chat_states (user_id, state, question_id, hints_used, updated_at) "
                "VALUES (1, 1, '000-93d25c', 0, :now)"), {"now": datetime(2026, 1, 1, tzinfo=timezone.utc)})
    store = Store.open(database_url)
    try:
        state = store.chat_state("term:old")
        assert (state.state, state.question_id, state.asked_count, state.open_asked_count) == (1, "000-93d25c", 0, None)
    finally:
        store.close()


def test_migration_0007_marks_the_looked_up_references_of_older_versions(database_url: str) -> None:
    from bot.storage.migrate import upgrade

    insert = (
        "INSERT INTO attempts (user_id, question_id, answer, score, verdict, covered, missed, contradicted, "
        "hints_used, is_followup, rating, created_at) VALUES (1, :question, :answer, :score, 0, '{}', '[0, 1]', "
        "'[]', 0, :followup, 1, :now)"
    )
    rows = [  # (question, answer, score, covered, is_followup): as older versions stored them
        ("looked-up", "", 0.0, "[]", False),
        ("answered", "不知道", 0.0, "[]", False),
        ("partly", "", 30.0, "[0]", False),
        ("followup", "", 0.0, "[]", True),
    ]
    with raw_engine(database_url) as engine:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, key, language, timezone, topics, created_at) "
                "VALUES (1, 'term:old', 'zh', 'UTC', '[]', :now)"), {"now": T0})
            for question, answer, score, covered, followup in rows:
                connection.execute(text(insert.format(covered)), {"question": question, "answer": answer, "score": score,
                                                                  "followup": followup, "now": T0})
        upgrade(engine, "0007")
    store = Store.open(database_url)
    try:
        attempts = store.attempts("term:old")
        assert [(a.question_id, a.looked_up) for a in attempts] == [
            ("looked-up", True), ("answered", False), ("partly", False), ("followup", False),
        ]  # fmt: skip
        assert [a.question_id for a in attempts if a.answered] == ["answered", "partly"]
        added = store.add_attempt("term:old", question_id="new", answer="", score=0.0, verdict=0, looked_up=True, now=T0)
        assert added.looked_up and store.attempts("term:old")[-1].looked_up
    finally:
        store.close()


def test_migrated_schema_matches_the_models(store: Store, database_url: str) -> None:
    with raw_engine(database_url) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_schema_comparison_does_notice_differences(database_url: str) -> None:
    with raw_engine(database_url) as engine, engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert {diff[1].name for diff in differences if diff[0] == "add_table"} == TABLES


def test_concurrent_first_starts_migrate_once(database_url: str) -> None:
    assert run_together(lambda _number: Store.open(database_url).close(), 4) == []
    with raw_engine(database_url) as engine, engine.connect() as connection:
        assert current_revision(connection) == head_revision()


def test_a_database_from_a_newer_version_is_refused(database_url: str) -> None:
    Store.open(database_url).close()
    with raw_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match=re.escape(f"cannot migrate database {label_of(database_url)}")):
        Store.open(database_url)


# ---------------------------------------------------------------- users and chat state


def test_user_is_created_once_with_defaults(store: Store) -> None:
    alice = store.user("term:alice", now=T0)
    assert alice == UserRecord(alice.id, "term:alice", "zh", "Asia/Shanghai", None, (), T0)
    assert store.user("term:alice") == alice
    assert store.user("tg:12345").id != alice.id


def test_update_user_accepts_only_known_fields(store: Store) -> None:
    updated = store.update_user(
        "tg:1", language="en", timezone="Europe/Berlin", daily_time="07:45", topics=["ml"]
    )
    assert (updated.language, updated.timezone, updated.daily_time, updated.topics) == (
        "en", "Europe/Berlin", "07:45", ("ml",))
    with pytest.raises(ValueError, match="colour"):
        store.update_user("tg:1", colour="red")
    with pytest.raises(ValueError, match="daily_time"):
        store.update_user("tg:1", daily_time="25:00")
    with pytest.raises(ValueError, match="language"):
        store.update_user("tg:1", language="fr")
    assert store.user("tg:1") == updated


def test_subscribers_are_users_with_a_daily_time(store: Store) -> None:
    store.update_user("tg:1", daily_time="08:00")
    store.user("tg:2")
    store.update_user("tg:3", daily_time="21:30")
    store.update_user("tg:3", daily_time=None)
    assert [user.key for user in store.subscribers()] == ["tg:1"]


def test_chat_state_survives_a_restart(database_url: str) -> None:
    first = Store.open(database_url)
    assert first.chat_state("tg:7", now=T0).state == 0
    saved = first.save_chat_state(
        "tg:7", state=1, question_id="ml.bias-variance", followup_point=2, hints_used=1,
        asked_at=T0.astimezone(SHANGHAI), last_attempt_id=41, last_question_id="ml.dropout", now=T0,
    )
    first.close()
    second = Store.open(database_url)
    state = second.chat_state("tg:7")
    assert state == saved
    assert (state.state, state.question_id, state.followup_point) == (1, "ml.bias-variance", 2)
    assert state.asked_at == T0 and state.asked_at.tzinfo == timezone.utc
    assert second.save_chat_state("tg:7", state=0, question_id=None).question_id is None
    assert second.chat_state("tg:7").last_question_id == "ml.dropout"  # untouched fields stay
    with pytest.raises(ValueError, match="mood"):
        second.save_chat_state("tg:7", mood="happy")
    second.close()


# ---------------------------------------------------------------- attempts and reviews


def test_attempts_are_oldest_first_with_since_and_limit(store: Store) -> None:
    times = [T0 + timedelta(hours=hours) for hours in (2, 0, 1, 3)]
    for number, when in enumerate(times):
        store.add_attempt("tg:1", question_id=f"q{number}", answer="…", score=50, verdict=1, now=when)
    store.add_attempt("tg:2", question_id="other", answer="…", score=10, verdict=0, now=T0)
    assert [a.question_id for a in store.attempts("tg:1")] == ["q1", "q2", "q0", "q3"]
    since = T0 + timedelta(hours=1)
    assert [a.question_id for a in store.attempts("tg:1", since=since)] == ["q2", "q0", "q3"]
    assert [a.question_id for a in store.attempts("tg:1", limit=2)] == ["q0", "q3"]
    last = store.last_attempt("tg:1")
    assert last is not None and last.question_id == "q3" and last.created_at == T0 + timedelta(hours=3)
    assert store.last_attempt("tg:nobody") is None and store.attempts("tg:nobody") == []
    store.set_attempt_rating(last.id, 3)
    assert store.last_attempt("tg:1").rating == 3  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        store.set_attempt_rating(9999, 3)


def test_json_fields_round_trip(store: Store) -> None:
    attempt = store.add_attempt(
        "tg:1", question_id="q", answer="梯度消失 and ReLU", score=72.5, verdict=2, covered=[0, 2],
        missed=(1,), contradicted=[3], hints_used=2, is_followup=True, now=T0,
    )
    (stored,) = store.attempts("tg:1")
    assert stored == attempt
    assert (stored.covered, stored.missed, stored.contradicted) == ((0, 2), (1,), (3,))
    assert stored.answer == "梯度消失 and ReLU" and stored.is_followup is True
    card = {"card_id": 1, "state": 2, "stability": 3.5, "due": T0.isoformat(), "last_review": None}
    assert store.save_review("tg:1", "q", card=card, due=T0, last_rating=3, now=T0).card == card
    assert store.update_user("tg:1", topics=["dl.rnn", "ml.trees"]).topics == ("dl.rnn", "ml.trees")
    payload = {"question_id": "q", "nested": [1, {"a": "中"}]}
    queued = store.enqueue("tg:1", "daily", payload, T0)
    assert queued is not None and queued.payload == payload
    assert store.pending(T0)[0].payload == payload


def test_reviews_upsert_and_come_due_in_order(store: Store) -> None:
    for question, days in (("q1", 2), ("q2", 1), ("q3", 5)):
        due = T0 + timedelta(days=days)
        store.save_review("tg:1", question, card={"v": 1}, due=due, last_rating=3, now=T0)
    later = T0 + timedelta(days=1)
    again = store.save_review("tg:1", "q1", card={"v": 2}, due=T0 + timedelta(days=4), last_rating=1,
                              now=later)
    assert (again.reps, again.card, again.last_rating, again.updated_at) == (2, {"v": 2}, 1, later)
    assert store.review("tg:1", "q1") == again
    assert store.review("tg:1", "missing") is None
    assert [r.question_id for r in store.reviews("tg:1")] == ["q2", "q1", "q3"]
    assert [r.question_id for r in store.due_reviews("tg:1", T0 + timedelta(days=4))] == ["q2", "q1"]
    # the same instant in another time zone
    in_shanghai = (T0 + timedelta(days=1)).astimezone(SHANGHAI)
    assert [r.question_id for r in store.due_reviews("tg:1", in_shanghai)] == ["q2"]
    assert store.due_reviews("tg:2", T0 + timedelta(days=9)) == []


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2025, 3, 1, 8, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_review("tg:1", "q", card={}, due=naive, last_rating=None, now=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.add_attempt("tg:1", question_id="q", answer="", score=0, verdict=0, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_chat_state("tg:1", asked_at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.due_reviews("tg:1", naive)
    for dialect in (sqlite_dialect.dialect(), postgresql_dialect.dialect()):
        with pytest.raises(ValueError, match="timezone-aware"):
            UTCDateTime().process_bind_param(naive, dialect)
    assert store.attempts("tg:1") == [] and store.review("tg:1", "q") is None


def test_records_are_frozen(store: Store) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        store.user("tg:1").language = "en"  # type: ignore[misc]


# ---------------------------------------------------------------- rounds


def test_round_answers_are_unique_per_user_and_question(store: Store) -> None:
    started = store.create_round("tg:-100", "tg:1", ["q1", "q2"], seconds=90, now=T0)
    assert (started.state, started.current_index, started.question_ids, started.started_at) == (
        RoundState.RUNNING, 0, ("q1", "q2"), T0)
    first = store.add_round_answer(started.id, 0, "tg:1", "Ann", "bias…", 61.0, [0, 1], now=T0)
    assert first is not None and first.covered == (0, 1)
    assert store.add_round_answer(started.id, 0, "tg:1", "Ann", "again", 99.0, now=T0) is None
    assert store.add_round_answer(started.id, 0, "tg:2", "Bo", "variance", 40.0, now=T0) is not None
    assert store.add_round_answer(started.id, 1, "tg:1", "Ann", "next", 70.0, now=T0) is not None
    answers = store.round_answers(started.id, 0)
    assert [(a.user_key, a.answer) for a in answers] == [("tg:1", "bias…"), ("tg:2", "variance")]
    assert len(store.round_answers(started.id)) == 3
    with pytest.raises(KeyError):
        store.add_round_answer(999, 0, "tg:1", "Ann", "x", 1.0)


def test_rounds_update_and_leave_the_active_list(store: Store) -> None:
    one = store.create_round("tg:-100", "tg:1", ["q1"], seconds=60, now=T0)
    two = store.create_round("tg:-200", "tg:2", ["q2"], seconds=60, now=T0)
    deadline = (T0 + timedelta(minutes=1)).astimezone(SHANGHAI)
    moved = store.update_round(one.id, current_index=1, message_id=555, deadline_at=deadline)
    assert (moved.current_index, moved.message_id, moved.deadline_at) == (1, 555, T0 + timedelta(minutes=1))
    assert [r.id for r in store.active_rounds()] == [one.id, two.id]
    store.update_round(one.id, state=RoundState.FINISHED)
    assert [r.id for r in store.active_rounds()] == [two.id]
    assert store.active_rounds("tg:-100") == []
    assert store.round(one.id).state == RoundState.FINISHED  # type: ignore[union-attr]
    assert store.round(999) is None
    with pytest.raises(ValueError, match="winner"):
        store.update_round(one.id, winner="tg:1")
    with pytest.raises(KeyError):
        store.update_round(999, state=RoundState.STOPPED)


# ---------------------------------------------------------------- outbox


def test_outbox_never_queues_the_same_push_twice(store: Store) -> None:
    queued = store.enqueue("tg:1", "daily", {"q": "a"}, T0)
    assert queued is not None
    assert store.enqueue("tg:1", "daily", {"q": "b"}, T0) is None
    assert store.enqueue("tg:1", "daily", {"q": "c"}, T0.astimezone(SHANGHAI)) is None  # same instant
    assert store.enqueue("tg:1", "reminder", {}, T0) is not None
    assert store.enqueue("tg:1", "daily", {}, T0 + timedelta(days=1)) is not None
    assert [p.kind for p in store.pending(T0)] == ["daily", "reminder"]
    store.mark_failed(queued.id, "Forbidden: bot was blocked by the user")
    failed = store.pending(T0)[0]
    assert (failed.attempts, failed.last_error) == (1, "Forbidden: bot was blocked by the user")
    assert [p.kind for p in store.pending(T0, max_attempts=1)] == ["reminder"]
    store.mark_sent(queued.id, T0 + timedelta(seconds=5))
    assert [p.kind for p in store.pending(T0 + timedelta(days=1))] == ["reminder", "daily"]
    assert store.enqueue("tg:1", "daily", {}, T0) is None  # sent pushes still count
    with pytest.raises(KeyError):
        store.mark_sent(999, T0)
    with pytest.raises(IntegrityError):  # only a duplicate is silently skipped
        store.enqueue("tg:1", None, {}, T0)  # type: ignore[arg-type]


# ---------------------------------------------------------------- forgetting


def test_delete_user_data_removes_everything_of_that_user(store: Store, database_url: str) -> None:
    for key in ("tg:1", "tg:2"):
        store.update_user(key, daily_time="08:00")
        store.save_chat_state(key, state=1, question_id="q")
        store.add_attempt(key, question_id="q", answer="a", score=1, verdict=0, now=T0)
        store.save_review(key, "q", card={}, due=T0, last_rating=3, now=T0)
        store.enqueue(key, "daily", {}, T0)
    group = store.create_round("tg:-100", "tg:1", ["q"], seconds=60)
    store.add_round_answer(group.id, 0, "tg:1", "Ann", "a", 1.0)
    store.add_round_answer(group.id, 0, "tg:2", "Bo", "b", 2.0)
    private = store.create_round("tg:1", "tg:1", ["q"], seconds=60)
    store.add_round_answer(private.id, 0, "tg:1", "Ann", "a", 1.0)

    # 2 round answers, the private round, 1 push, chat state, attempt, review, user
    assert store.delete_user_data("tg:1") == 8
    assert [u.key for u in store.subscribers()] == ["tg:2"]
    assert store.attempts("tg:1") == [] and store.reviews("tg:1") == []
    assert [a.user_key for a in store.round_answers(group.id)] == ["tg:2"]
    assert store.round(group.id).starter_key == ""  # type: ignore[union-attr]
    assert store.round(private.id) is None
    assert [p.user_key for p in store.pending(T0)] == ["tg:2"]
    assert len(store.attempts("tg:2")) == 1 and store.chat_state("tg:2").state == 1
    with raw_engine(database_url) as engine, engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(User).where(User.key == "tg:1")) == 0
    assert store.delete_user_data("tg:1") == 0


# ---------------------------------------------------------------- locations and URLs


def test_a_missing_parent_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.sqlite3"
    with Store.open(url_of(path)) as store:
        store.user("tg:1")
    assert path.is_file()


def test_a_path_under_a_file_raises_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    path = blocker / "bot.sqlite3"
    with pytest.raises(StorageError, match=str(path)) as caught:
        Store.open(url_of(path))
    assert "\n" not in str(caught.value)


def test_a_path_that_sqlite_cannot_open_raises_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "a-folder.sqlite3"
    path.mkdir()  # the parent exists, so only opening the "file" fails
    with pytest.raises(StorageError, match=f"cannot open database {path}: unable to open") as caught:
        Store(url_of(path))
    assert "\n" not in str(caught.value)


def test_a_read_only_folder_raises_storage_error(tmp_path: Path) -> None:
    locked = tmp_path / "readonly"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        path = locked / "bot.sqlite3"
        with pytest.raises(StorageError, match=str(path)) as caught:
            Store.open(url_of(path))
        assert "\n" not in str(caught.value)
    finally:
        locked.chmod(0o700)


def test_in_memory_url_works_across_threads() -> None:
    with Store.open("sqlite://") as store:
        created = store.user("term:alice")
        seen: list[UserRecord] = []
        worker = threading.Thread(target=lambda: seen.append(store.user("term:alice")))
        worker.start()
        worker.join()
        assert seen == [created]


# ---------------------------------------------------------------- locking


def hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_short_lock_is_waited_out(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store.open(url_of(db_path), busy_timeout_ms=0)  # no SQLite wait: only our retries help
    other = hold_exclusive_lock(db_path)
    release = threading.Timer(0.15, lambda: (other.execute("COMMIT"), other.close()))
    release.start()
    with caplog.at_level(logging.INFO, logger="bot.storage"):
        started = time.monotonic()
        updated = store.update_user("tg:1", language="en")
    release.join()
    assert updated.language == "en" and time.monotonic() - started >= 0.1
    assert any("locked" in record.getMessage() for record in caplog.records)
    store.close()


def test_a_long_lock_raises_storage_error(db_path: Path) -> None:
    store = Store.open(url_of(db_path), busy_timeout_ms=0, retries=3, retry_delay=0.01)
    other = hold_exclusive_lock(db_path)
    try:
        with pytest.raises(StorageError, match="locked") as caught:
            store.update_user("tg:1", language="en")
        assert str(db_path) in str(caught.value)
    finally:
        other.execute("COMMIT")
        other.close()
    assert store.update_user("tg:1", language="en").language == "en"
    store.close()


def run_together(work: Callable[[int], None], threads: int) -> list[BaseException]:
    """Run `work(0)` ... `work(threads - 1)` in threads started together; the exceptions raised."""
    errors: list[BaseException] = []
    ready = threading.Barrier(threads)

    def run(number: int) -> None:
        try:
            ready.wait()
            work(number)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(number,), daemon=True) for number in range(threads)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    hung = [worker.name for worker in workers if worker.is_alive()]
    return errors + ([TimeoutError(f"still running after 60 s: {', '.join(hung)}")] if hung else [])


def test_concurrent_writers_on_one_database(database_url: str) -> None:
    Store.open(database_url).close()

    def write(number: int) -> None:
        with Store(database_url) as store:
            for index in range(20):
                store.add_attempt(f"tg:{number}", question_id=f"q{index}", answer="", score=0, verdict=0)

    assert run_together(write, 4) == []
    with Store(database_url) as store:
        assert sum(len(store.attempts(f"tg:{number}")) for number in range(4)) == 80


def test_concurrent_writers_on_the_same_rows_lose_nothing(database_url: str) -> None:
    """Writers racing to create one user, to update one review card, and to insert the same pushes
    and round answers: nothing fails, every update counts, each unique row is inserted once (the
    other writers get None)."""
    Store.open(database_url).close()
    threads, saves = 4, 5
    queued: list[object] = []
    answered: list[object] = []
    with Store(database_url) as store:
        round_id = store.create_round("tg:-100", "tg:1", ["q"], seconds=60, now=T0).id

    stores = [Store(database_url, retries=10) for _ in range(threads)]  # heavy contention on purpose
    meet = threading.Barrier(threads)

    def write(number: int) -> None:
        store = stores[number]
        try:
            for index in range(saves):
                store.save_review("tg:same", "q", card={"n": number, "i": index}, due=T0, last_rating=3, now=T0)
            for day in range(saves):  # all at once: the same push, the same answer
                meet.wait()
                queued.append(store.enqueue("tg:same", "daily", {"by": number}, T0 + timedelta(days=day)))
                meet.wait()
                answered.append(store.add_round_answer(round_id, day, "tg:same", f"n{number}", "a", 1.0, now=T0))
        except BaseException:
            meet.abort()  # the others stop waiting for this one
            raise

    try:
        assert run_together(write, threads) == []
    finally:
        for store in stores:
            store.close()
    with Store(database_url) as store:
        assert store.review("tg:same", "q").reps == threads * saves  # type: ignore[union-attr]
        assert len(store.pending(T0 + timedelta(days=saves))) == saves
        assert len(store.round_answers(round_id)) == saves
    assert len([q for q in queued if q is not None]) == saves
    assert len([a for a in answered if a is not None]) == saves


def test_a_read_transaction_sees_one_snapshot(database_url: str) -> None:
    """Queries of one read transaction agree even when a writer commits between them."""
    with Store.open(database_url) as store, Store(database_url) as writer:
        store.user("tg:1")

        def read(session: Session) -> tuple[int, int]:
            before = session.scalar(select(func.count()).select_from(User))
            writer.user("tg:2")  # committed by another connection meanwhile
            return before, session.scalar(select(func.count()).select_from(User))

        assert store._run(read, write=False) == (1, 1)  # noqa: SLF001
        assert len({store.user("tg:1").id, store.user("tg:2").id}) == 2


# ---------------------------------------------------------------- PostgreSQL servers


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


def test_an_unreachable_server_raises_storage_error_without_the_password() -> None:
    port = closed_port()
    url = f"postgresql+psycopg://mockbot:s3cret-pw@127.0.0.1:{port}/mockbot"
    with pytest.raises(StorageError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert message.startswith(f"cannot open database postgresql+psycopg://mockbot:***@127.0.0.1:{port}/mockbot: ")
    assert "s3cret" not in message and "\n" not in message
    assert "refused" in message.lower()


def test_a_bare_postgresql_url_uses_psycopg() -> None:
    port = closed_port()
    with pytest.raises(StorageError, match="cannot open database postgresql://mockbot:\\*\\*\\*@"):
        Store.open(f"postgresql://mockbot:pw@127.0.0.1:{port}/mockbot")  # not psycopg2's ImportError


def test_a_missing_driver_raises_storage_error() -> None:
    if importlib.util.find_spec("MySQLdb") is not None:
        pytest.skip("MySQLdb is installed")
    with pytest.raises(StorageError, match=r"^cannot open database mysql://bot:\*\*\*@db/bot: driver MySQLdb is not"):
        Store("mysql://bot:pw@db/bot")


@pytest.mark.parametrize("change", ["password", "database"])
def test_a_refused_login_raises_storage_error_without_the_password(postgres_database_url: str, change: str) -> None:
    url = make_url(postgres_database_url)
    url = url.set(password="wrong-pw") if change == "password" else url.set(database="mockbot_no_such_db")
    rendered = url.render_as_string(hide_password=False)
    with pytest.raises(StorageError) as caught:
        Store.open(rendered)
    message = str(caught.value)
    assert message.startswith(f"cannot open database {url.render_as_string()}: ")
    assert "wrong-pw" not in message and "\n" not in message
    assert ("password authentication failed" if change == "password" else "does not exist") in message


def test_timestamps_are_instants_whatever_the_session_time_zone(postgres_database_url: str) -> None:
    shanghai_session = f"{postgres_database_url}?options={quote('-c TimeZone=Asia/Shanghai')}"
    with Store.open(shanghai_session) as store:
        store.add_attempt("tg:1", question_id="q", answer="", score=0, verdict=0, now=T0.astimezone(SHANGHAI))
        store.enqueue("tg:1", "daily", {}, T0)
        (attempt,) = store.attempts("tg:1")
        assert attempt.created_at == T0 and attempt.created_at.tzinfo is timezone.utc
        assert store.enqueue("tg:1", "daily", {}, T0.astimezone(SHANGHAI)) is None  # the same instant
        assert [p.due_at for p in store.pending(T0)] == [T0]
        assert store.pending(T0 - timedelta(microseconds=1)) == []
    with raw_engine(shanghai_session) as engine, engine.connect() as connection:
        assert connection.scalar(text("SELECT created_at::text FROM attempts")) == "2025-03-01 16:00:00+08"
        kinds = dict(connection.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'attempts'"
        )).all())
    assert kinds["created_at"] == "timestamp with time zone" and kinds["covered"] == "json"


def test_a_conflicting_transaction_is_retried(postgres_database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A SERIALIZABLE write that loses to a concurrent one (SQLSTATE 40001) runs again."""
    store = Store.open(postgres_database_url)
    store.save_review("tg:1", "q", card={}, due=T0, last_rating=3, now=T0)
    other = create_engine(postgres_database_url, isolation_level="SERIALIZABLE")
    try:
        with other.connect() as connection:
            transaction = connection.begin()
            connection.execute(text("SELECT reps FROM reviews")).all()
            connection.execute(text("UPDATE reviews SET reps = reps + 10"))

            def commit_once_the_store_waits() -> None:
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                with other.connect() as watcher:
                    deadline = time.monotonic() + 10
                    while not watcher.execute(waiting).scalar() and time.monotonic() < deadline:
                        watcher.rollback()  # a fresh snapshot of pg_stat_activity each time
                        time.sleep(0.01)
                transaction.commit()

            committer = threading.Thread(target=commit_once_the_store_waits)
            committer.start()
            with caplog.at_level(logging.INFO, logger="bot.storage"):
                saved = store.save_review("tg:1", "q", card={}, due=T0, last_rating=3, now=T0)
            committer.join()
        assert saved.reps == 12  # 1, +10 by the other transaction, +1 by the retried one
        assert any("serialization failure" in record.getMessage() for record in caplog.records)
    finally:
        other.dispose()
        store.close()


def test_a_lost_race_is_tried_more_often_in_a_worker_thread_than_on_an_event_loop(postgres_database_url: str) -> None:
    """Serialization failures are tried RACE_RETRIES times in a thread, but only `retries` times on
    an event loop's thread, where each pause would stall every request in flight."""
    store = Store.open(postgres_database_url, retries=3, retry_delay=0.001)
    tries: list[int] = []

    def lose() -> None:
        tries.append(1)
        raise OperationalError("COMMIT", {}, psycopg.errors.SerializationFailure("could not serialize access"))

    def count(run: Callable[[], None]) -> int:
        tries.clear()
        with pytest.raises(StorageError, match=r"database is busy: .*\(serialization failure \d+ times\)"):
            run()
        return len(tries)

    async def on_loop() -> None:
        store._retrying(lose, failure="database", serializable=True)  # noqa: SLF001

    try:
        assert count(lambda: store._retrying(lose, failure="database", serializable=True)) == RACE_RETRIES  # noqa: SLF001
        assert count(lambda: asyncio.run(on_loop())) == 3
    finally:
        store.close()
