"""The session fixture gives a running, fully booted test instance on the test ports."""

from __future__ import annotations

from tests.fixtures.pbx import TEST_AGI_PORT, TEST_AMI_PORT, PbxHandle
from tests.telephony.pbx.rawami import RawAmi


def test_pbx_fixture_runs_asterisk_22_on_the_test_ports(pbx: PbxHandle) -> None:
    assert (pbx.ami_port, pbx.agi_port) == (TEST_AMI_PORT, TEST_AGI_PORT)
    assert pbx.cli("core show version").startswith("Asterisk 22.")
    status = pbx.status()
    assert status.running and status.fully_booted
    with RawAmi(pbx.ami_host, pbx.ami_port, pbx.ami_username, pbx.ami_secret) as ami:
        reply = ami.action({"Action": "CoreSettings"})
        assert reply["AsteriskVersion"].startswith("22.")
    assert f"agi://{pbx.agi_host}:{pbx.agi_port}/ivr?did=" in pbx.cli("dialplan show inbound")
