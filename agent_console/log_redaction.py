"""A logging filter that masks tokens and passwords in log lines (e.g. ``/ws/agent?token=...``)."""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"((?:access_)?token|password|secret)=([^&\s\"']+)", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    return _BEARER.sub(r"\1***", _SECRET_PARAM.sub(r"\1=***", text))


class RedactSecrets(logging.Filter):
    """Rewrites the message and string arguments of each record with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install(*logger_names: str) -> None:
    for name in logger_names or ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
