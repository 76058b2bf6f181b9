"""The Redis login limiter (several server processes): attempts counted atomically across clients."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from agent_console.auth.redis_ratelimit import RedisLoginLimiter

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_given_40_concurrent_attempts_from_two_processes_then_exactly_5_are_let_through() -> None:
    prefix = f"test:login:{uuid.uuid4().hex}:"
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)  # two "processes"
    try:
        limiters = [RedisLoginLimiter(r, 5, 60.0, prefix=prefix) for r in (first, second)]
        waits = await asyncio.gather(*(limiters[i % 2].attempt("wang|10.0.0.1") for i in range(40)))
        assert sum(1 for w in waits if w == 0) == 5
        assert all(0 < w <= 60 for w in waits if w != 0)
        assert await limiters[0].attempt("zhang|10.0.0.1") == 0  # keys are independent
        await limiters[1].succeeded("wang|10.0.0.1")
        assert await limiters[0].attempt("wang|10.0.0.1") == 0  # a success forgets the attempts
    finally:
        await first.delete(*[k async for k in first.scan_iter(prefix + "*")] or ["-"])
        await first.aclose()
        await second.aclose()


def test_given_a_redis_url_then_the_app_keeps_its_login_limit_in_redis(db_url: str) -> None:
    from fastapi.testclient import TestClient

    from agent_console.app import create_app
    from callcenter.platform import build_platform
    from config.settings import load_settings
    from tests.fixtures.api import TEST_HASHER, TEST_SECRET
    from tickets.users.passwords import Passwords

    settings = load_settings(database_url=db_url, redis_url=REDIS_URL, api={"secret_key": TEST_SECRET})
    platform = build_platform(settings, passwords=Passwords(TEST_HASHER))
    app = create_app(platform)
    assert isinstance(platform.login_limiter, RedisLoginLimiter)
    name = f"nobody-{uuid.uuid4().hex[:8]}"
    with TestClient(app) as client:
        body = {"username": name, "password": "wrong-password"}
        codes = [client.post("/api/auth/token", json=body).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
