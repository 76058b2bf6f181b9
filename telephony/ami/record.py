"""Record a real AMI byte stream from a PBX while it carries simulated calls.

    CC_AMI__PORT=15038 CC_AMI__USERNAME=callcenter-test CC_AMI__SECRET=callcenter-test-secret \\
        python -m telephony.ami.record --out sim-calls-300.ami --queue-calls 150 --hold-calls 150 \\
        --refuse-agi 14573

The bytes are written exactly as read from the socket (banner, replies to our actions, events).
Callers come from ``telephony.pbx.simulate``: queue calls dial [inbound] (which falls back to the
agent-phone queue when no FastAGI server answers), hold calls are plain answered calls. Names mix
Chinese and Latin scripts. The recording ends when every call has ended (tracked by CallTracker).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
import time
from pathlib import Path

from config.settings import AmiSettings, get_settings

from .client import AmiClient

NAMES = (
    "张三丰",
    "李小龙",
    "王菲",
    "欧阳娜娜",
    "Zhang Wei",
    "Li Na",
    "Chen Jing",
    "司马光",
    "O'Brien",
    "Ана",
)


async def record(
    settings: AmiSettings,
    out: Path,
    *,
    queue_calls: int = 100,
    hold_calls: int = 100,
    rate: float = 10.0,
    deadline: float = 600.0,
) -> dict[str, float | int | str]:
    """Originate the calls, write every received byte to ``out``; return a summary."""
    from telephony.pbx.simulate import caller_originate, hold_originate
    from telephony.tracker import CallEnded, CallEvent, CallStarted, CallTracker, attach

    out.parent.mkdir(parents=True, exist_ok=True)
    tracker = CallTracker()
    started: set[str] = set()
    ended: set[str] = set()
    kinds = ["queue"] * queue_calls + ["hold"] * hold_calls
    random.Random(7).shuffle(kinds)
    total = len(kinds)
    all_ended = asyncio.Event()

    def count(event: CallEvent) -> None:
        if isinstance(event, CallStarted):
            started.add(event.call_id)
        elif isinstance(event, CallEnded):
            ended.add(event.call_id)
            if len(ended) >= total and not tracker.live_calls:
                all_ended.set()

    tracker.subscribe(count)
    t0 = time.monotonic()
    with out.open("wb") as sink:

        def write(data: bytes) -> None:
            sink.write(data)

        client = AmiClient(settings)
        client.add_raw_listener(write)
        attach(client, tracker)
        await client.connect()
        try:
            for index, kind in enumerate(kinds):
                name = NAMES[index % len(NAMES)]
                number = f"+86138{index:08d}"
                if kind == "queue":
                    dtmf = ("1", "42#", "2*9", "")[index % 4]
                    action = caller_originate("4000", number=number, name=name, dtmf=dtmf, delay=0.5, talk=1)
                else:
                    action = hold_originate(number=number, name=name, hold=1 + index % 3)
                headers = {k: v for k, v in action.items() if k not in ("Action", "ActionID")}
                await client.send_action("Originate", headers, check=True)
                await asyncio.sleep(1 / rate)
            try:
                await asyncio.wait_for(all_ended.wait(), deadline)
            except TimeoutError:
                pass  # the summary shows how many calls did not end
        finally:
            await client.close()
        size = sink.tell()
    return {
        "file": str(out),
        "bytes": size,
        "calls_started": len(started),
        "calls_ended": len(ended),
        "seconds": round(time.monotonic() - t0, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--queue-calls", type=int, default=100)
    parser.add_argument("--hold-calls", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="calls originated per second")
    parser.add_argument(
        "--refuse-agi",
        type=int,
        metavar="PORT",
        help="hold 127.0.0.1:PORT bound but not listening, so [inbound] takes the fallback queue",
    )
    args = parser.parse_args()
    settings = get_settings().ami
    with contextlib.ExitStack() as stack:
        if args.refuse_agi:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", args.refuse_agi))
        counts = {"queue_calls": args.queue_calls, "hold_calls": args.hold_calls}
        summary = asyncio.run(record(settings, args.out, **counts, rate=args.rate))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
