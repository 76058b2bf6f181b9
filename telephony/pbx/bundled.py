"""``BundledPbx``: the development/test Asterisk 22 in a Debian sid chroot, driven from settings.

    pbx = BundledPbx(load_settings())
    pbx.up()            # build on first use, render config, start, wait for FullyBooted (idempotent)
    pbx.cli("core show channels")
    pbx.status().running
    pbx.down()          # nothing left behind

Settings used: ``pbx`` (cache_dir, suite, run_dir, boot_timeout), ``ami`` (port, username, secret:
the one AMI user), ``agi`` (host, port: where the dialplan's FastAGI reaches us). Several instances
(a demo on 5038 and the test suite on 15038) share one root and differ by run dir and ports.
"""

from __future__ import annotations

import logging
from pathlib import Path

from config.settings import Settings, get_settings
from telephony.pbx import process
from telephony.pbx.build import BuildInfo, ensure_root, require_root_user
from telephony.pbx.errors import PbxError
from telephony.pbx.layout import PbxLayout
from telephony.pbx.locks import locked
from telephony.pbx.process import AmiLogin, PbxStatus
from telephony.pbx.render import render_context, write_config

log = logging.getLogger(__name__)

RUN_LOCK_TIMEOUT = 300.0


class BundledPbx:
    """One bundled Asterisk instance (one run dir, one AMI port) in the shared sid root."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.layout = PbxLayout.from_settings(self.settings)

    @property
    def ami(self) -> AmiLogin:
        ami = self.settings.ami
        host = "127.0.0.1" if ami.host in ("", "0.0.0.0", "localhost") else ami.host
        return AmiLogin(host=host, port=ami.port, username=ami.username, secret=ami.secret)

    def ensure_built(self) -> BuildInfo:
        """Build the root on first use (about 40 s), else reuse it."""
        return ensure_root(self.layout.cache_dir, self.settings.pbx.suite)

    def render(self) -> list[Path]:
        """Write the configuration from ``config/asterisk/*.j2``; returns the files that changed."""
        self.layout.prepare_run_dir()
        return write_config(render_context(self.settings, self.layout), self.layout.etc_dir)

    def up(self) -> PbxStatus:
        """Build if needed, render, start and wait for FullyBooted. Already running: reload the
        configuration and return its status."""
        require_root_user()
        self.ensure_built()
        self.layout.prepare_run_dir()
        with locked(self.layout.run_dir / "callcenter.lock", RUN_LOCK_TIMEOUT):
            changed = self.render()
            if process.find_pids(self.layout):
                if changed:  # settings changed since it started
                    log.info("configuration changed (%s): core reload", ", ".join(p.name for p in changed))
                    self.cli("core reload")
                process.wait_booted(self.layout, self.ami, self.settings.pbx.boot_timeout)
            else:
                process.start(self.layout, self.ami, self.settings.pbx.boot_timeout)
        return self.status()

    def down(self) -> bool:
        """Stop this instance's Asterisk (whole process group). False when it was not running."""
        if not self.layout.run_dir.exists():
            return False
        require_root_user()  # its lock file and its processes belong to root
        with locked(self.layout.run_dir / "callcenter.lock", RUN_LOCK_TIMEOUT):
            return process.stop(self.layout)

    def restart(self) -> PbxStatus:
        """Stop, start again and wait until booted (config re-rendered)."""
        self.down()
        return self.up()

    def status(self) -> PbxStatus:
        return process.status(self.layout, self.ami)

    def is_running(self) -> bool:
        return bool(process.find_pids(self.layout))

    def cli(self, command: str, timeout: float = 30.0) -> str:
        """Output of one Asterisk CLI command (``asterisk -rx``) run inside the chroot."""
        if not self.layout.built_marker.exists():
            raise PbxError(
                f"the bundled PBX is not built yet (root {self.layout.root_dir}): run `callcenter pbx up`"
            )
        return process.cli(self.layout, command, timeout)
