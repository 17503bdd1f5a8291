"""PacedRateLimiter on its own: pacing, per-group pacing, and a 429 that holds back only its request."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.telegram.ratelimit import STORM, PacedRateLimiter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's notice on RetryAfter's type


async def _timed_calls(limiter: PacedRateLimiter, chats: list[int], fail_first: set[int] = frozenset()) -> dict[int, float]:
    """Send one request per chat at once; returns when each one succeeded (seconds from start)."""
    start = time.monotonic()
    failed: set[int] = set()
    done: dict[int, float] = {}

    async def request(chat: int) -> bool:
        if chat in fail_first and chat not in failed:
            failed.add(chat)
            raise RetryAfter(timedelta(seconds=1))
        done[chat] = time.monotonic() - start
        return True

    await asyncio.gather(*(limiter.process_request(request, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
                           for chat in chats))
    return done


def test_requests_are_paced_at_the_overall_rate() -> None:
    done = asyncio.run(_timed_calls(PacedRateLimiter(overall_rate=50), list(range(1, 11))))
    assert sorted(done) == list(range(1, 11))
    assert max(done.values()) >= 9 / 50 - 0.005  # ten requests at 50/s: the last one 0.18 s in


def test_a_group_gets_its_own_slower_pace() -> None:
    done = asyncio.run(_timed_calls(PacedRateLimiter(overall_rate=1000, group_rate=600), [-5, -5, -5, 7]))
    assert done[7] < 0.05  # a private chat is not held up by the group's pace
    assert max(done.values()) >= 2 * 60 / 600 - 0.005  # the group's third message waits two slots of 0.1 s


def test_a_429_holds_back_only_its_own_request() -> None:
    done = asyncio.run(_timed_calls(PacedRateLimiter(overall_rate=100), list(range(1, 21)), fail_first={3}))
    assert done[3] >= 1.0  # it waited retry_after, then went again
    others = [at for chat, at in done.items() if chat != 3]
    assert max(others) < 0.5  # the other 19 went on at the overall pace (about 0.19 s)


def test_a_storm_of_429s_pauses_everything_and_retries_run_out() -> None:
    async def always_flooded(*_args: object) -> bool:
        raise RetryAfter(timedelta(seconds=1))

    async def run() -> None:
        limiter = PacedRateLimiter(overall_rate=1000, max_retries=0)
        for chat in range(STORM[0]):
            with pytest.raises(RetryAfter):
                await limiter.process_request(always_flooded, (), {}, "sendMessage", {"chat_id": chat}, None)
        began = time.monotonic()
        ok = await limiter.process_request(lambda: asyncio.sleep(0, True), (), {}, "sendMessage", {"chat_id": 99}, None)
        assert ok is True and time.monotonic() - began >= 0.9  # paused for retry_after

    asyncio.run(run())
