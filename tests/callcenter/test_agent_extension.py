"""Agent extensions read from channel names (the only place that parses them)."""

import pytest

from telephony.channels import agent_extension


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("Local/1001@agent-phones-0000001a;1", "1001"),
        ("Local/1006@agent-phones-00000a2f;2", "1006"),
        ("PJSIP/1002-0000000a", "1002"),
        ("SIP/150010001-00000008", "150010001"),
        ("Local/s@sim-caller-00000003;1", None),
        ("Local/s@sim-caller-00000003;2", None),
        ("PJSIP/trunk-cn-00000001", None),
        ("", None),
    ],
)
def test_agent_extension_of_channel(channel: str, expected: str | None) -> None:
    assert agent_extension(channel) == expected
