"""Fixtures of the console tests: the fixtures' app served by a real uvicorn (``live_api``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from agent_console.app import create_app
from callcenter.platform import Platform, build_platform
from config.settings import Settings
from tests.agent_console.live_server import serve_in_thread
from tests.fixtures.api import TEST_HASHER
from tickets.users.passwords import Passwords


@dataclass(frozen=True)
class LiveApi:
    base: str
    platform: Platform


@pytest.fixture
def live_api(api_settings: Settings) -> Iterator[LiveApi]:
    """An app on the fixtures' database (``db_url``) behind uvicorn on a free port."""
    platform = build_platform(api_settings, passwords=Passwords(TEST_HASHER))
    with serve_in_thread(create_app(platform)) as base:
        yield LiveApi(base, platform)
