"""IVR benchmark: N simultaneous simulated callers on the bundled PBX, our FastAGI server and
IVR against panoramisk's FastAGI server in the same run.

    python bench/ivr.py [--callers 200] [--rounds 10] [--pace-ms 100] [--window-ms 100]
                        [--repeat 2] [--loop asyncio|uvloop] [--no-flow]

Simulated callers are Local channels of the bundled Asterisk 22 (the test instance: AMI 15038,
FastAGI 14573) originated into [inbound], which connects each to the FastAGI port. The command
sequence plays no media: GET VARIABLE, SET VARIABLE, CHANNEL STATUS, DATABASE GET; each command's
round trip (the command line built from its arguments, written, its reply read and parsed) is one
sample. Ours: ``telephony.agi.FastAgiServer`` + ``AgiSession.command`` (``format_command``'s
quoting); panoramisk 1.4: ``panoramisk.fast_agi.Application`` + ``Request.send_command`` (the
bench's quoting). Panoramisk routes by the exact script string and the dialplan appends
``&call=<linkedid>`` to it, so its routes are looked up by the script's path (``ScriptPathRoutes``).

1. Ours alone, ``--callers`` sessions live together, one unmeasured sequence each:
   ``kib_per_session`` = growth of this process's resident memory with every session live, per
   session (and a warm process and Asterisk for what follows).
2. ``--repeat`` measured phases. Each originates 2 × ``--callers`` callers and listens on the
   FastAGI port with one listener that gives every other connection to each server, each built as
   its own listener builds it (``FastAgiServer.protocol``; panoramisk's ``StreamReaderProtocol``
   as ``asyncio.start_server`` makes it): ``--callers`` sessions of each, all live at once, the
   same Asterisk, process and event loop. Once every session is connected they send ``--rounds``
   sequences each, in alternating windows of ``--window-ms`` (``Turns``): only one side's
   sessions send inside a window, with a random pause of 0–2 × ``--pace-ms`` before each sequence
   on that side's own clock; a window closes, every sequence in flight ends, the other side's
   opens. Phases alternate which side opens. A load that comes and goes on the machine thus
   falls on both sides alike, and neither measures while the other sends.
3. Once both sides have measured, ours' sessions run the shipped default flow
   (``ivr.handler.IvrHandler``: real prompts, the caller's DTMF 1 9 1 2 = Mandarin, skip
   identification, inquiry, no survey) until routed, panoramisk's leave the AGI; ``flows_per_s``
   = flows completed / (last flow end − first flow start), from the last phase.

Prints one JSON line: pooled p50/p99 of each side, ``phases_ours_p99_lower`` (phases whose p99 of
ours is at most panoramisk's); each phase's own p50/p99 go to stderr. The AMI link only
originates (``Events: off``): no AMI event is parsed in the process while it measures. Round
trips depend on the machine's load (Asterisk shares it).

The process's garbage collector is set up as ``callcenter serve`` sets it (``callcenter.gc_tuning``:
what startup built frozen out of the collections; ``--no-gc-tuning``: nothing frozen). What held
the loop up while the phases measured is in the JSON too (``Pauses``): the collections per
generation and the longest, the loop's stalls (a 1 ms sleep woken more than 4 ms late;
``loop_stall_cpu_share``: the CPU time the loop's thread got during them, over their length), the
samples of each side whose round trip overlaps a stall, each side's p99 without them, and the
cores this process, Asterisk, the rest of the machine and the hypervisor (steal) used meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import errno
import gc
import heapq
import itertools
import json
import logging
import math
import os
import platform
import random
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from panoramisk.fast_agi import Application  # noqa: E402

from callcenter import gc_tuning  # noqa: E402
from callcenter.commands.ivr import flows_dir, prompt_store  # noqa: E402
from config.settings import Settings  # noqa: E402
from ivr.agi_session import RecordingPlace  # noqa: E402
from ivr.handler import IvrHandler  # noqa: E402
from ivr.ports import RouteTarget  # noqa: E402
from ivr.prompts import build_flow_prompts  # noqa: E402
from ivr.registry import FlowRegistry  # noqa: E402
from telephony.agi import AgiSession, FastAgiServer, request_fallback  # noqa: E402
from telephony.ami import AmiClient  # noqa: E402
from telephony.pbx import BundledPbx  # noqa: E402
from telephony.pbx.locks import locked  # noqa: E402
from telephony.pbx.process import find_pids  # noqa: E402
from telephony.pbx.simulate import caller_originate  # noqa: E402
from tests.ivr.fakes import FakePorts  # noqa: E402

DID = "8610901"
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GET VARIABLE", ("CC_DID",)),
    ("SET VARIABLE", ("CC_BENCH", "1")),
    ("CHANNEL STATUS", ()),
    ("DATABASE GET", ("ccbench", "key")),
)
GAP = "wwww"
FLOW_DTMF = "1" + GAP + "9" + GAP + "1" + GAP + "2"
log = logging.getLogger("bench.ivr")


def pbx_settings() -> Settings:
    """The bundled PBX's test instance (the same one the ``pbx`` test fixture shares)."""
    from tests.fixtures.pbx import pbx_test_settings

    return pbx_test_settings()


@contextlib.contextmanager
def shared_pbx(settings: Settings) -> Iterator[BundledPbx]:
    """Start (or join) the test instance; stop it at the end unless a test session still uses it."""
    from tests.fixtures.pbx import _live_users, _users_dir

    bundled = BundledPbx(settings)
    bundled.ensure_built()
    bundled.layout.prepare_run_dir()
    lock = bundled.layout.run_dir / "fixture.lock"
    users = _users_dir(bundled)
    users.mkdir(exist_ok=True)
    me = users / str(os.getpid())
    with locked(lock, 300):
        me.touch()
        bundled.up()
    try:
        yield bundled
    finally:
        with locked(lock, 300):
            with contextlib.suppress(OSError):
                me.unlink()
            if not [pid for pid in _live_users(users) if pid != os.getpid()]:
                bundled.down()


def rss_kib() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Pauses:
    """What held the event loop up while the phases measured (``active``).

    The garbage collector's collections (``gc.callbacks``: count per generation, longest) and the
    loop's stalls: a probe task sleeps 1 ms again and again, and a wake-up more than
    ``STALL_MS`` late is a stall, noted with the CPU time the loop's thread got meanwhile. A stall
    with little CPU time is a thread that waited for a core (Asterisk's AGI threads and other
    processes share the 2 cores), one with as much CPU time as wall time a loop busy with its
    own work. A sample whose round trip overlaps a stall waited for it. And where the machine's
    CPU went while measuring (``/proc``): this process, Asterisk, everything else, the time the
    hypervisor took (steal) and idle time, as cores in use on average."""

    STALL_MS = 4.0

    def __init__(self, asterisk: list[int] | None = None) -> None:
        self.asterisk = asterisk or []
        """Asterisk's pids: its CPU time while measuring is noted (all its threads)."""
        self.cpu = {"this_process": 0, "asterisk": 0, "others": 0, "steal": 0, "idle": 0}
        """Clock ticks while measuring: this process, Asterisk, the rest of the machine's busy
        time, time the hypervisor took (steal), idle time (both cores)."""
        self.wall = 0.0
        self._at: tuple[float, list[int], int, int] | None = None
        self.active = False
        self.collections = {0: 0, 1: 0, 2: 0}
        self.longest_ms = 0.0
        self._started = 0.0
        self.stalls: list[tuple[float, float, float]] = []
        """``(start, end, cpu seconds)`` of each stall (perf_counter)."""
        gc.callbacks.append(self._on_gc)

    def close(self) -> None:
        gc.callbacks.remove(self._on_gc)

    def begin(self) -> None:
        self.active = True
        self._at = (time.perf_counter(), _machine_ticks(), _process_ticks("self"), self._asterisk_ticks())

    def end(self) -> None:
        if not self.active or self._at is None:
            return
        self.active = False
        wall, machine, own, asterisk = self._at
        self.wall += time.perf_counter() - wall
        fields = [now - then for now, then in zip(_machine_ticks(), machine, strict=True)]
        # /proc/stat: user nice system idle iowait irq softirq steal ...
        busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        mine = _process_ticks("self") - own
        theirs = self._asterisk_ticks() - asterisk
        self.cpu["this_process"] += mine
        self.cpu["asterisk"] += theirs
        self.cpu["others"] += max(busy - mine - theirs, 0)
        self.cpu["steal"] += fields[7]
        self.cpu["idle"] += fields[3] + fields[4]

    def _asterisk_ticks(self) -> int:
        return sum(_process_ticks(pid) for pid in self.asterisk)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self.active:
            self.collections[info["generation"]] += 1
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._started) * 1000)

    async def probe(self) -> None:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            ended = time.perf_counter()
            if self.active and (ended - started) * 1000 > self.STALL_MS:
                self.stalls.append((started, ended, time.thread_time() - cpu))

    def overlapping(self, samples: list[float], ends: list[float]) -> list[bool]:
        """For each sample (ms, ending at ``ends``), whether its round trip overlaps a stall."""
        stalls = sorted(self.stalls)
        stall_ends = [end for _, end, _ in stalls]
        out = []
        for rtt, end in zip(samples, ends, strict=True):
            i = bisect.bisect_left(stall_ends, end - rtt / 1000)
            out.append(i < len(stalls) and stalls[i][0] <= end)
        return out

    def summary(self) -> dict[str, Any]:
        wall = sum(end - start for start, end, _ in self.stalls)
        return {
            "gc_collections": {str(g): n for g, n in self.collections.items()},
            "gc_longest_ms": round(self.longest_ms, 2),
            "loop_stalls": len(self.stalls),
            "loop_stall_longest_ms": round(max((e - s for s, e, _ in self.stalls), default=0) * 1000, 2),
            "loop_stall_cpu_share": round(sum(c for *_, c in self.stalls) / wall, 2) if wall else None,
            # cores in use on average while measuring (of the machine's os.cpu_count())
            "cores_while_measuring": {
                what: round(ticks / TICKS / self.wall, 2) if self.wall else None
                for what, ticks in self.cpu.items()
            },
        }


TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> list[int]:
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(v) for v in stat.readline().split()[1:9]]


def _process_ticks(pid: int | str) -> int:
    """User + system clock ticks of a process, all its threads (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class Gate:
    """Every session waits here until all callers are connected (or the deadline passes)."""

    def __init__(self, expected: int, deadline: float) -> None:
        self.expected = expected
        self.deadline = deadline
        self.arrived = 0
        self.event = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.expected:
            self.event.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.deadline):
                await self.event.wait()
        self.event.set()


async def bind(start: Callable[[], Awaitable[Any]], deadline: float = 120.0) -> Any:
    end = time.monotonic() + deadline
    while True:
        try:
            return await start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > end:
                raise
            await asyncio.sleep(0.5)


async def originate_all(ami: AmiClient, numbers: list[str], dtmf: str, delay: float, talk: float) -> None:
    async def one(number: str) -> None:
        action = caller_originate(
            DID, number=number, name="压测", dtmf=dtmf, delay=delay, talk=talk, timeout=60
        )
        await ami.send_action(action.pop("Action"), action, check=True)

    await asyncio.gather(*(one(n) for n in numbers))


async def wait_for(condition: Callable[[], bool], deadline: float) -> bool:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.05)
    return True


async def channels_gone(bundled: BundledPbx, numbers: set[str], deadline: float) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        output = await asyncio.to_thread(bundled.cli, "core show channels concise")
        if not any(n in line for line in output.splitlines() for n in numbers):
            return
        await asyncio.sleep(0.5)
    log.warning("some bench channels still up after %s s", deadline)


async def ivr_parts(settings: Settings, bundled: BundledPbx) -> tuple[IvrHandler, FakePorts]:
    """The shipped flows with their prompts and our IVR handler over fake ports."""
    registry = FlowRegistry(flows_dir())
    registry.reload()
    store = prompt_store(settings)
    report = await asyncio.to_thread(build_flow_prompts, store, registry.flows.values())
    if report.refused:
        raise SystemExit(f"prompts refused: {report.refused}")
    fake = FakePorts(route_target=RouteTarget(dialplan="done"))
    inside = Path("/var/spool/callcenter/ivr-bench")
    recordings = RecordingPlace(bundled.layout.root_dir / str(inside).lstrip("/"), inside)  # type: ignore[arg-type]
    return IvrHandler(registry, fake.ports(), store, recordings), fake


async def run_alone(
    ami: AmiClient, bundled: BundledPbx, settings: Settings, args: argparse.Namespace
) -> dict[str, Any]:
    """Ours alone on the port, ``--callers`` sessions live at once: the memory per session (and a
    warm process and Asterisk for the measured phases). One command sequence each, not measured."""
    numbers = ["136" + str(secrets.randbelow(10**8)).zfill(8) for _ in range(args.callers)]
    mine = set(numbers)
    gate = Gate(args.callers, args.gate_deadline)
    done: list[float] = []
    live_rss: list[int] = []

    async def handler(session: AgiSession) -> None:
        if session.env.callerid not in mine:
            await request_fallback(session, "not-the-bench")
            return
        await gate.wait()
        if not live_rss:
            live_rss.append(rss_kib())
        for verb, command_args in COMMANDS:
            await session.command(verb, *command_args)
        await session.set_variable("CC_NEXT", "done")
        done.append(time.perf_counter())

    server = FastAgiServer(settings.agi.host, settings.agi.port, {"ivr": handler})
    await bind(server.start)
    base_rss = rss_kib()
    try:
        await originate_all(ami, numbers, FLOW_DTMF, delay=args.dtmf_delay, talk=args.talk)
        await wait_for(lambda: len(done) >= gate.arrived >= args.callers, args.deadline)
        await wait_for(lambda: server.live_sessions == 0, 60)
    finally:
        await server.close(grace=5)
    await channels_gone(bundled, mine, 120)
    return {
        "peak_live_sessions": server.stats.peak_live,
        "kib_per_session": round((live_rss[0] - base_rss) / max(gate.arrived, 1), 1) if live_rss else None,
    }


class ScriptPathRoutes(dict[str, Any]):
    """panoramisk's route table, looked up by the script's path (``ivr``), not its whole string."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.split("?", 1)[0], default)


def panoramisk_line(verb: str, args: tuple[str, ...]) -> str:
    return " ".join([verb, *(f'"{a}"' for a in args)])


OURS = "ours"
PEER = "panoramisk"


class Turns:
    """Time windows of ``window`` s that belong to one side at a time (ours, panoramisk, ours ...).

    Each side's sessions live on a clock of their own that runs only inside their side's windows:
    a session's pause before a sequence elapses there (a pause cut by the end of a window goes on
    in the side's next one) and its sequences start there. So within its windows each side sees
    exactly the traffic of callers that pause ``--pace-ms`` on average, however short the
    windows. A window closes after ``window`` s or once its side has no sequence left; the next
    opens once every sequence in flight has ended, so the two sides never measure at the same
    moment and a load that comes and goes on the machine falls on both alike.

    The pauses of a side wait in one heap, due on the side's clock, and ``run`` releases each
    when it is due while the side's window is open: a session wakes once per pause. (Sessions
    that slept in steps cut at the window's end all woke when a window opened and when it closed,
    a burst of the loop's own work at the boundaries that fell on the sequences in flight:
    samples that started in a window's last 10 ms were over 1.5 ms 9 times as often as the rest.)
    """

    def __init__(self, sequences: dict[str, int], window: float, first: str) -> None:
        self.left = dict(sequences)
        self.window = window
        self.order = [first, PEER if first == OURS else OURS]
        self.active: str | None = None
        self.opened_at = 0.0
        self.elapsed = dict.fromkeys(sequences, 0.0)
        """Each side's clock: the time its windows have been open before the current one."""
        self.due: dict[str, list[tuple[float, int, asyncio.Future[None]]]] = {side: [] for side in sequences}
        self._order = itertools.count()
        self._until = math.inf
        """Loop time the releasing loop sleeps until (a new earlier pause wakes it)."""
        self._wake = asyncio.Event()
        self.in_flight = 0
        self.drained = asyncio.Event()
        self.drained.set()
        self.windows = dict.fromkeys(sequences, 0)

    def clock(self, side: str) -> float:
        elapsed = self.elapsed[side]
        if self.active == side:
            elapsed += asyncio.get_running_loop().time() - self.opened_at
        return elapsed

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while any(self.left.values()):
            for side in self.order:
                if not self.left[side]:
                    continue
                self.active = side
                self.opened_at = loop.time()
                closes = self.opened_at + self.window
                self.windows[side] += 1
                heap = self.due[side]
                while self.left[side] and loop.time() < closes:
                    now = self.clock(side)
                    while heap and heap[0][0] <= now:
                        waiter = heapq.heappop(heap)[2]
                        if not waiter.done():
                            waiter.set_result(None)
                    next_due = self.opened_at + heap[0][0] - self.elapsed[side] if heap else closes
                    self._until = min(closes, next_due)
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout_at(self._until):
                            await self._wake.wait()
                self.elapsed[side] += loop.time() - self.opened_at
                self.active = None
                self._until = math.inf
                await self.drained.wait()

    async def pause(self, side: str, seconds: float) -> None:
        """Sleep ``seconds`` of ``side``'s own time; return inside one of its windows."""
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            due = self.clock(side) + seconds
            heapq.heappush(self.due[side], (due, next(self._order), waiter))
            if self.active == side and self.opened_at + due - self.elapsed[side] < self._until:
                self._wake.set()
            await waiter
            if self.active == side:
                return
            seconds = 0.0  # released as its window closed: first thing in the side's next one

    async def sequence(self, side: str, pace_ms: float, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body`` (one command sequence) after a pause of 0–2×``pace_ms`` of side's time."""
        await self.pause(side, random.uniform(0, 2 * pace_ms) / 1000 if pace_ms > 0 else 0.0)
        self.in_flight += 1
        self.drained.clear()
        try:
            await body()
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self.drained.set()
            self.left[side] -= 1
            if not self.left[side]:
                self._wake.set()  # the side's window ends early


async def run_mixed(
    ami: AmiClient,
    bundled: BundledPbx,
    settings: Settings,
    args: argparse.Namespace,
    first: str,
    rtts: dict[str, list[float]],
    ends: dict[str, list[float]],
    pauses: Pauses,
) -> dict[str, Any]:
    """One phase with both servers on the FastAGI port: ``--callers`` sessions each, measured in
    alternating windows (``Turns``); then ours' sessions walk the flow."""
    ivr, fake = await ivr_parts(settings, bundled)
    numbers = ["137" + str(secrets.randbelow(10**8)).zfill(8) for _ in range(2 * args.callers)]
    mine = set(numbers)
    callers = {OURS: args.callers, PEER: args.callers}
    connected = Gate(2 * args.callers, args.gate_deadline)
    measured = Gate(2 * args.callers, args.gate_deadline)
    turns = Turns({side: n * args.rounds for side, n in callers.items()}, args.window_ms / 1000, first)
    sessions = {OURS: 0, PEER: 0}
    flow_starts: list[float] = []
    flow_ends: list[float] = []
    peer_done: list[float] = []

    async def measure_side(side: str, send: Callable[[str, tuple[str, ...]], Awaitable[Any]]) -> None:
        samples, sample_ends = rtts[side], ends[side]

        async def body() -> None:
            for verb, command_args in COMMANDS:
                started = time.perf_counter()
                await send(verb, command_args)
                ended = time.perf_counter()
                samples.append((ended - started) * 1000)
                sample_ends.append(ended)

        sessions[side] += 1
        await connected.wait()
        for _ in range(args.rounds):
            await turns.sequence(side, args.pace_ms, body)
        await measured.wait()  # no flow plays media while a session of either side still measures

    async def ours_handler(session: AgiSession) -> None:
        if session.env.callerid not in mine:
            await request_fallback(session, "not-the-bench")
            return
        await measure_side(OURS, lambda verb, command_args: session.command(verb, *command_args))
        flow_starts.append(time.perf_counter())
        if args.no_flow:
            await session.set_variable("CC_NEXT", "done")
        else:
            await ivr(session)
        flow_ends.append(time.perf_counter())

    async def peer_handler(request: Any) -> None:
        if request.headers.get("agi_callerid") not in mine:
            await request.send_command('SET VARIABLE CC_FALLBACK "1"')
            return
        await measure_side(
            PEER, lambda verb, command_args: request.send_command(panoramisk_line(verb, command_args))
        )
        await request.send_command('SET VARIABLE CC_NEXT "done"')
        peer_done.append(time.perf_counter())

    server = FastAgiServer(settings.agi.host, settings.agi.port, {"ivr": ours_handler})
    app = Application()
    app._route = ScriptPathRoutes()  # its route table is a plain dict
    app.add_route("ivr", peer_handler)
    accepted = {OURS: 0, PEER: 0}
    loop = asyncio.get_running_loop()

    def protocol() -> asyncio.BaseProtocol:
        # every other connection to each side: each gets its own server's protocol, exactly as
        # its own listener builds it (ours: FastAgiServer.start; panoramisk: asyncio.start_server)
        if accepted[OURS] <= accepted[PEER]:
            accepted[OURS] += 1
            return server.protocol()
        accepted[PEER] += 1
        return asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop), app.handler, loop=loop)

    listener = await bind(
        lambda: loop.create_server(protocol, settings.agi.host, settings.agi.port, reuse_address=True)
    )
    turning: asyncio.Task[None] | None = None
    try:
        await originate_all(ami, numbers, FLOW_DTMF, delay=args.dtmf_delay, talk=args.talk)
        await wait_for(lambda: connected.event.is_set(), args.gate_deadline + 30)
        turning = asyncio.create_task(turns.run())
        pauses.begin()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.deadline):
                await measured.event.wait()  # the flows start at once: their work is no stall of the phase
        pauses.end()
        await wait_for(
            lambda: len(flow_ends) >= sessions[OURS] and len(peer_done) >= sessions[PEER] and turning.done(),
            args.deadline,
        )
        await wait_for(lambda: server.live_sessions == 0, 60)
    finally:
        pauses.end()
        if turning is not None:
            turning.cancel()
        listener.close()
        await server.close(grace=5)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await listener.wait_closed()
    await channels_gone(bundled, mine, 120)
    completed = len(flow_ends)
    span = (max(flow_ends) - min(flow_starts)) if completed else float("nan")
    return {
        "flows_completed": completed,
        "flows_routed": sum(1 for p in fake.saved if p.outcome == "route"),
        "flows_per_s": round(completed / span, 2) if completed else 0.0,
        "flow_seconds_median": round(
            statistics.median(e - s for s, e in zip(flow_starts, flow_ends, strict=False)), 2
        )
        if completed
        else None,
        "sessions_connected_together": sessions[OURS],
        "panoramisk_sessions_connected_together": sessions[PEER],
        "windows": dict(turns.windows),
    }


def phase_line(side: str, rtts: list[float]) -> None:
    """One phase's figures on stderr (stdout keeps the one JSON line)."""
    print(
        f"phase {side}: p50 {percentile(rtts, 0.5):.3f} ms p99 {percentile(rtts, 0.99):.3f} ms n={len(rtts)}",
        file=sys.stderr,
        flush=True,
    )


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    settings = pbx_settings()
    with shared_pbx(settings) as bundled:
        pauses = Pauses(find_pids(bundled.layout))
        probe = asyncio.create_task(pauses.probe()) if args.loop_watch else None
        async with AmiClient(settings.ami, events="off") as ami:  # originates only: no events
            if args.gc_tuning:  # the process's collector as `callcenter serve` sets it up
                gc_tuning.tune()
            # ours alone first, not measured for round trips: the memory of a live session, and a
            # warm process and Asterisk for the phases that follow
            alone = argparse.Namespace(**{**vars(args), "no_flow": True, "rounds": 1, "pace_ms": 0})
            memory = await run_alone(ami, bundled, settings, alone)
            pooled: dict[str, list[float]] = {OURS: [], PEER: []}
            pooled_ends: dict[str, list[float]] = {OURS: [], PEER: []}
            phases: list[dict[str, Any]] = []
            p99s: dict[str, list[float]] = {OURS: [], PEER: []}
            for phase in range(args.repeat):
                rtts: dict[str, list[float]] = {OURS: [], PEER: []}
                ends: dict[str, list[float]] = {OURS: [], PEER: []}
                first = OURS if phase % 2 == 0 else PEER  # which side opens the phase's first window
                phases.append(await run_mixed(ami, bundled, settings, args, first, rtts, ends, pauses))
                for side in (OURS, PEER):
                    phase_line(side, rtts[side])
                    pooled[side].extend(rtts[side])
                    pooled_ends[side].extend(ends[side])
                    p99s[side].append(percentile(rtts[side], 0.99))
    if probe is not None:
        probe.cancel()
    pauses.close()
    ours_rtts, peer_rtts = pooled[OURS], pooled[PEER]
    outside: dict[str, list[float]] = {}
    for side in (OURS, PEER):
        stalled = pauses.overlapping(pooled[side], pooled_ends[side])
        outside[side] = [rtt for rtt, hit in zip(pooled[side], stalled, strict=True) if not hit]
    last = phases[-1]
    return {
        "bench": "ivr",
        "callers": args.callers,
        "rounds": args.rounds,
        "pace_ms": args.pace_ms,
        "window_ms": args.window_ms,
        "repeat": args.repeat,
        "loop": args.loop,
        "commands": [verb for verb, _ in COMMANDS],
        "agi_rtt_p50_ms": round(percentile(ours_rtts, 0.5), 3),
        "agi_rtt_p99_ms": round(percentile(ours_rtts, 0.99), 3),
        "agi_rtt_samples": len(ours_rtts),
        "panoramisk_rtt_p50_ms": round(percentile(peer_rtts, 0.5), 3),
        "panoramisk_rtt_p99_ms": round(percentile(peer_rtts, 0.99), 3),
        "panoramisk_rtt_samples": len(peer_rtts),
        "phases_ours_p99_lower": sum(1 for o, p in zip(p99s[OURS], p99s[PEER], strict=True) if o <= p),
        "gc_tuned": args.gc_tuning,
        **pauses.summary(),
        "agi_rtt_samples_in_stalls": len(ours_rtts) - len(outside[OURS]),
        "panoramisk_rtt_samples_in_stalls": len(peer_rtts) - len(outside[PEER]),
        "agi_rtt_p99_ms_outside_stalls": round(percentile(outside[OURS], 0.99), 3),
        "panoramisk_rtt_p99_ms_outside_stalls": round(percentile(outside[PEER], 0.99), 3),
        "flows_completed": last["flows_completed"],
        "flows_routed": last["flows_routed"],
        "flows_per_s": last["flows_per_s"],
        "flow_seconds_median": last["flow_seconds_median"],
        "sessions_connected_together": last["sessions_connected_together"],
        "panoramisk_sessions_connected_together": last["panoramisk_sessions_connected_together"],
        "windows": last["windows"],
        "peak_live_sessions": memory["peak_live_sessions"],
        "kib_per_session": memory["kib_per_session"],
        "python": platform.python_version(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="command sequences per session")
    parser.add_argument("--pace-ms", type=float, default=100.0, help="mean pause before each sequence")
    parser.add_argument("--dtmf-delay", type=float, default=12.0, help="s before the callers press keys")
    parser.add_argument("--talk", type=float, default=60.0, help="s a caller stays after its keys")
    parser.add_argument("--gate-deadline", type=float, default=30.0, help="s to wait for every caller")
    parser.add_argument("--no-flow", action="store_true", help="only the command round trips")
    parser.add_argument(
        "--window-ms", type=float, default=100.0, help="length of one side's measuring window"
    )
    parser.add_argument("--repeat", type=int, default=2, help="phases, each with both servers")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="event loop of both servers"
    )
    parser.add_argument("--deadline", type=float, default=240.0, help="s to wait for every flow")
    parser.add_argument(
        "--no-gc-tuning",
        dest="gc_tuning",
        action="store_false",
        help="freeze nothing out of the garbage collector (serve freezes what startup built)",
    )
    parser.add_argument(
        "--no-loop-watch", dest="loop_watch", action="store_false", help="no stall probe on the loop"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(measure(args))
    else:
        result = asyncio.run(measure(args))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


if __name__ == "__main__":
    main()
