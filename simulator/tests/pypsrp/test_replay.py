"""pypsrp against a recording: run.sh records `mx run --record` against mx-sim, then serves the
file with `mx-sim --replay`; pypsrp makes the same call and must read what mx read, although it
proposes other ids, sends its own CREATE_PIPELINE and does not end the command with the
terminate Signal that mx recorded."""

import json
import os

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

REPLAY_PORT = os.environ.get("MX_SIM_REPLAY_PORT")
EXPECTED = os.environ.get("MX_REPLAY_EXPECTED")


@pytest.mark.skipif(not REPLAY_PORT, reason="run.sh starts the replaying mx-sim")
def test_pypsrp_reads_what_mx_recorded():
    with open(EXPECTED, encoding="utf-8") as f:
        recorded = json.load(f)
    wsman = WSMan(
        "127.0.0.1",
        port=int(REPLAY_PORT),
        path="PowerShell",
        ssl=False,
        auth="ntlm",
        encryption="always",
        username="Administrator",
        password="P@ssw0rd!",
        operation_timeout=5,
        read_timeout=15,
    )
    with RunspacePool(wsman, configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "Administrator")
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
    assert len(out) == len(recorded["output"]) == 1
    got = out[0]
    want = recorded["output"][0]
    assert str(got) == want["$toString"]
    assert got.types[: len(want["$type"])] == want["$type"]
    for name in ("Name", "Alias", "PrimarySmtpAddress", "SamAccountName", "Guid"):
        value = got.adapted_properties.get(name, got.extended_properties.get(name))
        assert str(value) == str(want[name]), name
