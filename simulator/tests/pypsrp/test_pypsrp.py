"""pypsrp, a client we did not write, against mx-sim: NTLM over HTTP with message encryption,
and Basic over HTTPS. Run with run.sh, which starts the simulator."""

import os

import pytest
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
