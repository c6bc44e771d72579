"""Kerberos from Python against a KDC fixture of tests/kdc: MIT's realm or the Samba AD DC,
whichever environment is exported (scripts/test.sh runs this file with each). mx-sim holds
the service keys from the fixture's keytab (`--kerberos-keytab`), as IIS holds the machine
account's. Without `MX_KDC_URL` the tests are skipped, except under CI, where that fails."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import monosync_exchange as mx

from conftest import Sim

KDC = os.environ.get("MX_KDC_URL")
AD = os.environ.get("MX_AD_KEYTAB")


@pytest.fixture
def realm() -> dict[str, str]:
    if not KDC:
        assert not os.environ.get("CI"), "MX_KDC_URL not set under CI: start tests/kdc"
        pytest.skip("MX_KDC_URL not set: start tests/kdc/start-kdc.sh and export its env")
    return dict(os.environ)


def kerberos_sim(make_sim: Callable[..., Sim], tmp_path: Path, env: dict[str, str]) -> Sim:
    """mx-sim with the fixture's service keytab and the realm's users as administrators."""
    users = [env["MX_KRB5_USER"]]
    if "MX_AD_KEYTAB_USER" in env:
        users += [env["MX_AD_KEYTAB_USER"], env["MX_AD_UPN_USER"]]
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "accounts": [
                    {"user": u, "password": "unused", "role_groups": ["Organization Management"]}
                    for u in users
                ]
            }
        )
    )
    return make_sim(
        "--no-basic",
        "--no-ntlm",
        "--kerberos-keytab",
        env["MX_KRB5_KEYTAB"],
        "--kdc",
        env["MX_KDC_URL"],
        "--seed",
        str(seed),
    )


def connect(sim: Sim, env: dict[str, str], **options: object) -> mx.Session:
    """A session to the simulator by the service's FQDN, which resolves to it."""
    host = env["MX_KRB5_SERVICE_HOST"]
    port = urlsplit(sim.url).port
    return mx.Session(
        f"http://{host}:{port}/PowerShell",
        kdc=env["MX_KDC_URL"],
        resolve=f"{host}:{port}:127.0.0.1",
        **options,  # type: ignore[arg-type]
    )


def logged_on_as(sim: Sim) -> set[str]:
    entries = [json.loads(line) for line in sim.log.read_text().splitlines()]
    return {e["user"] for e in entries if e["operation"] == "Create" and e["status"] == 200}


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_password_logon(
    realm: dict[str, str], make_sim: Callable[..., Sim], tmp_path: Path, auth: str
) -> None:
    sim = kerberos_sim(make_sim, tmp_path, realm)
    user = f"{realm['MX_KRB5_USER']}@{realm['MX_KRB5_REALM'].lower()}"
    with connect(sim, realm, auth=auth, username=user, password=realm["MX_KRB5_PASSWORD"]) as s:
        assert s.invoke("Get-Mailbox").errors == []
    assert logged_on_as(sim) == {realm["MX_KRB5_USER"]}


def test_ad_user_forms(realm: dict[str, str], make_sim: Callable[..., Sim], tmp_path: Path) -> None:
    if not AD:
        pytest.skip("the AD user forms need tests/kdc/samba/start-dc.sh")
    sim = kerberos_sim(make_sim, tmp_path, realm)
    for user, password in [
        (f"{realm['MX_AD_NETBIOS_DOMAIN']}\\{realm['MX_KRB5_USER']}", realm["MX_KRB5_PASSWORD"]),
        (realm["MX_AD_UPN"], realm["MX_AD_UPN_PASSWORD"]),
    ]:
        with connect(sim, realm, auth="kerberos", username=user, password=password) as s:
            assert s.invoke("Get-Mailbox").errors == []
    assert logged_on_as(sim) == {realm["MX_KRB5_USER"], realm["MX_AD_UPN_USER"]}


def test_keytab_logon(realm: dict[str, str], make_sim: Callable[..., Sim], tmp_path: Path) -> None:
    if not AD:
        pytest.skip("keytab logons need the service account of tests/kdc/samba/start-dc.sh")
    sim = kerberos_sim(make_sim, tmp_path, realm)
    with connect(sim, realm, auth="kerberos", keytab=AD) as s:
        assert s.invoke("Get-Mailbox").errors == []
    principal = realm["MX_AD_KEYTAB_PRINCIPAL"]
    with connect(sim, realm, auth="negotiate", username=principal, keytab=Path(AD)) as s:
        assert s.invoke("Get-Mailbox").errors == []
    assert logged_on_as(sim) == {realm["MX_AD_KEYTAB_USER"]}
    with pytest.raises(mx.AuthError, match="msDS-SupportedEncryptionTypes") as e:
        connect(sim, realm, auth="kerberos", keytab=realm["MX_AD_RC4_KEYTAB"])
    assert "rc4-hmac" in str(e.value)
    with pytest.raises(mx.ConfigError, match="keytab= or password="):
        connect(sim, realm, auth="kerberos", keytab=AD, password="x")


def test_an_unreadable_keytab_is_an_auth_error_naming_the_file(sim: Sim) -> None:
    with pytest.raises(mx.AuthError, match="/nonexistent/mx-python-test.keytab"):
        mx.Session(sim.url, auth="negotiate", keytab="/nonexistent/mx-python-test.keytab")
