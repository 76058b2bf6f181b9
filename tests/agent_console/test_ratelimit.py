"""The in-memory login limiter: failures per key in a sliding window (clock passed in)."""

from __future__ import annotations

from agent_console.auth.ratelimit import InMemoryLoginLimiter, login_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_given_five_failures_within_a_minute_then_the_key_waits_until_the_oldest_expires() -> None:
    clock = Clock()
    limiter = InMemoryLoginLimiter(5, 60.0, clock=clock)
    key = login_key("Wang", "10.0.0.1")
    for _ in range(4):
        await limiter.failed(key)
        clock.now += 1
    assert await limiter.retry_after(key) == 0
    await limiter.failed(key)  # the fifth, at t=1004: blocked until the first (t=1000) is 60 s old
    assert await limiter.retry_after(key) == 56.0
    clock.now = 1000.0 + 59.5
    assert await limiter.retry_after(key) == 0.5
    clock.now = 1000.0 + 60.0  # the first failure left the window
    assert await limiter.retry_after(key) == 0


async def test_keys_are_independent_and_a_success_forgets_failures() -> None:
    clock = Clock()
    limiter = InMemoryLoginLimiter(2, 60.0, clock=clock)
    wang_here, wang_there = login_key("wang", "10.0.0.1"), login_key("WANG ", "10.0.0.2")
    assert login_key("WANG ", "10.0.0.1") == wang_here
    await limiter.failed(wang_here)
    await limiter.failed(wang_here)
    assert await limiter.retry_after(wang_here) > 0
    assert await limiter.retry_after(wang_there) == 0
    await limiter.succeeded(wang_here)
    assert await limiter.retry_after(wang_here) == 0


async def test_the_number_of_remembered_keys_is_bounded() -> None:
    clock = Clock()
    limiter = InMemoryLoginLimiter(1, 60.0, clock=clock, max_keys=10)
    for i in range(25):
        await limiter.failed(f"user{i}|ip")
    assert len(limiter._failures) <= 10
    assert await limiter.retry_after("user24|ip") == 60.0
