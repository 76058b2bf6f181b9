"""Pure parsing of RFC 822 e-mail messages into the facts the importer needs.

No I/O here: ``parse_message(raw_bytes)`` returns a frozen ``ParsedMail`` or raises
``MailParseError``. Headers and bodies in legacy Chinese charsets (GB2312 / GBK / GB18030, the
norm for mail from many Chinese clients) are decoded with GB18030, their common superset, so a
GB2312-labelled message that uses GBK-only characters still decodes.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from tickets.intake.html_text import html_to_text

# Charset labels whose text GB18030 decodes correctly (it is a superset of all of them).
_GB_ALIASES = frozenset(
    {"gb2312", "gb_2312", "gb_2312-80", "euc-cn", "euccn", "x-euc-cn", "gbk", "x-gbk", "cp936", "ms936",
     "windows-936", "gb18030", "hz-gb-2312"}
)
# A ticket number as H5 numbers them: a short upper-case prefix, a dash and digits ("REP-000123").
TICKET_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,5}-\d{4,10})(?![A-Za-z0-9])")
_MSGID_RE = re.compile(r"<[^<>\s]+>")


class MailParseError(ValueError):
    """The message cannot be turned into a contact (no sender address, unreadable)."""


@dataclass(frozen=True)
class Attachment:
    """An attachment listed by name and size; its content is not stored."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    """The Message-ID with its angle brackets; synthesised from a digest when the header is missing."""
    sender_address: str
    """Lower-cased."""
    sender_name: str | None
    recipients: tuple[str, ...]
    subject: str
    body: str
    date: datetime | None
    """Timezone-aware; a date without zone is read as UTC."""
    in_reply_to: str | None
    references: tuple[str, ...]
    ticket_number: str | None
    """A ticket number found in the subject, e.g. ``REP-000123`` from ``Re: [REP-000123] ...``."""
    attachments: tuple[Attachment, ...]
    has_message_id: bool


def python_codec(charset: str | None) -> str:
    """The Python codec to decode text labelled ``charset`` with (GB labels → gb18030)."""
    if not charset:
        return "utf-8"
    label = charset.strip().strip('"').lower()
    if label in _GB_ALIASES:
        return "gb18030"
    if label in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        return "utf-8"
    try:
        import codecs

        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` in ``charset``; undecodable text falls back to GB18030 then replacement."""
    codec = python_codec(charset)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    for fallback in ("utf-8", "gb18030"):
        if fallback != codec:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
    return data.decode(codec, errors="replace")


def decode_header_value(raw: str | None) -> str:
    """A header's text: RFC 2047 encoded words decoded, raw 8-bit bytes read as UTF-8 or GB18030."""
    if raw is None:
        return ""
    text = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit header bytes kept as surrogates
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None)
    text = re.sub(r"\r?\n[ \t]+", " ", text)  # unfold
    if "=?" not in text:
        return text.strip()
    try:
        parts = decode_header(text)
    except Exception:  # a broken encoded word: keep the header as it came
        return text.strip()
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return "".join(out).strip()


def find_ticket_number(subject: str) -> str | None:
    """The first ticket number in a subject (``[REP-000123]``, ``CMP-000045``), or None."""
    match = TICKET_NUMBER_RE.search(subject or "")
    return match.group(1) if match else None


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _raw_headers(msg: Message, name: str) -> list[str]:
    return [str(value) for key, value in msg.raw_items() if key.lower() == name.lower()]


def _parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _message_ids(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(_MSGID_RE.findall(raw))


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return decode_bytes(payload, part.get_content_charset())
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment" or (bool(part.get_filename()) and disposition != "inline")


def _attachment(part: Message) -> Attachment:
    name = decode_header_value(part.get_filename() or "")
    payload = part.get_payload(decode=True)
    size = len(payload) if isinstance(payload, bytes) else 0
    return Attachment(filename=name or "(unnamed)", content_type=part.get_content_type(), size=size)


def _body_and_attachments(msg: Message) -> tuple[str, tuple[Attachment, ...]]:
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if _is_attachment(part):
            attachments.append(_attachment(part))
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and html is None:
            html = _part_text(part)
        elif ctype == "message/rfc822" or not ctype.startswith("text/"):
            attachments.append(_attachment(part))
    if plain is not None and plain.strip():
        body = plain
    elif html is not None:
        body = html_to_text(html)
    else:
        body = plain or ""
    return _normalise_newlines(body).strip(), tuple(attachments)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one RFC 822 message (bytes as stored in a maildir file)."""
    if not raw or not raw.strip():
        raise MailParseError("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        raise MailParseError(f"unreadable message: {exc}") from exc
    if not msg.keys():
        raise MailParseError("no headers")
    from_raw = _raw_header(msg, "From") or _raw_header(msg, "Sender") or _raw_header(msg, "Reply-To")
    if not from_raw:
        raise MailParseError("no From header")
    name_raw, address = parseaddr(re.sub(r"\r?\n[ \t]+", " ", from_raw))
    address = decode_header_value(address).strip().lower()
    if not address or "@" not in address or " " in address:
        raise MailParseError(f"no usable sender address in From: {decode_header_value(from_raw)!r}")
    name = decode_header_value(name_raw).strip().strip('"').strip() or None

    subject = decode_header_value(_raw_header(msg, "Subject"))
    recipients = tuple(
        addr.lower()
        for _n, addr in getaddresses(_raw_headers(msg, "To") + _raw_headers(msg, "Cc"))
        if addr and "@" in addr
    )
    ids = _message_ids(_raw_header(msg, "Message-ID"))
    has_id = bool(ids)
    message_id = ids[0] if ids else f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@callcenter.invalid>"
    in_reply = _message_ids(_raw_header(msg, "In-Reply-To"))
    body, attachments = _body_and_attachments(msg)
    return ParsedMail(
        message_id=message_id,
        sender_address=address,
        sender_name=name,
        recipients=recipients,
        subject=subject,
        body=body,
        date=_parse_date(_raw_header(msg, "Date")),
        in_reply_to=in_reply[0] if in_reply else None,
        references=_message_ids(_raw_header(msg, "References")),
        ticket_number=find_ticket_number(subject),
        attachments=attachments,
        has_message_id=has_id,
    )


_QUOTE_HEADERS = (
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|Forwarded message)\s*-{2,}", re.I),
    re.compile(r"^On .{4,200} wrote:\s*$"),
    re.compile(r"^在\s*.{2,200}写道[:：]\s*$"),
    re.compile(r"^(From|发件人)[:：]\s.+$"),
)


def strip_quoted_reply(body: str) -> str:
    """The new text of a reply: cut at the first quote header and drop ``>``-quoted lines."""
    kept: list[str] = []
    for line in body.split("\n"):
        stripped = line.strip()
        if kept and any(p.match(stripped) for p in _QUOTE_HEADERS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    text = "\n".join(kept).strip()
    return text or body.strip()
