"""FastAGI: an asyncio server, a typed call session for IVRs, and pure protocol parsing.

    from telephony.agi import FastAgiServer, AgiSession, AgiHangup

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        digits, timed_out = await session.get_data("beep", timeout_ms=3000, max_digits=4)

    async def wait_in_queue(session: AgiSession) -> None:   # sends no command while it waits
        async with session.watch_hangup():                  # AgiHangup as soon as the caller goes
            await acd_offer(session.env.uniqueid)

    async with FastAgiServer("127.0.0.1", 4573, {"ivr": ivr}) as server:
        await server.serve_forever()

See docs/agi.md.
"""

from telephony.agi.commands import encode_command, format_command, quote
from telephony.agi.connection import DEAD_CHANNEL_COMMANDS, NO_TIMEOUT, AgiConnection, read_environment
from telephony.agi.environment import (
    AgiEnvironment,
    AgiRequest,
    parse_environment,
    parse_environment_block,
    parse_request_url,
)
from telephony.agi.errors import (
    AgiCommandFailed,
    AgiCommandInvalid,
    AgiDeadChannel,
    AgiEnvironmentError,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
    AgiUsageError,
)
from telephony.agi.handlers import (
    FALLBACK_REASON_VARIABLE,
    FALLBACK_VARIABLE,
    AgiHandler,
    fallback_handler,
    hangup_handler,
    request_fallback,
)
from telephony.agi.hangup import HangupWatch
from telephony.agi.interface import AgiSessionProtocol
from telephony.agi.replies import (
    AgiReply,
    HangupSignal,
    MalformedLine,
    ProgressReply,
    ReplyAssembler,
    ReplyItem,
    parse_success,
)
from telephony.agi.results import GetDataResult, RecordResult, StreamResult
from telephony.agi.server import AgiServerStats, FastAgiServer
from telephony.agi.session import AgiSession

__all__ = [
    "DEAD_CHANNEL_COMMANDS",
    "FALLBACK_REASON_VARIABLE",
    "FALLBACK_VARIABLE",
    "NO_TIMEOUT",
    "AgiCommandFailed",
    "AgiCommandInvalid",
    "AgiConnection",
    "AgiDeadChannel",
    "AgiEnvironment",
    "AgiEnvironmentError",
    "AgiError",
    "AgiHandler",
    "AgiHangup",
    "AgiProtocolError",
    "AgiReply",
    "AgiRequest",
    "AgiServerStats",
    "AgiSession",
    "AgiSessionProtocol",
    "AgiTimeout",
    "AgiUsageError",
    "FastAgiServer",
    "GetDataResult",
    "HangupSignal",
    "HangupWatch",
    "MalformedLine",
    "ProgressReply",
    "RecordResult",
    "ReplyAssembler",
    "ReplyItem",
    "StreamResult",
    "encode_command",
    "fallback_handler",
    "format_command",
    "hangup_handler",
    "parse_environment",
    "parse_environment_block",
    "parse_request_url",
    "parse_success",
    "quote",
    "read_environment",
    "request_fallback",
]
