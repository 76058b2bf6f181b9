"""The bundled development/test PBX: Asterisk 22 from Debian sid in a chroot under the cache folder.

Public interface: ``BundledPbx`` (ensure_built, up, down, restart, status, cli), ``PbxError``,
``PbxStatus``, and the pure AMI action builders in ``telephony.pbx.simulate`` (caller_originate,
hold_originate, agent_phone_actions).

Dialplan contract (config/asterisk/extensions.conf.j2; details in docs/pbx.md):

* [inbound] ``_X``/``_X.``/``_+X.``/``s``, not answered, FAIL-OPEN:
  ``AGI(agi://<agi.host>:<agi.port>/ivr?did=${EXTEN})``; then ``Hangup()`` only when the caller hung
  up or the AGI set ``CC_NEXT=done|hangup``; ``CC_NEXT=ctx,exten,prio`` (existing) -> ``Goto``;
  everything else (AGI failure, ``CC_FALLBACK``, bad or missing ``CC_NEXT``, a killed server) ->
  ``Answer()``, ``Queue(fallback)`` (``CC_FALLBACK_REASON`` agi-FAILURE | agi-NOTFOUND | requested |
  bad-next | unfinished).
* [sim-caller] ``s`` (``;2`` of ``Local/s@sim-caller``): Answer, Wait(SIM_DELAY=1),
  SendDTMF(SIM_DTMF), Wait(SIM_TALK=5), Hangup.
* [sim-hold] ``s``: Answer, Wait(SIM_HOLD=30), Hangup.
* [agent-phones] ``_X.``: AstDB ``simphone/<ext>/mode`` answer|noanswer|busy (answer),
  ``.../ring`` (SIM_RING or 1 s), ``.../talk`` (30 s).
* [test-dtmf] ``_X.``: Read(CC_DIGITS) then UserEvent(CcTestDtmf, Digits, Status, Did).
* [sim-call] ``_X.``: Dial(Local/<ext>@agent-phones, tT, pre-dial [agent-predial]); [pickup]
  ``<ext>`` (PickupChan) / ``s`` (group Pickup); [cc-hold] MusicOnHold, [cc-holding] Wait.
* simulated phones play tones once answered (PlayTones), so recordings and ChanSpy have audio.
* queue ``fallback``: rrmemory, timeout 15, ringinuse no, members Local/1001..1006@agent-phones.
"""

from telephony.pbx.bundled import BundledPbx
from telephony.pbx.errors import PbxError
from telephony.pbx.process import PbxStatus

__all__ = ["BundledPbx", "PbxError", "PbxStatus"]
