"""Blind and attended transfer through the bridging core (AMI ``BlindTransfer``, ``Atxfer``,
``CancelAtxfer``).

Blind: the transferer's peer goes to ``exten@context``, the transferer leaves. Attended: AMI queues
the features.conf ``atxfer`` code and the digits on the transferer's channel, so it only works on
a leg with transfer permission (Dial/Queue option ``t`` for the called leg, ``T`` for the caller)
and with an ``atxfer`` code configured; the peer hears music on hold while the transferer consults
the target. The transferer hanging up completes it (the peer and the target are connected);
``cancel_attended_transfer`` goes back to the peer.
"""

from __future__ import annotations

from telephony.control import values
from telephony.control.port import AmiPort
from telephony.control.results import AttendedTransferStarted, BlindTransferred
from telephony.control.send import send


async def blind_transfer(ami: AmiPort, transferer: str, *, exten: str, context: str) -> BlindTransferred:
    """``NotBridged`` when ``transferer`` talks to nobody, ``PermissionDenied`` when the bridge
    forbids transfers, ``NoSuchChannel``."""
    headers = {
        "Channel": values.channel(transferer),
        "Exten": values.text("exten", exten),
        "Context": values.text("context", context),
    }
    await send(ami, "BlindTransfer", headers, subject=transferer)
    return BlindTransferred(transferer=transferer, context=context, exten=exten)


async def attended_transfer(
    ami: AmiPort, transferer: str, *, exten: str, context: str
) -> AttendedTransferStarted:
    """Start the consultation of ``exten@context``. ``ActionRefused`` when no atxfer code is
    configured, ``NoSuchChannel``. On a leg without transfer permission Asterisk accepts the
    action but the digits reach the peer as DTMF: nothing else happens."""
    headers = {
        "Channel": values.channel(transferer),
        "Exten": values.text("exten", exten),
        "Context": values.text("context", context),
    }
    await send(ami, "Atxfer", headers, subject=transferer)
    return AttendedTransferStarted(transferer=transferer, context=context, exten=exten)


async def cancel_attended_transfer(ami: AmiPort, transferer: str) -> None:
    """Abort the consultation ``transferer`` started: the target leg hangs up, the peer is back."""
    await send(ami, "CancelAtxfer", {"Channel": values.channel(transferer)}, subject=transferer)
