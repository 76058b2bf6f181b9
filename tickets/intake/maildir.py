"""Walking a maildir folder: pending messages in, processed ones marked seen, bad ones moved aside.

Maildir conventions (the layout ``mailbox.Maildir`` reads and writes): delivered mail lands in
``new/``; a message that has been read lives in ``cur/`` with an info suffix ``:2,<flags>``, where
``S`` means seen. Here a message is *pending* when it is in ``new/``, or in ``cur/`` without ``S``
(a mail client may have moved it there unread). After it has been handled it is renamed into
``cur/`` with ``S`` added: an atomic rename, the bytes are never rewritten.

A message the handler refuses (``MessageRejected``, or any unexpected error) is renamed into the
Maildir++ sub-folder ``.failed/cur/`` with its name unchanged and the reason logged: nothing is lost
and it can be re-queued by moving it back into ``new/``. A ``StopImport`` from the handler (e.g. the
database is unreachable) ends the run and leaves the message where it was.
"""

from __future__ import annotations

import logging
import mailbox
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

FAILED_FOLDER = "failed"
INFO_SEP = ":2,"


class MessageRejected(Exception):
    """The message cannot be imported (malformed, no sender ...); it is moved aside."""


class StopImport(Exception):
    """Stop the run and leave the message pending (a transient failure such as a database outage)."""


@dataclass(frozen=True)
class MaildirEntry:
    path: Path
    subdir: str
    """``new`` or ``cur``."""
    base: str
    """The unique name without the info suffix."""
    flags: str


@dataclass
class ImportReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(file name, reason) of the messages moved aside."""

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict[str, object]:
        return {"handled": self.handled, **dict(self.outcomes), "failed": len(self.failed)}


def open_maildir(root: Path) -> mailbox.Maildir:
    """The maildir at ``root``; refuses a folder that is not one (no ``new/`` and ``cur/``)."""
    if not (root / "new").is_dir() or not (root / "cur").is_dir():
        raise FileNotFoundError(f"{root} is not a maildir (it needs new/ and cur/ folders)")
    return mailbox.Maildir(root, factory=None, create=False)


def _entry(path: Path, subdir: str) -> MaildirEntry:
    base, sep, flags = path.name.partition(INFO_SEP)
    return MaildirEntry(path=path, subdir=subdir, base=base, flags=flags if sep else "")


def pending(root: Path) -> list[MaildirEntry]:
    """Messages still to import, oldest name first (maildir names start with the delivery time)."""
    found: list[MaildirEntry] = []
    for subdir in ("new", "cur"):
        folder = root / subdir
        for name in os.listdir(folder):
            if name.startswith("."):
                continue
            entry = _entry(folder / name, subdir)
            if subdir == "cur" and "S" in entry.flags:
                continue
            if entry.path.is_file():
                found.append(entry)
    return sorted(found, key=lambda e: e.base)


def mark_seen(root: Path, entry: MaildirEntry) -> Path:
    """Rename the message into ``cur/`` with the ``S`` flag (flags kept sorted, as maildir wants)."""
    flags = "".join(sorted(set(entry.flags) | {"S"}))
    target = root / "cur" / f"{entry.base}{INFO_SEP}{flags}"
    os.rename(entry.path, target)
    return target


def move_aside(root: Path, entry: MaildirEntry) -> Path:
    """Rename the message into the ``.failed`` Maildir++ sub-folder, name unchanged."""
    md = mailbox.Maildir(root, factory=None, create=False)
    try:
        md.get_folder(FAILED_FOLDER)
    except mailbox.NoSuchMailboxError:
        md.add_folder(FAILED_FOLDER)
    target = root / f".{FAILED_FOLDER}" / "cur" / entry.path.name
    os.rename(entry.path, target)
    return target


def import_maildir(root: Path, handle: Callable[[bytes], str]) -> ImportReport:
    """Feed every pending message's bytes to ``handle`` (which returns an outcome name).

    Each message is marked seen after ``handle`` returns, so a crash in between re-offers it on the
    next run: ``handle`` must be idempotent (the importer keys interactions on the Message-ID).
    """
    open_maildir(root)
    report = ImportReport()
    for entry in pending(root):
        try:
            raw = entry.path.read_bytes()
        except FileNotFoundError:  # taken by a concurrent importer or a mail client
            continue
        try:
            outcome = handle(raw)
        except StopImport:
            raise
        except MessageRejected as exc:
            _fail(root, entry, str(exc), report)
            continue
        except Exception as exc:
            log.exception("importing %s failed unexpectedly", entry.path.name)
            _fail(root, entry, f"{type(exc).__name__}: {exc}", report)
            continue
        mark_seen(root, entry)
        report.outcomes[outcome] += 1
    return report


def _fail(root: Path, entry: MaildirEntry, reason: str, report: ImportReport) -> None:
    target = move_aside(root, entry)
    log.warning("mail %s moved aside to %s: %s", entry.path.name, target.parent.parent.name, reason)
    report.failed.append((entry.path.name, reason))
