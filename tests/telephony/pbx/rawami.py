"""A minimal blocking AMI client on a raw socket, for the bundled-PBX tests only.

Independent of telephony.ami on purpose: these tests check what Asterisk puts on the wire (bytes
decoded as UTF-8 per message), not our client.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

Message = dict[str, str]


class RawAmi:
    def __init__(self, host: str, port: int, username: str, secret: str, timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self.events: list[Message] = []
        self.banner = self._read_line()
        reply = self.action({"Action": "Login", "Username": username, "Secret": secret})
        if reply.get("Response") != "Success":
            raise ConnectionError(f"AMI login refused: {reply}")

    def close(self) -> None:
        try:
            self.send({"Action": "Logoff"})
        except OSError:
            pass
        self._sock.close()

    def __enter__(self) -> RawAmi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, headers: dict[str, str]) -> None:
        text = "".join(f"{key}: {value}\r\n" for key, value in headers.items()) + "\r\n"
        self._sock.sendall(text.encode("utf-8"))

    _counter = 0

    def action(self, headers: dict[str, str], timeout: float = 10.0) -> Message:
        """Send an action and return its response; events read meanwhile are kept in ``events``."""
        RawAmi._counter += 1
        action_id = headers.get("ActionID") or f"raw-{RawAmi._counter}"
        self.send({**headers, "ActionID": action_id})
        return self.wait(
            lambda m: "Response" in m and "Event" not in m and m.get("ActionID") == action_id, timeout
        )

    def wait(self, predicate: Callable[[Message], bool], timeout: float) -> Message:
        """The first message (already read or new) matching ``predicate``, polling until a deadline."""
        for message in self.events:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if "Event" in message:
                self.events.append(message)
            if predicate(message):
                return message

    def wait_event(self, name: str, timeout: float = 15.0, **fields: str) -> Message:
        return self.wait(
            lambda m: m.get("Event") == name and all(m.get(k) == v for k, v in fields.items()), timeout
        )

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no matching AMI message before the deadline")
        self._sock.settimeout(remaining)
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("AMI closed the connection")
        self._buffer += chunk

    def _read_line(self) -> str:
        while b"\r\n" not in self._buffer:
            self._fill(time.monotonic() + 10)
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line.decode("utf-8")

    def _read_message(self, deadline: float) -> Message:
        while b"\r\n\r\n" not in self._buffer:
            self._fill(deadline)
        raw, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        message: Message = {}
        for line in raw.decode("utf-8").split("\r\n"):  # strict: a broken UTF-8 name fails the test
            key, _, value = line.partition(": ")
            message.setdefault(key, value)
        return message
