"""Build (once) the Debian sid root that holds Asterisk 22 for the bundled PBX.

Recipe (docs/pbx.md): ``debootstrap --variant=minbase <suite> <dir>``, then inside the chroot
``apt-get update`` (the registry's snapshot has an expired Release file, hence
``Acquire::Check-Valid-Until=false``) and ``apt-get install --no-install-recommends`` of Asterisk, its
English GSM prompts and the opsound music on hold. The root is built in ``<cache_dir>/root.partial``
and renamed to ``<cache_dir>/root`` only when complete, with a marker file holding the build facts;
a root without the marker is rebuilt. A file lock keeps parallel builds (several test sessions) apart.

debootstrap uses its default mirror; set ``CC_PBX_MIRROR`` to pass another one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from telephony.pbx.errors import PbxError
from telephony.pbx.layout import ASTERISK_BINARY, BUILT_MARKER
from telephony.pbx.locks import locked

log = logging.getLogger(__name__)

PACKAGES = ("asterisk", "asterisk-core-sounds-en-gsm", "asterisk-moh-opsound-gsm")
MIRROR_ENV = "CC_PBX_MIRROR"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUILD_LOCK_TIMEOUT = 900.0


@dataclass(frozen=True)
class BuildInfo:
    """What the marker file of a complete root says."""

    asterisk_version: str
    suite: str
    built_at: float
    seconds: float
    fresh: bool  # built by this call (False: reused)


def require_root_user() -> None:
    if os.geteuid() != 0:
        raise PbxError("the bundled PBX needs root (debootstrap and chroot): run this command as root")


def read_marker(root_dir: Path) -> BuildInfo | None:
    marker = root_dir / BUILT_MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        info = BuildInfo(
            asterisk_version=str(data["asterisk_version"]),
            suite=str(data["suite"]),
            built_at=float(data["built_at"]),
            seconds=float(data["seconds"]),
            fresh=False,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (root_dir / str(ASTERISK_BINARY).lstrip("/")).exists():
        return None
    return info


def write_marker(root_dir: Path, info: BuildInfo) -> None:
    data = {
        "asterisk_version": info.asterisk_version,
        "suite": info.suite,
        "built_at": info.built_at,
        "seconds": info.seconds,
    }
    (root_dir / BUILT_MARKER).write_text(json.dumps(data), encoding="utf-8")


def ensure_root(cache_dir: Path, suite: str) -> BuildInfo:
    """Return the facts of a complete root in ``cache_dir/root``, building it first if needed."""
    root_dir = cache_dir / "root"
    info = read_marker(root_dir)
    if info is not None:
        return info
    require_root_user()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with locked(cache_dir / "build.lock", BUILD_LOCK_TIMEOUT):
        info = read_marker(root_dir)  # built by someone else while we waited
        if info is not None:
            return info
        return _build(cache_dir, suite)


def _build(cache_dir: Path, suite: str) -> BuildInfo:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise PbxError("debootstrap is not installed: apt-get install -y debootstrap")
    root_dir = cache_dir / "root"
    partial = cache_dir / "root.partial"
    build_log = cache_dir / "build.log"
    started = time.monotonic()
    for stale in (partial, root_dir):  # root without marker = half-built or damaged
        if stale.exists():
            log.info("removing incomplete root %s", stale)
            shutil.rmtree(stale)
    with build_log.open("w", encoding="utf-8") as out:
        command = [debootstrap, "--variant=minbase", suite, str(partial)]
        mirror = os.environ.get(MIRROR_ENV, "").strip()
        if mirror:
            command.append(mirror)
        log.info("debootstrap %s into %s (about 25 s)", suite, partial)
        _run(command, out, build_log, "debootstrap failed (registry unreachable?)")
        policy = partial / "usr/sbin/policy-rc.d"  # never start services inside the root
        policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
        policy.chmod(0o755)
        apt = ["chroot", str(partial), "apt-get", "-o", "Acquire::Check-Valid-Until=false"]
        log.info("apt-get install %s (about 15 s)", " ".join(PACKAGES))
        _run([*apt, "update"], out, build_log, "apt-get update in the root failed (registry unreachable?)")
        _run(
            [*apt, "install", "-y", "--no-install-recommends", *PACKAGES],
            out,
            build_log,
            "apt-get install of Asterisk in the root failed",
        )
        _run([*apt, "clean"], out, build_log, "apt-get clean in the root failed")
    version = asterisk_version(partial)
    seconds = round(time.monotonic() - started, 1)
    info = BuildInfo(version, suite, time.time(), seconds, fresh=True)
    write_marker(partial, info)
    partial.rename(root_dir)
    log.info("built %s in %.1f s at %s", version, seconds, root_dir)
    return info


def asterisk_version(root_dir: Path) -> str:
    """``Asterisk 22.x.y...`` as the binary in the root reports it."""
    try:
        done = subprocess.run(
            ["chroot", str(root_dir), str(ASTERISK_BINARY), "-V"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PbxError(f"cannot run Asterisk in {root_dir}: {exc}") from exc
    if done.returncode != 0 or not done.stdout.startswith("Asterisk"):
        raise PbxError(f"Asterisk in {root_dir} does not run: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def _run(command: list[str], out: TextIO, build_log: Path, what: str) -> None:
    env = {**os.environ, "PATH": CHROOT_PATH, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}
    out.write(f"$ {' '.join(command)}\n")
    out.flush()
    try:
        done = subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=1200, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PbxError(f"{what}: {exc} (log: {build_log})") from exc
    if done.returncode != 0:
        raise PbxError(f"{what}: {_last_error(build_log)} (exit {done.returncode}; log: {build_log})")


def _last_error(build_log: Path) -> str:
    try:
        lines = [
            line.strip() for line in build_log.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
    except OSError:
        return "no log"
    for line in reversed(lines):
        if line.startswith(("E:", "W: Failure", "ERROR", "Err:")):
            return line
    return next((line for line in reversed(lines) if line), "no output")
