"""The maildir walk: pending selection, seen marking, moving bad messages aside without loss."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Literal

import pytest

from tickets.intake.maildir import (
    MessageRejected,
    StopImport,
    import_maildir,
    open_maildir,
    pending,
)

DATA = Path(__file__).parent / "data"


def make_maildir(tmp_path: Path) -> tuple[Path, mailbox.Maildir]:
    root = tmp_path / "Maildir"
    return root, mailbox.Maildir(root, factory=None, create=True)


def deliver(
    md: mailbox.Maildir, raw: bytes, *, subdir: Literal["new", "cur"] = "new", flags: str = ""
) -> str:
    msg = mailbox.MaildirMessage(raw)
    msg.set_subdir(subdir)
    if flags:
        msg.set_flags(flags)
    return md.add(msg)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_given_new_and_unseen_cur_messages_then_both_are_handled_and_marked_seen(tmp_path: Path) -> None:
    root, md = make_maildir(tmp_path)
    deliver(md, b"From: a@example.com\n\none\n")
    deliver(md, b"From: b@example.com\n\ntwo\n", subdir="cur", flags="F")
    deliver(md, b"From: c@example.com\n\nthree\n", subdir="cur", flags="S")  # already imported
    seen: list[bytes] = []

    def handle(raw: bytes) -> str:
        seen.append(raw)
        return "ticket"

    report = import_maildir(root, handle)
    assert sorted(seen) == [b"From: a@example.com\n\none\n", b"From: b@example.com\n\ntwo\n"]
    assert report.as_dict() == {"handled": 2, "ticket": 2, "failed": 0}
    assert files(root / "new") == []
    cur = files(root / "cur")
    assert len(cur) == 3 and sum(name.endswith(":2,S") for name in cur) == 2
    assert any(name.endswith(":2,FS") for name in cur)  # other flags kept, sorted
    assert pending(root) == []
    assert import_maildir(root, handle).handled == 0  # a second run finds nothing


def test_given_a_rejected_and_a_crashing_message_then_they_are_moved_aside_intact(tmp_path: Path) -> None:
    root, md = make_maildir(tmp_path)
    bad = (DATA / "malformed_no_from.eml").read_bytes()
    deliver(md, bad)
    deliver(md, b"From: boom@example.com\n\nx\n")
    deliver(md, b"From: ok@example.com\n\nfine\n")

    def handle(raw: bytes) -> str:
        if b"From:" not in raw:
            raise MessageRejected("no From header")
        if b"boom" in raw:
            raise RuntimeError("unexpected bug")
        return "comment"

    report = import_maildir(root, handle)
    assert report.outcomes == {"comment": 1}
    reasons = sorted(reason for _name, reason in report.failed)
    assert reasons == ["RuntimeError: unexpected bug", "no From header"]
    failed = root / ".failed" / "cur"
    assert sorted(p.read_bytes() for p in failed.iterdir()) == sorted([bad, b"From: boom@example.com\n\nx\n"])
    assert "failed" in md.list_folders()
    assert files(root / "new") == []


def test_given_stop_import_then_the_run_ends_and_the_message_stays_pending(tmp_path: Path) -> None:
    root, md = make_maildir(tmp_path)
    deliver(md, b"From: a@example.com\n\none\n")

    def handle(raw: bytes) -> str:
        raise StopImport("database unreachable")

    with pytest.raises(StopImport):
        import_maildir(root, handle)
    assert len(pending(root)) == 1
    assert not (root / ".failed").exists()


def test_a_folder_that_is_not_a_maildir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a maildir"):
        open_maildir(tmp_path)
