"""Send one AMI action and turn every way it can fail into a ``CallControlError``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from telephony.ami import ActionResult, ActionTimeout, AmiConnectionError
from telephony.ami.actions import HeaderValue
from telephony.control.errors import ControlTimeout, ControlUnavailable, InvalidRequest
from telephony.control.port import AmiPort
from telephony.control.refusals import refusal

log = logging.getLogger(__name__)


async def send(
    ami: AmiPort,
    action: str,
    headers: Mapping[str, HeaderValue],
    *,
    subject: str = "",
    timeout: float | None = None,  # noqa: ASYNC109
) -> ActionResult:
    """The successful reply of ``action``; a typed error for a refusal, a timeout or a dropped link."""
    try:
        result = await ami.send_action(action, headers, timeout=timeout)
    except ActionTimeout as exc:
        raise ControlTimeout(str(exc), details={"action": action}) from exc
    except AmiConnectionError as exc:
        raise ControlUnavailable(f"{action}: {exc}", details={"action": action}) from exc
    except ValueError as exc:  # format_action refused a header
        raise InvalidRequest(f"{action}: {exc}", details={"action": action}) from exc
    if not result.success:
        error = refusal(action, result.message, subject=subject)
        log.info("AMI %s refused (%s): %s", action, error.error_id, result.message)
        raise error
    return result
