"""Round trips of the same work done by pypsrp and by our client (`mx run`), counted from the
request logs of two mx-sim instances started by run.sh: open a runspace pool over NTLM with
message encryption, run Get-Mailbox, end the pipeline, close."""

import collections
import json
import os
import subprocess

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

USER = "Administrator"
PASSWORD = "P@ssw0rd!"
IDENTITY = "justin.martin"


def operations(log_path):
    """WS-Management operations in a request log, without the authentication legs."""
    with open(log_path) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    return [e["operation"] for e in entries if e["operation"] != "Auth" and e["status"] != 401]


def pypsrp_round_trips(end_pipeline):
    port = int(os.environ["MX_SIM_RT_PY_PORT"])
    log = os.environ["MX_SIM_RT_PY_LOG"]
    before = len(operations(log))
    wsman = WSMan("127.0.0.1", port=port, path="PowerShell", ssl=False, auth="ntlm",
                  encryption="always", username=USER, password=PASSWORD)
    with RunspacePool(wsman, configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", IDENTITY)
        assert len(ps.invoke()) == 1
        if end_pipeline:
            ps.close()
    return operations(log)[before:]


def mx_round_trips():
    port = int(os.environ["MX_SIM_RT_MX_PORT"])
    log = os.environ["MX_SIM_RT_MX_LOG"]
    before = len(operations(log))
    out = subprocess.run(
        [os.environ["MX_BIN"], "run", "--server", f"http://127.0.0.1:{port}/PowerShell/",
         "--auth", "ntlm", "--username", USER, "--password-env", "MX_RT_PASSWORD", "--json",
         "Get-Mailbox", "-Identity", IDENTITY],
        env=dict(os.environ, MX_RT_PASSWORD=PASSWORD), capture_output=True, text=True, check=True,
    )
    assert len(json.loads(out.stdout)["output"]) == 1
    return operations(log)[before:]


def test_our_round_trips_are_no_more_than_pypsrps():
    ours = mx_round_trips()
    theirs = pypsrp_round_trips(end_pipeline=True)
    leaky = pypsrp_round_trips(end_pipeline=False)
    print(f"\nround trips, open + Get-Mailbox + close over NTLM with encryption:")
    print(f"  mx:                             {len(ours)} {dict(collections.Counter(ours))}")
    print(f"  pypsrp, pipeline ended:         {len(theirs)} {dict(collections.Counter(theirs))}")
    print(f"  pypsrp, pipeline left running:  {len(leaky)} {dict(collections.Counter(leaky))}")
    # pypsrp ends a pipeline only when the caller closes it; we always do, because Windows
    # fails a shell that keeps about 1000 finished commands. For the same work we must not
    # use more round trips.
    assert len(ours) <= len(theirs), (ours, theirs)
    assert ours.count("Signal") == 1, ours
