"""A tiny blocking AMI conversation for the bundled PBX's own checks (is it up, which version).

Deliberately independent of ``telephony.ami`` (the real asyncio client): log in on a raw socket,
wait for ``Event: FullyBooted`` (Asterisk sends it right after a login once booted, or when booting
completes), optionally ask ``CoreSettings``, log off.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class AmiProbe:
    """What one AMI conversation showed."""

    banner: str
    fully_booted: bool
    asterisk_version: str = ""


class AmiProbeError(Exception):
    """AMI not reachable, login refused, or no FullyBooted before the deadline."""


def probe(
    host: str,
    port: int,
    username: str,
    secret: str,
    *,
    timeout: float = 5.0,
    want_version: bool = True,
) -> AmiProbe:
    """Log in, wait up to ``timeout`` for FullyBooted, read the version (``CoreSettings``)."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            reader = _Reader(sock, deadline)
            banner = reader.line()
            if not banner.startswith("Asterisk Call Manager"):
                raise AmiProbeError(f"{host}:{port} is not AMI (banner {banner[:60]!r})")
            _send(
                sock, {"Action": "Login", "Username": username, "Secret": secret, "ActionID": "probe-login"}
            )
            booted = False
            version = ""
            while True:
                message = reader.message()
                if message.get("ActionID") == "probe-login":
                    if message.get("Response") != "Success":
                        raise AmiProbeError(
                            f"AMI login as {username!r} refused: {message.get('Message', '')}"
                        )
                    break
                booted = booted or message.get("Event") == "FullyBooted"
            while not booted:
                booted = reader.message().get("Event") == "FullyBooted"
            if want_version:
                _send(sock, {"Action": "CoreSettings", "ActionID": "probe-version"})
                while True:
                    message = reader.message()
                    if message.get("ActionID") == "probe-version":
                        version = message.get("AsteriskVersion", "")
                        break
            _send(sock, {"Action": "Logoff", "ActionID": "probe-logoff"})
            return AmiProbe(banner=banner, fully_booted=booted, asterisk_version=version)
    except (OSError, TimeoutError) as exc:
        raise AmiProbeError(f"AMI {host}:{port}: {exc}") from exc


def _send(sock: socket.socket, headers: dict[str, str]) -> None:
    sock.sendall("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n")


class _Reader:
    """Reads CRLF lines and blank-line-terminated messages until a deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        self._buffer = b""

    def line(self) -> str:
        while b"\n" not in self._buffer:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer before the deadline")
            self._sock.settimeout(remaining)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("AMI closed the connection")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        return raw.rstrip(b"\r").decode("utf-8", errors="replace")

    def message(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        while True:
            line = self.line()
            if not line:
                if headers:
                    return headers
                continue
            key, _, value = line.partition(":")
            headers.setdefault(key.strip(), value.strip())
