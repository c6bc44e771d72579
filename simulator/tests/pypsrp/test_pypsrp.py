"""pypsrp, a client we did not write, against mx-sim: NTLM and SPNEGO over HTTP with message
encryption, Basic over HTTPS, Kerberos against the MIT KDC, the ResultSize warning, the shell
quota and injected faults. Run with run.sh, which starts the simulators (and a KDC if needed)."""

import json
import os
import time

import pytest
import requests
from pypsrp.exceptions import WinRMTransportError, WSManFaultError
from pypsrp.complex_objects import RunspacePoolState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

HTTP_PORT = int(os.environ.get("MX_SIM_HTTP_PORT", "15985"))
HTTPS_PORT = int(os.environ.get("MX_SIM_HTTPS_PORT", "15986"))
USER = "Administrator"
PASSWORD = "P@ssw0rd!"
EXCHANGE = "http://schemas.microsoft.com/powershell/Microsoft.Exchange"


def wsman_http():
    return WSMan(
        "127.0.0.1",
        port=HTTP_PORT,
        path="PowerShell",
        ssl=False,
        auth="ntlm",
        encryption="always",
        username=USER,
        password=PASSWORD,
        operation_timeout=5,
        read_timeout=15,
    )


def wsman_spnego():
    # SPNEGO with NTLM inside (no Kerberos here), with a down-level logon name.
    return WSMan(
        "127.0.0.1",
        port=HTTP_PORT,
        path="PowerShell",
        ssl=False,
        auth="negotiate",
        encryption="always",
        username="CORP\\" + USER,
        password=PASSWORD,
        operation_timeout=5,
        read_timeout=15,
    )


def wsman_https():
    return WSMan(
        "127.0.0.1",
        port=HTTPS_PORT,
        path="PowerShell",
        ssl=True,
        auth="basic",
        cert_validation=False,
        username=USER,
        password=PASSWORD,
        operation_timeout=5,
        read_timeout=15,
    )


@pytest.mark.parametrize(
    "make", [wsman_http, wsman_spnego, wsman_https], ids=["ntlm-sealed", "spnego-sealed", "basic-https"]
)
def test_get_mailbox(make):
    with RunspacePool(make(), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
        assert len(out) == 1
        assert out[0].adapted_properties.get("SamAccountName", out[0].extended_properties.get("SamAccountName")) == USER


def test_errors_and_scripts():
    with RunspacePool(wsman_http(), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "nobody-here")
        ps.invoke()
        # Exchange task errors are non-terminating: the pipeline completes with an error record.
        assert not ps.had_errors
        assert len(ps.streams.error) == 1
        assert "ManagementObjectNotFoundException" in str(ps.streams.error[0].fq_error)
        ps = PowerShell(pool)
        ps.add_script("Get-Mailbox | Select-Object Name")
        ps.invoke()
        assert ps.had_errors
        assert ps.streams.error[-1].fq_error == "ScriptsNotAllowed"
        assert "no-language mode" in str(ps.streams.error[-1])


def test_confirmation_prompt_without_a_host_changes_nothing():
    with RunspacePool(wsman_http(), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("New-MailContact").add_parameter("Name", "Py Contact")
        ps.add_parameter("ExternalEmailAddress", "py@fabrikam.example")
        ps.invoke()
        assert not ps.streams.error, ps.streams.error
        ps = PowerShell(pool)
        ps.add_cmdlet("Remove-MailContact").add_parameter("Identity", "Py Contact")
        ps.invoke()
        assert ps.had_errors
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-MailContact").add_parameter("Identity", "Py Contact")
        out = ps.invoke()
        assert len(out) == 1


BIG_PORT = int(os.environ.get("MX_SIM_BIG_PORT", "0"))
QUOTA_PORT = int(os.environ.get("MX_SIM_QUOTA_PORT", "0"))
FAULTS_PORT = int(os.environ.get("MX_SIM_FAULTS_PORT", "0"))
KRB_PORT = int(os.environ.get("MX_SIM_KRB_PORT", "0"))
KRB_LOG = os.environ.get("MX_SIM_KRB_LOG", "")
# Exchange's warning when a Get- cmdlet without -ResultSize stops at its default of 1000.
DEFAULT_LIMIT_WARNING = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify "
    'the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware '
    "that, depending on the actual number of items, returning all items can take a long time and "
    "consume a large amount of memory. Also, we don't recommend storing the results in a variable. "
    "Instead, pipe the results to another task or script to perform batch changes."
)


def wsman_on(port, **extra):
    options = dict(
        port=port,
        path="PowerShell",
        ssl=False,
        auth="ntlm",
        encryption="always",
        username=USER,
        password=PASSWORD,
        operation_timeout=5,
        read_timeout=15,
    )
    options.update(extra)
    return WSMan("127.0.0.1", **options)


def test_get_mailbox_without_result_size_stops_at_1000_with_a_warning():
    with RunspacePool(wsman_on(BIG_PORT, read_timeout=60), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox")
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
        assert len(out) == 1000
        assert [str(w) for w in ps.streams.warning] == [DEFAULT_LIMIT_WARNING]
        assert len({o.adapted_properties.get("Guid", o.extended_properties.get("Guid")) for o in out}) == 1000


def test_the_shell_over_the_quota_gets_exchanges_fault():
    pools = []
    try:
        for _ in range(3):
            pool = RunspacePool(wsman_on(QUOTA_PORT), configuration_name="Microsoft.Exchange")
            pool.open()
            pools.append(pool)
        extra = RunspacePool(wsman_on(QUOTA_PORT), configuration_name="Microsoft.Exchange")
        with pytest.raises(WSManFaultError) as fault:
            extra.open()
        assert fault.value.code == 2150859173
        assert (
            "This user is allowed a maximum number of 3 concurrent shells, which has been exceeded."
            in fault.value.reason
        )
        # Closing one frees a slot.
        pools.pop().close()
        with RunspacePool(wsman_on(QUOTA_PORT), configuration_name="Microsoft.Exchange") as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
            assert len(ps.invoke()) == 1
    finally:
        for pool in pools:
            pool.close()


def test_injected_faults_reach_pypsrp_and_the_server_recovers():
    # 1st Create: HTTP 503 with an empty body (no WSManFault to parse).
    with pytest.raises(WinRMTransportError) as err:
        RunspacePool(wsman_on(FAULTS_PORT), configuration_name="Microsoft.Exchange").open()
    assert err.value.code == 503
    assert err.value.response_text == ""
    # 2nd Create: the connection is closed without an answer.
    with pytest.raises(requests.exceptions.ConnectionError) as err:
        RunspacePool(wsman_on(FAULTS_PORT), configuration_name="Microsoft.Exchange").open()
    assert "RemoteDisconnected" in str(err.value) or "Connection aborted" in str(err.value)
    # 3rd Create: answered after 4 s, past the 1 s read timeout.
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        RunspacePool(wsman_on(FAULTS_PORT, read_timeout=1), configuration_name="Microsoft.Exchange").open()
    assert time.monotonic() - started < 3.5
    # The plan is spent: the next client works.
    with RunspacePool(wsman_on(FAULTS_PORT), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
        assert len(ps.invoke()) == 1


def wsman_kerberos(password):
    # Connect to 127.0.0.1 but name the service by its host: the SPN is HTTP/sim.monosync.test.
    return WSMan(
        "127.0.0.1",
        port=KRB_PORT,
        path="PowerShell",
        ssl=False,
        auth="kerberos",
        encryption="always",
        username="%s@%s" % (os.environ["MX_KRB5_USER"], os.environ["MX_KRB5_REALM"]),
        password=password,
        negotiate_hostname_override=os.environ["MX_KRB5_SERVICE_HOST"],
        negotiate_service="HTTP",
        operation_timeout=5,
        read_timeout=15,
    )


def test_kerberos_over_http_with_a_password():
    # Without the krb5 package pyspnego silently has no Kerberos and would use NTLM.
    import krb5  # noqa: F401
    import spnego._gss

    assert spnego._gss.HAS_GSSAPI
    assert os.environ.get("KRB5_CONFIG"), "run.sh points pypsrp at the KDC through KRB5_CONFIG"
    with RunspacePool(wsman_kerberos(os.environ["MX_KRB5_PASSWORD"]), configuration_name="Microsoft.Exchange") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
        assert len(out) == 1
    entries = [json.loads(line) for line in open(KRB_LOG)]
    soap = [e for e in entries if e["operation"] not in ("Auth",) and e["status"] == 200]
    assert soap, entries
    assert all(e["sealed"] and e["auth"] in ("Kerberos", "Spnego") for e in soap), soap
    assert {e["user"] for e in soap} == {os.environ["MX_KRB5_USER"]}


def test_kerberos_with_a_wrong_password_fails_at_the_kdc():
    import krb5

    # Every principal requires pre-authentication: the KDC refuses the encrypted timestamp.
    with pytest.raises(krb5.Krb5Error) as err:
        RunspacePool(wsman_kerberos("not-the-password"), configuration_name="Microsoft.Exchange").open()
    assert "Preauthentication failed" in str(err.value)


def test_disconnect_and_reconnect_keep_the_pipeline_output():
    pool = RunspacePool(wsman_http(), configuration_name="Microsoft.Exchange")
    pool.open()
    try:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 6)
        ps.begin_invoke()
        pool.disconnect()
        assert pool.state == RunspacePoolState.DISCONNECTED
        # A Receive on the disconnected shell is refused.
        with pytest.raises(WSManFaultError) as fault:
            pool.shell.receive("stdout")
        assert fault.value.code == 2150859204
        pool.connect()
        assert pool.state == RunspacePoolState.OPENED
        ps.connect_async()
        out = ps.end_invoke()
        assert not ps.had_errors, ps.streams.error
        assert len(out) == 6
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
        assert len(ps.invoke()) == 1
    finally:
        pool.close()


def test_a_new_client_finds_and_connects_to_a_disconnected_pipeline():
    pool = RunspacePool(wsman_http(), configuration_name="Microsoft.Exchange")
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 4)
    ps.begin_invoke()
    pool.disconnect()
    pool_id = pool.id.upper()
    command_id = ps.id.upper()
    # Another client, with its own connection and no state of the first.
    pools = RunspacePool.get_runspace_pools(wsman_http())
    found = [p for p in pools if p.id.upper() == pool_id]
    assert len(found) == 1, [p.id for p in pools]
    other = found[0]
    assert [p.upper() for p in other.pipelines] == [command_id]
    # get_runspace_pools builds pools for the default configuration; this one is Exchange's.
    other.shell.resource_uri = EXCHANGE
    try:
        other.connect()
        assert other.state == RunspacePoolState.OPENED
        pipeline = list(other.pipelines.values())[0]
        out = pipeline.connect()
        assert len(out) == 4
        ps = PowerShell(other)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", USER)
        assert len(ps.invoke()) == 1
    finally:
        other.close()

JUMP_BOOTSTRAP = """param($ConnectionUri, $Credential)
$session = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $ConnectionUri -Credential $Credential -Authentication Kerberos -ErrorAction Stop
Import-PSSession -Session $session -DisableNameChecking -AllowClobber | Out-Null
"""


def jump_bootstrap(pool, password):
    from pypsrp.complex_objects import PSCredential

    pool.exchange_keys()
    ps = PowerShell(pool)
    ps.add_script(JUMP_BOOTSTRAP)
    ps.add_parameter("ConnectionUri", "http://ex01.contoso.com/PowerShell/")
    ps.add_parameter("Credential", PSCredential(username="CONTOSO\\recipientadmin", password=password))
    ps.invoke()
    return ps


def test_jump_host_bootstrap_on_wsman():
    # The WinRM service endpoint: Microsoft.PowerShell, then a session to Exchange imported
    # with a PSCredential whose password is a SecureString.
    wsman = WSMan(
        "127.0.0.1",
        port=HTTP_PORT,
        path="wsman",
        ssl=False,
        auth="ntlm",
        encryption="always",
        username=USER,
        password=PASSWORD,
        operation_timeout=5,
        read_timeout=15,
    )
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "justin.martin")
        ps.invoke()
        assert ps.had_errors
        assert ps.streams.error[-1].fq_error == "CommandNotFoundException"

        ps = jump_bootstrap(pool, "wrong")
        assert ps.had_errors
        assert ps.streams.error[-1].fq_error == "AccessDenied,PSSessionOpenFailed"

        ps = jump_bootstrap(pool, "Recipients1!")
        assert not ps.had_errors, [str(e) for e in ps.streams.error]

        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "justin.martin")
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
        assert len(out) == 1
        assert out[0].types[0] == "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox"
