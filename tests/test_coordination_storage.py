"""`CoordinationStore`: jobs and their claims, seen updates, send pacing, chat locks, migration 0006.

Tests taking `database_url` run on a SQLite file and on a fresh PostgreSQL database (see conftest);
the concurrency tests use one Store per thread, as separate bot processes would. Times passed as
`now` are fixed datetimes; pacing uses the database's clock, so its tests check the returned waits.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import create_engine, inspect, make_url, text

from bot.storage import ChatLock, JobRecord, StorageError, Store
from bot.storage.coordination import CHAT_LOCK_NAMESPACE, chat_lock_key
from bot.storage.migrate import alembic_config, current_revision, upgrade
from bot.storage.models import Base
from bot.storage.rounds import claim_owner

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
LEASE = timedelta(seconds=30)
COORDINATION_TABLES = {"jobs", "seen_updates", "send_pacing"}
R = TypeVar("R")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


def postgresql_only(url: str) -> None:
    if make_url(url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")


def in_threads(work: Callable[[int], R], count: int) -> list[R]:
    """Run `work(0..count-1)` in threads started together; their results, or the first error raised."""
    barrier = threading.Barrier(count)
    results: list[R | None] = [None] * count
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            results[number] = work(number)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def dead_owner() -> str:
    """A claim owner on this host whose process has ended (a finished child's pid)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return f"{claim_owner().partition(':')[0]}:{child.pid}:0badc0de"


# ---------------------------------------------------------------- scheduling


def test_schedule_replaces_and_bumps_the_version_then_cancel_deletes(store: Store) -> None:
    first = store.schedule_job("deadline:tg:-1", "deadline", T0, {"round": 7})
    assert first == JobRecord("deadline:tg:-1", "deadline", {"round": 7}, T0, 1, None, None)
    moved = store.schedule_job("deadline:tg:-1", "close", T0 + timedelta(minutes=5), {"round": 8})
    assert (moved.kind, moved.payload, moved.due_at, moved.version) == ("close", {"round": 8}, T0 + timedelta(minutes=5), 2)
    assert store.job("deadline:tg:-1") == moved
    assert store.schedule_job("push:tg:1", "push", T0 + timedelta(minutes=1)).payload == {}
    assert store.cancel_job("deadline:tg:-1") is True
    assert store.cancel_job("deadline:tg:-1") is False
    assert store.job("deadline:tg:-1") is None
    assert [job.name for job in store.jobs()] == ["push:tg:1"]
    with pytest.raises(ValueError, match="due_at"):
        store.schedule_job("push:tg:2", "push", datetime(2025, 3, 1, 8, 0))


def test_jobs_by_prefix_are_in_due_order_and_the_prefix_is_literal(store: Store) -> None:
    store.schedule_job("a_b:2", "k", T0 + timedelta(minutes=2))
    store.schedule_job("a_b:1", "k", T0 + timedelta(minutes=3))
    store.schedule_job("axb:1", "k", T0)  # "_" in the prefix is no wildcard
    store.schedule_job("a%b:1", "k", T0)
    assert [job.name for job in store.jobs("a_b:")] == ["a_b:2", "a_b:1"]
    assert [job.name for job in store.jobs()] == ["a%b:1", "axb:1", "a_b:2", "a_b:1"]


def test_concurrent_schedules_of_one_name_all_succeed(database_url: str, store: Store) -> None:
    stores = [Store(database_url) for _ in range(4)]
    try:
        records = in_threads(lambda number: [stores[number].schedule_job("daily:tg:1", "push", T0, {"n": number})
                                             for _ in range(10)][-1], 4)
    finally:
        for other in stores:
            other.close()
    assert store.job("daily:tg:1").version == 40
    assert sorted(record.version for record in records)[-1] == 40


# ---------------------------------------------------------------- claiming


def test_claims_only_due_jobs_earliest_first_up_to_the_limit(store: Store) -> None:
    for minute in (3, 0, 4, 1, 2):
        store.schedule_job(f"job:{minute}", "k", T0 + timedelta(minutes=minute))
    owner, other = claim_owner(), claim_owner()
    now = T0 + timedelta(minutes=2)
    claimed = store.claim_due_jobs(owner, now, LEASE, limit=2)
    assert [job.name for job in claimed] == ["job:0", "job:1"]
    assert {(job.claimed_by, job.claimed_until) for job in claimed} == {(owner, now + LEASE)}
    assert [job.name for job in store.claim_due_jobs(other, now, LEASE)] == ["job:2"]  # job:3, job:4 not due
    assert store.job("job:3").claimed_by is None
    later = T0 + timedelta(minutes=10)
    assert [job.name for job in store.claim_due_jobs(other, later, LEASE, names=["job:4", "job:9"])] == ["job:4"]
    assert store.claim_due_jobs(other, later, LEASE, names=[]) == []
    with pytest.raises(ValueError):
        store.claim_due_jobs(other, later, LEASE, limit=0)


def test_a_live_claim_holds_until_its_lease_runs_out(store: Store) -> None:
    store.schedule_job("job", "k", T0)
    holder, other = claim_owner(), claim_owner()  # both this (live) process
    assert [job.name for job in store.claim_due_jobs(holder, T0, LEASE)] == ["job"]
    assert store.claim_due_jobs(other, T0 + LEASE - timedelta(seconds=1), LEASE) == []
    assert store.claim_due_jobs(holder, T0 + timedelta(seconds=1), LEASE) == []  # it is running it: not twice
    taken = store.claim_due_jobs(other, T0 + LEASE, LEASE)
    assert [(job.name, job.claimed_by) for job in taken] == [("job", other)]


def test_a_claim_by_a_process_that_is_gone_is_taken_over_at_once(store: Store) -> None:
    store.schedule_job("orphan", "k", T0)
    store.schedule_job("remote", "k", T0)
    store.claim_due_jobs(dead_owner(), T0, LEASE, names=["orphan"])
    store.claim_due_jobs("elsewhere:1:00000000", T0, LEASE, names=["remote"])  # another host: never presumed dead
    taken = store.claim_due_jobs(claim_owner(), T0 + timedelta(seconds=1), LEASE)
    assert [job.name for job in taken] == ["orphan"]
    assert store.job("remote").claimed_by == "elsewhere:1:00000000"


# ---------------------------------------------------------------- finishing and releasing


def test_finishing_a_run_deletes_the_job(store: Store) -> None:
    store.schedule_job("job", "k", T0)
    owner = claim_owner()
    [claimed] = store.claim_due_jobs(owner, T0, LEASE)
    assert store.finish_job(claimed, owner) is True
    assert store.job("job") is None
    assert store.finish_job(claimed, owner) is False  # already gone


def test_a_job_rescheduled_during_its_run_keeps_the_new_schedule_and_is_freed(store: Store) -> None:
    store.schedule_job("job", "k", T0, {"n": 1})
    owner = claim_owner()
    [claimed] = store.claim_due_jobs(owner, T0, LEASE)
    rescheduled = store.schedule_job("job", "k", T0 + timedelta(hours=1), {"n": 2})
    assert (rescheduled.version, rescheduled.claimed_by) == (2, owner)  # the run in progress keeps it
    assert store.finish_job(claimed, owner) is False
    kept = store.job("job")
    assert (kept.version, kept.payload, kept.due_at, kept.claimed_by, kept.claimed_until) == (
        2, {"n": 2}, T0 + timedelta(hours=1), None, None)
    assert store.claim_due_jobs(claim_owner(), T0 + timedelta(minutes=1), LEASE) == []  # not due yet
    [again] = store.claim_due_jobs(claim_owner(), T0 + timedelta(hours=1), LEASE)
    assert again.payload == {"n": 2}


def test_a_run_whose_lease_was_taken_over_leaves_the_job_alone(store: Store) -> None:
    store.schedule_job("job", "k", T0)
    slow, other = claim_owner(), claim_owner()
    [claimed] = store.claim_due_jobs(slow, T0, LEASE)
    store.claim_due_jobs(other, T0 + LEASE, LEASE)
    assert store.finish_job(claimed, slow) is False
    assert store.job("job").claimed_by == other


def test_release_hands_the_owners_jobs_to_others_at_once(store: Store) -> None:
    for number in range(3):
        store.schedule_job(f"job:{number}", "k", T0)
    store.schedule_job("theirs", "k", T0)
    leaving, staying = claim_owner(), claim_owner()
    store.claim_due_jobs(staying, T0, LEASE, names=["theirs"])
    assert len(store.claim_due_jobs(leaving, T0, LEASE)) == 3
    assert store.release_jobs(leaving) == 3
    assert store.release_jobs(leaving) == 0
    assert [job.name for job in store.claim_due_jobs(staying, T0, LEASE)] == ["job:0", "job:1", "job:2"]  # (and "theirs")


def test_concurrent_claimers_get_disjoint_jobs_without_retrying(
    database_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    postgresql_only(database_url)
    stores = [Store(database_url) for _ in range(2)]
    caplog.set_level(logging.INFO, logger="bot.storage.base")

    def drain(number: int) -> list[str]:
        got = []
        # A new (live) owner per call: the jobs of earlier calls stay held, as if still running.
        while batch := stores[number].claim_due_jobs(claim_owner(), T0, LEASE, limit=20):
            assert len(batch) <= 20
            got += [job.name for job in batch]
        return got

    try:
        for run in range(5):  # several rounds: more chances for a race to show
            names = {f"job:{run}:{number:03d}" for number in range(200)}
            for name in names:
                store.schedule_job(name, "k", T0)
            first, second = in_threads(drain, 2)
            assert len(first) == len(set(first)) and len(second) == len(set(second))
            assert not set(first) & set(second)
            assert set(first) | set(second) == names
            for name in names:
                store.cancel_job(name)
    finally:
        for other in stores:
            other.close()
    assert not [record.getMessage() for record in caplog.records if "; try " in record.getMessage()]  # no retries


# ---------------------------------------------------------------- seen updates


def test_seen_updates_are_marked_once_and_forgotten(store: Store) -> None:
    big = 2**40  # Telegram update ids may exceed 32 bits
    assert store.update_seen(5) is False
    assert store.mark_update_seen(5, T0) is True
    assert store.mark_update_seen(5, T0 + timedelta(seconds=1)) is False
    assert store.mark_update_seen(big, T0 + timedelta(hours=2)) is True
    assert (store.update_seen(5), store.update_seen(6), store.update_seen(big)) == (True, False, True)
    assert store.forget_seen_updates(T0 + timedelta(hours=1)) == 1
    assert (store.update_seen(5), store.update_seen(big)) == (False, True)
    assert store.forget_seen_updates(T0 + timedelta(hours=1)) == 0


# ---------------------------------------------------------------- send pacing


def test_send_slots_are_shared_spaced_and_refunded(database_url: str, store: Store) -> None:
    other = Store(database_url)  # another process on the same database
    try:
        assert store.take_send_slot("all", 100.0) == 0.0
        assert 90.0 < other.take_send_slot("all", 100.0) <= 100.0
        assert 190.0 < store.take_send_slot("all", 100.0) <= 200.0
        assert other.take_send_slot("tg:-5", 3.0) == 0.0  # keys are independent
        store.refund_send_slot("all", 100.0)  # the last slot sent nothing
        assert 190.0 < other.take_send_slot("all", 100.0) <= 200.0
        for _ in range(5):
            store.refund_send_slot("all", 100.0)  # never before now
        assert store.take_send_slot("all", 100.0) == 0.0
        store.refund_send_slot("unknown", 1.0)  # nothing to refund
        with pytest.raises(ValueError):
            store.take_send_slot("all", -1.0)
    finally:
        other.close()


def test_concurrent_senders_get_distinct_slots_one_interval_apart(database_url: str, store: Store) -> None:
    # A wide interval, so the time between two calls (well under a tenth of it) cannot blur the spacing.
    interval = 0.5
    stores = [Store(database_url) for _ in range(3)]
    try:
        waits = in_threads(lambda number: [stores[number].take_send_slot("all", interval) for _ in range(30)], 3)
    finally:
        for other in stores:
            other.close()
    ordered = sorted(wait for thread in waits for wait in thread)
    assert len(ordered) == 90 and ordered[0] == 0.0
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:])]
    assert all(0.9 * interval <= gap <= interval + 1e-3 for gap in gaps), gaps


# ---------------------------------------------------------------- chat locks


def test_a_chat_lock_excludes_other_sessions_until_released(database_url: str, store: Store) -> None:
    postgresql_only(database_url)
    other = Store(database_url)
    try:
        lock = store.try_lock_chat("tg:-100")
        assert isinstance(lock, ChatLock) and lock.held
        assert other.try_lock_chat("tg:-100") is None
        assert store.try_lock_chat("tg:-100") is None  # a second session of this process too
        free = other.try_lock_chat("tg:-200")
        assert free is not None
        lock.release()
        lock.release()  # idempotent
        assert not lock.held
        again = other.try_lock_chat("tg:-100")
        assert again is not None
        again.release()
        free.release()
    finally:
        other.close()


def test_a_chat_lock_goes_with_its_closed_or_killed_connection(database_url: str, store: Store) -> None:
    postgresql_only(database_url)
    holder = Store(database_url)
    held = holder.try_lock_chat("tg:1")
    holder.close()  # without release: the session ends, and its lock with it
    assert held is not None and not held.held
    freed = store.try_lock_chat("tg:1")
    assert freed is not None
    freed.release()

    killed = store.try_lock_chat("tg:2")
    assert killed is not None
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :space AND objid = :key "
                "AND objsubid = 2"), {"space": CHAT_LOCK_NAMESPACE, "key": chat_lock_key("tg:2") & 0xFFFFFFFF}).scalar_one()
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
    finally:
        engine.dispose()
    other = Store(database_url)
    try:
        taken = other.try_lock_chat("tg:2")
        assert taken is not None
        taken.release()
    finally:
        other.close()
    killed.release()  # its connection is dead: dropped, no error
    replacement = store.try_lock_chat("tg:3")  # the lock pool recovers
    assert replacement is not None
    replacement.release()


def test_sqlite_chat_locks_always_succeed(database_url: str, store: Store) -> None:
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite only")
    first, second = store.try_lock_chat("tg:1"), store.try_lock_chat("tg:1")
    assert first is not None and second is not None and first.held
    first.release()
    first.release()
    assert not first.held and second.held


def test_chat_lock_keys_are_stable_int32() -> None:
    keys = [chat_lock_key(f"tg:{number}") for number in range(-500, 500)]
    assert keys == [chat_lock_key(f"tg:{number}") for number in range(-500, 500)]
    assert all(-(2**31) <= key < 2**31 for key in keys)
    assert min(keys) < 0 < max(keys)  # the signed range is used
    assert chat_lock_key("tg:1") == 4244040497 - 2**32  # CRC-32 of b"tg:1", as a signed int32


# ---------------------------------------------------------------- health and migration


def test_ping_and_schema_current(database_url: str) -> None:
    bare = Store(database_url)  # connected, not migrated
    try:
        bare.ping()
        assert bare.schema_current() is False
        bare.upgrade()
        assert bare.schema_current() is True
    finally:
        bare.close()


def test_ping_reports_a_database_that_went_away(database_url: str, store: Store) -> None:
    postgresql_only(database_url)
    server = make_url(database_url)
    with psycopg.connect(server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(server.database)))
    with pytest.raises(StorageError, match="cannot reach database"):
        store.ping()


def test_migration_0006_upgrades_from_0005_and_downgrades(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        upgrade(engine, "0005")
        assert not COORDINATION_TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0006")
        assert COORDINATION_TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert current_revision(connection) == "0006"
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            assert [diff for diff in differences if any(name in repr(diff) for name in COORDINATION_TABLES)] == []
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert not COORDINATION_TABLES & set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert current_revision(connection) == "0005"
    finally:
        engine.dispose()


def test_add_jobs_inserts_only_the_missing_ones(store: Store) -> None:
    store.schedule_job("daily:a", "daily", T0, {"key": "a"})
    added = store.add_jobs([("daily:a", "daily", T0 + timedelta(hours=5), {"key": "changed"}),
                            ("daily:b", "daily", T0, {"key": "b"})])
    assert added == 1
    kept = store.job("daily:a")
    assert kept is not None and (kept.due_at, kept.payload, kept.version) == (T0, {"key": "a"}, 1)
    assert store.job("daily:b").payload == {"key": "b"}  # type: ignore[union-attr]
    assert store.add_jobs([]) == 0
    with pytest.raises(ValueError):
        store.add_jobs([("x", "k", T0.replace(tzinfo=None), {})])
