"""The bundled development/test PBX: Asterisk 22 from Debian sid in a chroot under the cache folder.

Public interface: ``BundledPbx`` (ensure_built, up, down, restart, status, cli), ``PbxError``,
``PbxStatus``, and the pure AMI action builders in ``telephony.pbx.simulate`` (caller_originate,
hold_originate, agent_phone_actions).

Dialplan contract (config/asterisk/extensions.conf.j2; details in docs/pbx.md):

* [inbound] ``_X``/``_X.``/``_+X.``/``s``, not answered:
  ``AGI(agi://<agi.host>:<agi.port>/ivr?did=${EXTEN})``; AGISTATUS not SUCCESS, or the AGI set
  ``CC_FALLBACK`` -> ``Answer()``, ``Queue(fallback)`` (``CC_FALLBACK_REASON`` agi-FAILURE |
  agi-NOTFOUND | requested); the AGI set ``CC_NEXT=ctx,exten,prio`` -> ``Goto``; else ``Hangup()``.
* [sim-caller] ``s`` (``;2`` of ``Local/s@sim-caller``): Answer, Wait(SIM_DELAY=1),
  SendDTMF(SIM_DTMF), Wait(SIM_TALK=5), Hangup.
* [sim-hold] ``s``: Answer, Wait(SIM_HOLD=30), Hangup.
* [agent-phones] ``_X.``: AstDB ``simphone/<ext>/mode`` answer|noanswer|busy (answer),
  ``.../ring`` (SIM_RING or 1 s), ``.../talk`` (30 s).
* [test-dtmf] ``_X.``: Read(CC_DIGITS) then UserEvent(CcTestDtmf, Digits, Status, Did).
* queue ``fallback``: rrmemory, timeout 15, ringinuse no, members Local/1001..1006@agent-phones.
"""

from telephony.pbx.bundled import BundledPbx
from telephony.pbx.errors import PbxError
from telephony.pbx.process import PbxStatus

__all__ = ["BundledPbx", "PbxError", "PbxStatus"]
