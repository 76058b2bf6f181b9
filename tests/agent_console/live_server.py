"""The app served by a real uvicorn on a thread: what a client sees over HTTP, the response sent as
soon as the server sends it (a TestClient waits for the whole ASGI call, so it cannot tell)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve_in_thread(app: FastAPI, *, timeout: float = 20.0) -> Iterator[str]:
    """Serve ``app`` on a free local port; yields the base URL once it is up, stops it afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, proxy_headers=False, lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


Call = Callable[[httpx.Client], httpx.Response]
"""One request, given a client of its own."""


def post(path: str, body: dict[str, Any]) -> Call:
    return lambda client: client.post(path, json=body)


def at_once(base: str, headers: dict[str, str], calls: Sequence[Call]) -> list[httpx.Response]:
    """Every call sent at the same time, each on a connection of its own; the responses in order."""

    def run(call: Call) -> httpx.Response:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
