"""What the core decides: commands for the platform to carry out, journey steps to store and bus
messages to publish. ``RoutingCore.handle`` returns them in the order they must happen.

Values, frozen for the type checker (``routing.values.value``: a dozen are built per decision)."""

from __future__ import annotations

from routing.messages import BusMessage
from routing.values import value


@value
class OfferCall:
    """Reserve ``agent_id`` (atomically, in the state store) and ring their phone with the caller."""

    call_id: str
    agent_id: str
    extension: str
    queue: str
    ring_timeout: float
    caller_number: str = ""
    caller_name: str = ""


@value
class CancelOffer:
    """Stop ringing the agent (caller gone, ring timeout, agent paused or logged out)."""

    call_id: str
    agent_id: str


@value
class ReleaseAgent:
    """The agent's reservation in the state store ends (the call is over or the offer failed)."""

    agent_id: str
    call_id: str


@value
class Announce:
    call_id: str
    position: int
    estimated_wait: float | None  # seconds; None when no agent serves the queue


@value
class Overflow:
    """The call leaves ``queue`` for ``target`` (another queue of ours) after its maximum wait."""

    call_id: str
    queue: str
    target: str


@value
class OfferCallback:
    call_id: str
    queue: str


@value
class SendToVoicemail:
    call_id: str
    queue: str
    mailbox: str


@value
class PauseAgent:
    """The agent is now paused (``missed`` after a ring-no-answer): tell their console and phone."""

    agent_id: str
    reason: str


@value
class RecordJourney:
    """One step of a call's journey, for the journey-store port."""

    call_id: str
    step: str  # entered / offered / no_answer / answered / abandoned / transferred / overflowed / ended
    at: float
    queue: str
    agent_id: str | None = None
    detail: str = ""
    customer_id: str | None = None


@value
class Refused:
    """The input was not applied (``error_id``: no-such-queue, no-such-agent, agent-logged-out, ...).

    For a refused ``CallEntered`` the service sends the caller to the fallback queue."""

    input: str  # the input's class name
    error_id: str
    message: str
    subject: str = ""  # the call or agent it was about


@value
class Publish:
    message: BusMessage


Decision = (OfferCall | CancelOffer | ReleaseAgent | Announce | Overflow | OfferCallback | SendToVoicemail
            | PauseAgent | RecordJourney | Refused | Publish)
