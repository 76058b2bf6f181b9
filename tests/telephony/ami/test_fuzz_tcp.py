"""Issue 10 §5 goal: 10,000 malformed frames mixed into valid events over TCP, to our AmiClient.

A real asyncio server (the scripted peer) writes every kind of junk (over-long lines, over-size
frames, binary noise, lone CR, missing colons, stray ``Response: Follows``, half frames, NULs,
invalid UTF-8, mixed line endings) with a blank line between junk and each valid event, while it
answers the client's keepalive pings. Every valid event must arrive intact and in order, and the
link must never drop (an unanswered ping would drop it).
"""

from __future__ import annotations

import asyncio
import random
import time

from config.settings import AmiSettings
from telephony.ami import AmiClient, Message

from .fake_peer import FakeAmi
from .junk import VALID, Pairs, junk_frame, valid_event

JUNK_FRAMES = 10_000
MAX_LINE = 2048
MAX_FRAME = 16 * 1024
DEADLINE = 120.0


async def test_given_10000_malformed_frames_over_tcp_every_valid_event_arrives_and_the_link_stays() -> None:
    peer = FakeAmi()
    await peer.start()
    settings = AmiSettings(
        host="127.0.0.1",
        port=peer.port,
        username=peer.username,
        secret=peer.secret,
        connect_timeout=2,
        action_timeout=0.5,
        # a ping reply held back longer than the interval drops the link: 0.2 s, room for a slow
        # machine's pauses while the client parses 10,000 junk frames (0.05 s dropped it on CI)
        keepalive_interval=0.2,
        reconnect_min_delay=0.05,
        reconnect_max_delay=0.2,
    )
    client = AmiClient(settings, max_line=MAX_LINE, max_frame=MAX_FRAME)
    received: list[Message] = []
    drops: list[Exception | None] = []
    client.subscribe(VALID, received.append)
    client.on_disconnect(drops.append)
    await client.connect()
    rng = random.Random(10)
    expected: list[Pairs] = []
    try:
        writer = peer.current.writer
        pings_before = len(peer.all_actions("Ping"))
        junk_sent = 0
        while junk_sent < JUNK_FRAMES:
            unit = bytearray()
            for _ in range(rng.randint(0, 4)):
                unit += junk_frame(rng, max_line=MAX_LINE, max_frame=MAX_FRAME)
                junk_sent += 1
            pairs, data = valid_event(len(expected), rng)
            expected.append(pairs)
            unit += data
            writer.write(bytes(unit))  # one write per unit: ping replies land between units
            if len(expected) % 20 == 0:
                try:
                    await writer.drain()
                except ConnectionError:  # the client dropped the link: reported below
                    break
                await asyncio.sleep(0.001)  # let the peer read and answer pings meanwhile
        end = time.monotonic() + DEADLINE

        def pings() -> int:
            return len(peer.all_actions("Ping")) - pings_before

        # every event delivered, and keepalive seen working (however fast this machine sent it all)
        while (len(received) < len(expected) or pings() <= 5) and not drops:
            if time.monotonic() > end:
                break  # the assertions below say what is missing
            await asyncio.sleep(0.02)
        assert drops == [] and client.generation == 1 and len(peer.connections) == 1
        assert len(received) == len(expected)
        for msg, pairs in zip(received, expected, strict=True):  # lookups from the frame text first
            assert msg["Seq"] == pairs[2][1] and msg["CallerIDName"] == pairs[3][1]
        assert [m.pairs() for m in received] == expected
        assert pings() > 5, pings()  # keepalive ran throughout and every ping was answered in time
        assert (await client.ping()).success
        assert client.generation == 1
    finally:
        await client.close()
        await peer.stop()
