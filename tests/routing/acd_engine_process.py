"""The platform with its ACD in a process of its own, for tests that kill it (``kill -9``).

    python -m tests.routing.acd_engine_process <settings.json>

Builds the platform from the settings (AMI, no FastAGI), logs every agent in and pauses them (so
callers wait), prints ``ready`` once the fail-open queue's members are in step, then reads one JSON
request a line (``{"call_id", "queue", "caller", "tier"}``), hands it to the IVR's distributor and
prints ``{"call_id", "dialplan", "queue"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from callcenter.platform import build_platform
from config.settings import Settings
from ivr.ports import RouteRequest
from routing.events import LogIn, Pause


async def main(settings: Settings) -> None:
    platform = build_platform(settings, ami=True, record_calls=False)
    assert platform.acd is not None and platform.acd_runtime is not None and platform.telephony is not None
    runtime = platform.acd_runtime
    async with platform.running():
        await platform.telephony.ami.wait_connected(timeout=20)
        for agent_id in list(platform.acd.core.agents):
            await platform.acd.submit(LogIn(agent_id))
            await platform.acd.submit(Pause(agent_id, "test"))
        await runtime.sync_members()
        print("ready", flush=True)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            body = json.loads(line)
            target = await runtime.distributor.route(RouteRequest(
                call_id=body["call_id"], queue=body["queue"], caller=body["caller"], tier=body.get("tier")))
            print(json.dumps({"call_id": body["call_id"], "dialplan": target and target.dialplan,
                              "queue": target and target.queue}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Settings.model_validate_json(Path(sys.argv[1]).read_text(encoding="utf-8"))))
