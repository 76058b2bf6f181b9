"""The IVR: flows from YAML (``config/ivr/``), validated; a pure interpreter that runs a flow over a
call session (FastAGI in production, a fake in tests); prompts built with espeak-ng and sox;
analytics from the recorded IVR paths. See docs/ivr.md.

Imports nothing of ours but ``telephony.agi`` (in ``ivr.agi_session``); customers, tickets,
distribution, callbacks, surveys and the journey store come in through ``ivr.ports``.
"""
