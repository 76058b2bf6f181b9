"""The login limit under attack: attempts are counted before the password is checked (concurrent
wrong passwords cannot all be tried), and X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.app import create_app
from agent_console.auth.ratelimit import InMemoryLoginLimiter
from agent_console.forwarded import client_address, networks
from callcenter.platform import build_platform
from config.settings import load_settings
from tests.agent_console.conftest import LiveApi
from tests.agent_console.live_server import serve_in_thread
from tests.fixtures.api import TEST_HASHER, TEST_SECRET, MadeUser
from tickets.users.passwords import Passwords


def _login(base: str, username: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{base}/api/auth/token", json={"username": username, "password": password},
                      headers=headers, timeout=60)


def test_given_40_concurrent_wrong_passwords_then_only_5_are_checked_and_the_rest_get_429(
    live_api: LiveApi, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda _i: _login(live_api.base, user.username, "wrong-password").status_code,
                              range(40)))
    assert codes.count(401) == 5 and codes.count(429) == 35, codes


def test_given_a_locked_out_user_when_sending_a_new_forwarded_for_then_still_429(
    live_api: LiveApi, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    for _ in range(5):
        assert _login(live_api.base, user.username, "wrong-password").status_code == 401
    for fake in ("203.0.113.7", "198.51.100.1, 203.0.113.9"):
        again = _login(live_api.base, user.username, user.password, **{"X-Forwarded-For": fake})
        assert again.status_code == 429


@pytest.fixture
def behind_proxy(db_url: str) -> Iterator[LiveApi]:
    """The API with 127.0.0.1 named as a trusted reverse proxy."""
    settings = load_settings(database_url=db_url,
                             api={"secret_key": TEST_SECRET, "trusted_proxies": ["127.0.0.1/32"]})
    platform = build_platform(settings, passwords=Passwords(TEST_HASHER))
    with serve_in_thread(create_app(platform)) as base:
        yield LiveApi(base, platform)


def test_given_a_trusted_proxy_then_its_forwarded_clients_are_limited_apart(
    behind_proxy: LiveApi, make_user: Callable[..., MadeUser]
) -> None:
    user = make_user("agent")
    for _ in range(5):
        r = _login(behind_proxy.base, user.username, "wrong-password", **{"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 401
    assert _login(behind_proxy.base, user.username, user.password,
                  **{"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert _login(behind_proxy.base, user.username, user.password,
                  **{"X-Forwarded-For": "198.51.100.4"}).status_code == 200


async def test_an_attempt_is_counted_in_the_same_step_as_the_check() -> None:
    limiter = InMemoryLoginLimiter(2, 60.0, clock=lambda: 100.0)
    assert [await limiter.attempt("k") for _ in range(4)] == [0, 0, 60.0, 60.0]
    await limiter.succeeded("k")
    assert await limiter.attempt("k") == 0


PROXIES = networks(["10.0.0.0/8", "192.168.1.1"])
_ip = st.ip_addresses(v=4).map(str)


@given(peer=_ip, hops=st.lists(_ip, max_size=5))
def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy(peer: str, hops: list[str]) -> None:
    header = ", ".join(hops) if hops else None
    found = client_address(peer, header, PROXIES)
    trusted = any(ipaddress.ip_address(peer) in net for net in PROXIES)
    if not trusted or not hops:
        assert found == peer
    else:
        untrusted = [h for h in hops if not any(ipaddress.ip_address(h) in net for net in PROXIES)]
        assert found == (untrusted[-1] if untrusted else hops[0])
    assert client_address(peer, header, ()) == peer  # no proxies named: never the header
