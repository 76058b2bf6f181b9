"""The AMI client works on uvloop, the event loop ``callcenter serve`` runs on (via uvicorn)."""

from __future__ import annotations

from typing import Any

import uvloop

from telephony.ami import AmiClient


def test_client_logs_in_and_runs_a_command_on_uvloop(pbx: Any) -> None:
    async def main() -> list[str]:
        async with AmiClient(pbx.settings.ami) as client:
            await client.wait_connected(timeout=10)
            return await client.command("core show version")

    output = uvloop.run(main())
    assert any(line.startswith("Asterisk 22") for line in output), output
