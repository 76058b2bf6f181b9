"""The bundled development/test PBX: Asterisk 22 from Debian sid in a chroot under the cache folder.

Public interface: ``BundledPbx`` (ensure_built, up, down, restart, status, cli), ``PbxError``,
``PbxStatus``, and the pure Originate builders in ``telephony.pbx.simulate``. The dialplan contract
(contexts inbound, sim-caller, sim-hold, agent-phones, test-dtmf; queue fallback) is in docs/pbx.md.
"""

from telephony.pbx.bundled import BundledPbx
from telephony.pbx.errors import PbxError
from telephony.pbx.process import PbxStatus

__all__ = ["BundledPbx", "PbxError", "PbxStatus"]
