"""Where the bundled PBX lives on disk, seen from the host and from inside the chroot.

The Debian sid root is ``settings.pbx.root_dir`` (``<cache_dir>/root``). Asterisk runs chrooted into
it, so every path in ``asterisk.conf`` must lie inside the root. The run folder (rendered
configuration, pid, control socket, logs, spool, AstDB) therefore always lives inside the root:

* ``settings.pbx.effective_run_dir`` already inside the root: used as it is;
* otherwise the run folder is ``<root>/srv/callcenter/<name>-<hash>`` and
  ``effective_run_dir`` becomes a symbolic link to it, so the configured path still shows the files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from config.settings import Settings
from telephony.pbx.errors import PbxError

ASTERISK_BINARY = PurePosixPath("/usr/sbin/asterisk")
BUILT_MARKER = ".callcenter-built"
INSTANCES_IN_ROOT = PurePosixPath("/srv/callcenter")


@dataclass(frozen=True)
class PbxLayout:
    """Paths of one bundled-PBX instance (one run folder) in one root."""

    cache_dir: Path
    root_dir: Path
    run_link: Path  # settings.pbx.effective_run_dir as configured
    run_in_root: PurePosixPath  # the run folder seen from inside the chroot

    @classmethod
    def from_settings(cls, settings: Settings) -> PbxLayout:
        cache_dir = settings.pbx.cache_dir.expanduser().absolute()
        root_dir = cache_dir / "root"
        run_link = settings.pbx.effective_run_dir.expanduser().absolute()
        try:
            relative = run_link.relative_to(root_dir)
            run_in_root = PurePosixPath("/") / relative.as_posix()
        except ValueError:
            digest = hashlib.sha1(str(run_link).encode()).hexdigest()[:8]
            run_in_root = INSTANCES_IN_ROOT / f"{run_link.name}-{digest}"
        return cls(cache_dir=cache_dir, root_dir=root_dir, run_link=run_link, run_in_root=run_in_root)

    def host_path(self, inside: PurePosixPath) -> Path:
        """The host path of a path seen from inside the chroot."""
        return self.root_dir / str(inside).lstrip("/")

    @property
    def run_dir(self) -> Path:
        """The run folder as the host sees it (inside the root)."""
        return self.host_path(self.run_in_root)

    @property
    def etc_dir(self) -> Path:
        return self.run_dir / "etc"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "log"

    @property
    def console_log(self) -> Path:
        """Asterisk's stdout/stderr (the ``console`` logger channel)."""
        return self.log_dir / "console.log"

    @property
    def pid_file(self) -> Path:
        """Written by us at start (the chroot process execs Asterisk, so it is Asterisk's pid)."""
        return self.run_dir / "callcenter.pid"

    @property
    def asterisk_conf_in_root(self) -> PurePosixPath:
        return self.run_in_root / "etc" / "asterisk.conf"

    @property
    def built_marker(self) -> Path:
        return self.root_dir / BUILT_MARKER

    @property
    def build_lock(self) -> Path:
        return self.cache_dir / "build.lock"

    @property
    def run_lock(self) -> Path:
        return self.run_dir.parent / f".{self.run_dir.name}.lock"

    def prepare_run_dir(self) -> None:
        """Create the run folder (inside the root) and, when needed, the link at the configured path."""
        for sub in ("etc", "run", "log", "spool", "db", "cache", "keys"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        if self.run_link == self.run_dir:
            return
        if self.run_link.is_symlink():
            if self.run_link.resolve() == self.run_dir.resolve():
                return
            self.run_link.unlink()
        elif self.run_link.exists():
            raise PbxError(
                f"pbx.run_dir {self.run_link} exists and is not a link into the root: remove it, or set "
                f"pbx.run_dir to a path inside {self.root_dir} (Asterisk runs chrooted there)"
            )
        self.run_link.parent.mkdir(parents=True, exist_ok=True)
        self.run_link.symlink_to(self.run_dir, target_is_directory=True)
