"""The ``agi_*`` environment block Asterisk sends first on a FastAGI connection, parsed without I/O.

Asterisk writes one ``agi_<name>: <value>`` line per header, LF-terminated, and ends the block with
an empty line. ``agi_network_script`` is omitted when the URL has no path. Arguments come as
``agi_arg_1`` ... ``agi_arg_N``. The request URL ``agi://host:port/script?query`` gives the route
(``script``) and its parameters (``query``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from telephony.agi.errors import AgiEnvironmentError

_PREFIX = "agi_"
_ARG_PREFIX = "arg_"


@dataclass(frozen=True)
class AgiRequest:
    """The route part of a request URL: script name (path without slashes) and query parameters."""

    script: str
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AgiEnvironment:
    """Parsed ``agi_*`` headers. Raw values are kept as Asterisk sent them (``unknown`` included)."""

    headers: Mapping[str, str]
    """Every header by name without the ``agi_`` prefix (``channel``, ``calleridname``, ``arg_1`` ...)."""
    args: tuple[str, ...] = ()
    script: str = ""
    query: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """A header by name, with or without the ``agi_`` prefix."""
        key = name.lower()
        if key.startswith(_PREFIX):
            key = key[len(_PREFIX) :]
        return self.headers.get(key, default)

    @property
    def request(self) -> str:
        return self.get("request")

    @property
    def channel(self) -> str:
        return self.get("channel")

    @property
    def uniqueid(self) -> str:
        return self.get("uniqueid")

    @property
    def callerid(self) -> str:
        return self.get("callerid")

    @property
    def calleridname(self) -> str:
        return self.get("calleridname")

    @property
    def dnid(self) -> str:
        return self.get("dnid")

    @property
    def rdnis(self) -> str:
        return self.get("rdnis")

    @property
    def extension(self) -> str:
        return self.get("extension")

    @property
    def context(self) -> str:
        return self.get("context")

    @property
    def priority(self) -> str:
        return self.get("priority")

    @property
    def language(self) -> str:
        return self.get("language")

    @property
    def accountcode(self) -> str:
        return self.get("accountcode")

    @property
    def network_script(self) -> str:
        return self.get("network_script")


def parse_request_url(url: str) -> AgiRequest:
    """``agi://host:port/ivr?did=+8610`` → ``AgiRequest("ivr", {"did": "+8610"})``.

    Query values are percent-decoded but ``+`` stays ``+``: dialplans put raw numbers there.
    Accepts a bare ``script?query`` too (the form of ``agi_network_script``).
    """
    if "://" in url:
        parts = urlsplit(url)
        path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
    return AgiRequest(script=unquote(path).strip("/"), query=_parse_query(query))


def _parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return params


def parse_environment(lines: Iterable[str]) -> AgiEnvironment:
    """Parse header lines (terminators optional); stops at the first empty line.

    Raises ``AgiEnvironmentError`` for a line that is not ``agi_<name>: <value>`` or a block that
    names neither ``agi_request`` nor ``agi_network_script``.
    """
    headers: dict[str, str] = {}
    numbered_args: dict[int, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line:
            break
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name.startswith(_PREFIX) or len(name) == len(_PREFIX):
            raise AgiEnvironmentError(
                f"environment line {number} is not 'agi_<name>: <value>': {line[:80]!r}"
            )
        if value.startswith(" "):
            value = value[1:]
        key = name[len(_PREFIX) :]
        headers[key] = value
        if key.startswith(_ARG_PREFIX):
            index = key[len(_ARG_PREFIX) :]
            if index.isdigit() and int(index) > 0:
                numbered_args[int(index)] = value
    request_url = headers.get("request", "")
    network_script = headers.get("network_script", "")
    if not request_url and not network_script:
        raise AgiEnvironmentError("environment has neither agi_request nor agi_network_script")
    route = parse_request_url(request_url) if "://" in request_url else parse_request_url(network_script)
    if not route.script and network_script:
        route = parse_request_url(network_script)
    args = tuple(numbered_args[index] for index in sorted(numbered_args))
    return AgiEnvironment(headers=headers, args=args, script=route.script, query=route.query)


def parse_environment_block(data: bytes) -> AgiEnvironment:
    """Parse a whole block as bytes (UTF-8; undecodable bytes become U+FFFD)."""
    return parse_environment(data.decode("utf-8", errors="replace").split("\n"))
