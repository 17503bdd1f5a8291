"""`bot.storage`: migrations, the Store's round trips, time zones, and how failures are reported.

Every test uses a real SQLite file under `tmp_path` (only the URL test uses memory). Times are
fixed datetimes passed as `now`, so nothing depends on the clock.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import sqlite as sqlite_dialect

from bot.storage import RoundState, StorageError, Store, UserRecord
from bot.storage.migrate import current_revision, head_revision
from bot.storage.models import Base, UTCDateTime

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
SHANGHAI = timezone(timedelta(hours=8))
TABLES = {"users", "chat_states", "attempts", "reviews", "rounds", "round_answers", "outbox"}


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "mockbot.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(url_of(db_path))
    yield opened
    opened.close()


# ---------------------------------------------------------------- migrations


def test_migrates_an_empty_file_then_is_idempotent(db_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bare = Store(url_of(db_path))  # connects, does not migrate
    assert not TABLES & set(inspect(create_engine(url_of(db_path))).get_table_names())
    bare.upgrade()
    bare.upgrade()  # already at head: nothing to do
    bare.close()
    Store.open(url_of(db_path)).close()  # and again through open()
    assert capfd.readouterr().out == ""
    engine = create_engine(url_of(db_path))
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0001"
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrated_schema_matches_the_models(store: Store, db_path: Path) -> None:
    engine = create_engine(url_of(db_path))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_schema_comparison_does_notice_differences(tmp_path: Path) -> None:
    engine = create_engine(url_of(tmp_path / "empty.sqlite3"))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert {diff[1].name for diff in differences if diff[0] == "add_table"} == TABLES
    engine.dispose()


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    Store.open(url_of(db_path)).close()
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StorageError, match=str(db_path)):
        Store.open(url_of(db_path))


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


def test_chat_state_survives_a_restart(db_path: Path) -> None:
    first = Store.open(url_of(db_path))
    assert first.chat_state("tg:7", now=T0).state == 0
    saved = first.save_chat_state(
        "tg:7", state=1, question_id="ml.bias-variance", followup_point=2, hints_used=1,
        asked_at=T0.astimezone(SHANGHAI), last_attempt_id=41, last_question_id="ml.dropout", now=T0,
    )
    first.close()
    second = Store.open(url_of(db_path))
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
    with pytest.raises(ValueError, match="timezone-aware"):
        UTCDateTime().process_bind_param(naive, sqlite_dialect.dialect())
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


def test_delete_user_data_removes_everything_of_that_user(store: Store, db_path: Path) -> None:
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
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM users WHERE key = 'tg:1'").fetchone() == (0,)
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


def test_concurrent_writers_on_one_file(db_path: Path) -> None:
    Store.open(url_of(db_path)).close()
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            with Store(url_of(db_path)) as store:
                for index in range(20):
                    store.add_attempt(f"tg:{number}", question_id=f"q{index}", answer="", score=0, verdict=0)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(number,)) for number in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with Store(url_of(db_path)) as store:
        assert sum(len(store.attempts(f"tg:{number}")) for number in range(4)) == 80
