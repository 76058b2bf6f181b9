"""Start, stop, inspect and talk to one bundled Asterisk process (chrooted into the root).

The process is found by scanning ``/proc`` for ``/usr/sbin/asterisk -C <our asterisk.conf>`` (not the
``-rx`` remote consoles), so a lost pid file never leaves an Asterisk behind. It runs in its own
session (process group) so ``stop`` can end the whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from telephony.pbx.amiprobe import AmiProbeError, probe
from telephony.pbx.errors import PbxError
from telephony.pbx.layout import ASTERISK_BINARY, PbxLayout

CHROOT_ENV = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/root",
}


@dataclass(frozen=True)
class AmiLogin:
    host: str
    port: int
    username: str
    secret: str


@dataclass(frozen=True)
class PbxStatus:
    """What ``callcenter pbx status`` shows."""

    running: bool
    pid: int | None
    ami_reachable: bool
    fully_booted: bool
    version: str
    ami_address: str
    run_dir: Path
    detail: str = ""

    def lines(self) -> list[str]:
        if not self.running:
            return [f"bundled PBX: stopped ({self.detail or 'no process'})", f"run dir: {self.run_dir}"]
        ami = (
            "reachable, fully booted"
            if self.fully_booted
            else ("reachable" if self.ami_reachable else "NOT reachable")
        )
        lines = [
            f"bundled PBX: running (pid {self.pid})",
            f"version: {self.version or 'unknown'}",
            f"AMI {self.ami_address}: {ami}",
            f"run dir: {self.run_dir}",
        ]
        if self.detail:
            lines.append(f"note: {self.detail}")
        return lines


def find_pids(layout: PbxLayout) -> list[int]:
    """Live (non-zombie) Asterisk daemons started with this instance's asterisk.conf."""
    conf = str(layout.asterisk_conf_in_root)
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if not args or not args[0].endswith("asterisk") or conf not in args:
            continue
        if any(a.startswith("-r") or a == "-R" for a in args):
            continue
        pid = int(entry.name)
        if _alive(pid):
            pids.append(pid)
    return sorted(pids)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own dead child
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _port_stays_taken(host: str, port: int, grace: float) -> bool:
    """True when ``port`` is still taken after ``grace`` seconds (a just-stopped Asterisk may take a
    moment to close its listening socket)."""
    deadline = time.monotonic() + grace
    while port_in_use(host, port):
        if time.monotonic() > deadline:
            return True
        time.sleep(0.1)
    return False


def start(layout: PbxLayout, ami: AmiLogin, boot_timeout: float) -> int:
    """Start Asterisk (config must be rendered) and wait for FullyBooted; returns the pid."""
    if _port_stays_taken(ami.host, ami.port, grace=5.0):
        raise PbxError(
            f"AMI port {ami.host}:{ami.port} is already taken by another process: stop it or set "
            f"CC_AMI__PORT to a free port"
        )
    layout.log_dir.mkdir(parents=True, exist_ok=True)
    with layout.console_log.open("wb") as console:  # one start per log
        proc = subprocess.Popen(
            [
                "chroot",
                str(layout.root_dir),
                str(ASTERISK_BINARY),
                "-C",
                str(layout.asterisk_conf_in_root),
                "-f",
                "-n",
            ],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=CHROOT_ENV,
        )
    layout.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
    try:
        wait_booted(layout, ami, boot_timeout, proc)
    except BaseException:
        stop(layout)
        raise
    return proc.pid


def wait_booted(
    layout: PbxLayout, ami: AmiLogin, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> str:
    """Poll AMI until it reports FullyBooted; returns the version. Fails early if Asterisk exits."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while True:
        if proc is not None and proc.poll() is not None:
            raise PbxError(
                f"Asterisk exited with code {proc.returncode} while starting: {last_log_line(layout)} "
                f"(log: {layout.console_log})"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PbxError(
                f"Asterisk did not report FullyBooted on AMI {ami.host}:{ami.port} within {timeout:.0f} s "
                f"({last_error}; log: {layout.console_log})"
            )
        try:
            result = probe(ami.host, ami.port, ami.username, ami.secret, timeout=min(remaining, 3.0))
        except AmiProbeError as exc:
            last_error = str(exc)
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            continue
        if result.fully_booted:
            return result.asterisk_version


def stop(layout: PbxLayout, timeout: float = 10.0) -> bool:
    """End every Asterisk of this instance (SIGTERM to its process group, then SIGKILL).

    Returns False when nothing was running.
    """
    pids = find_pids(layout)
    if not pids:
        return False
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while find_pids(layout) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in find_pids(layout):
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while find_pids(layout):
        if time.monotonic() > deadline:
            raise PbxError(f"Asterisk (pid {find_pids(layout)}) does not end even after SIGKILL")
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        layout.pid_file.unlink()
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    """Signal the process group when Asterisk leads its own (as started here), else the process."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def status(layout: PbxLayout, ami: AmiLogin) -> PbxStatus:
    pids = find_pids(layout)
    address = f"{ami.host}:{ami.port}"
    if not pids:
        return PbxStatus(False, None, False, False, "", address, layout.run_link)
    detail = f"several processes: {pids}" if len(pids) > 1 else ""
    try:
        result = probe(ami.host, ami.port, ami.username, ami.secret, timeout=3.0)
    except AmiProbeError as exc:
        return PbxStatus(True, pids[0], False, False, "", address, layout.run_link, detail or str(exc))
    return PbxStatus(
        True, pids[0], True, result.fully_booted, result.asterisk_version, address, layout.run_link, detail
    )


def cli(layout: PbxLayout, command: str, timeout: float = 30.0) -> str:
    """Run one Asterisk CLI command (``asterisk -rx``) against this instance; returns its output."""
    try:
        done = subprocess.run(
            [
                "chroot",
                str(layout.root_dir),
                str(ASTERISK_BINARY),
                "-C",
                str(layout.asterisk_conf_in_root),
                "-rx",
                command,
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
            env=CHROOT_ENV,
        )
    except subprocess.TimeoutExpired as exc:
        raise PbxError(f"Asterisk CLI command {command!r} took more than {timeout:.0f} s") from exc
    except OSError as exc:
        raise PbxError(f"cannot run the Asterisk CLI: {exc}") from exc
    output = done.stdout.decode("utf-8", errors="replace")
    error = done.stderr.decode("utf-8", errors="replace").strip()
    if "Unable to connect to remote asterisk" in output + error:
        raise PbxError(f"the bundled PBX is not running (run dir {layout.run_link})")
    if done.returncode != 0:
        raise PbxError(f"Asterisk CLI command {command!r} failed: {error or output.strip()}")
    return output


def last_log_line(layout: PbxLayout) -> str:
    try:
        lines = layout.console_log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    for line in reversed(lines):
        if "ERROR" in line or "WARNING" in line:
            return line.strip()
    return lines[-1].strip() if lines else "no output"
