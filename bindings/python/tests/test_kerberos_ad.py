"""Kerberos as Active Directory uses it, from Python: a UPN whose suffix is not the realm
(``realm=``), the KDC proxy (``kdc="https://..."`` with ``ca_file``), and named failures.

Needs a KDC environment (tests/kdc/start-kdc.sh for MIT or tests/kdc/samba/start-dc.sh for the
Samba AD DC, and start-kdcproxy.sh for the proxy; scripts/test.sh runs this file with each):
``MX_KDC_URL``, ``MX_KRB5_REALM``, ``MX_KRB5_SERVICE_HOST``, ``MX_KRB5_SERVICE_PASSWORD`` (MIT)
or ``MX_KRB5_KEYTAB`` (AD, where the service key exists only in the exported keytab),
``MX_KRB5_UPN_USER``, ``MX_KRB5_UPN_PASSWORD``, ``MX_KRB5_UPN_ACCOUNT``; ``MX_KDC_PROXY_URL``
and ``MX_KDC_PROXY_CA``. Skipped without them, failed under CI.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import monosync_exchange as mx
from conftest import ROOT, start_sim

NEEDED = [
    "MX_KDC_URL",
    "MX_KRB5_REALM",
    "MX_KRB5_SERVICE_HOST",
    "MX_KRB5_UPN_USER",
    "MX_KRB5_UPN_PASSWORD",
    "MX_KRB5_UPN_ACCOUNT",
]


def need(names: list[str]) -> dict[str, str]:
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} not set under CI: start tests/kdc/start-kdc.sh and source its env")
        pytest.skip(f"{missing} not set")
    return {n: os.environ[n] for n in names}


@pytest.fixture
def kerberos_sim(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = need(NEEDED)
    seed = json.loads((ROOT / "simulator" / "seed" / "default.json").read_text())
    seed["accounts"].append(
        {
            "user": env["MX_KRB5_UPN_ACCOUNT"],
            "password": secrets.token_hex(16),
            "role_groups": ["Organization Management"],
        }
    )
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    # The service's keys: derived from the password (MIT's realm), else the exported keytab.
    if os.environ.get("MX_KRB5_SERVICE_PASSWORD"):
        keys = [
            "--kerberos-realm",
            env["MX_KRB5_REALM"],
            "--kerberos-host",
            env["MX_KRB5_SERVICE_HOST"],
            "--kerberos-password",
            os.environ["MX_KRB5_SERVICE_PASSWORD"],
        ]
    else:
        keys = ["--kerberos-keytab", need(["MX_KRB5_KEYTAB"])["MX_KRB5_KEYTAB"]]
    sim = start_sim(
        tmp_path,
        "--no-basic",
        "--no-ntlm",
        "--offer-kerberos",
        "--seed",
        str(seed_file),
        *keys,
        "--kdc",
        env["MX_KDC_URL"],
    )
    yield sim, env
    sim.stop()


def kerberos_url(sim_url: str, host: str) -> tuple[str, str]:
    """The simulator's URL with `host` as its name, and the resolve override for it."""
    port = urlsplit(sim_url).port
    return f"http://{host}:{port}/PowerShell", f"{host}:{port}:127.0.0.1"


def test_upn_suffix_with_the_realm_option_through_the_kdc_proxy(kerberos_sim) -> None:  # type: ignore[no-untyped-def]
    sim, env = kerberos_sim
    proxy = need(["MX_KDC_PROXY_URL", "MX_KDC_PROXY_CA"])
    url, resolve = kerberos_url(sim.url, env["MX_KRB5_SERVICE_HOST"])
    with mx.Session(
        url,
        auth="kerberos",
        username=env["MX_KRB5_UPN_USER"],
        password=env["MX_KRB5_UPN_PASSWORD"],
        realm=env["MX_KRB5_REALM"].lower(),
        kdc=proxy["MX_KDC_PROXY_URL"],
        ca_file=proxy["MX_KDC_PROXY_CA"],
        resolve=resolve,
    ) as s:
        mailbox = s.invoke("Get-Mailbox", Identity="Administrator")
        assert mailbox.output[0]["SamAccountName"] == "Administrator"


def test_the_kdc_proxy_certificate_is_verified(kerberos_sim) -> None:  # type: ignore[no-untyped-def]
    sim, env = kerberos_sim
    proxy = need(["MX_KDC_PROXY_URL"])
    url, resolve = kerberos_url(sim.url, env["MX_KRB5_SERVICE_HOST"])
    with pytest.raises(mx.TlsError):
        mx.Session(
            url,
            auth="kerberos",
            username=env["MX_KRB5_UPN_USER"],
            password=env["MX_KRB5_UPN_PASSWORD"],
            realm=env["MX_KRB5_REALM"],
            kdc=proxy["MX_KDC_PROXY_URL"],
            insecure=True,  # concerns the Exchange server only, never the proxy
            resolve=resolve,
        )


def test_an_unknown_upn_names_the_principal_and_the_realm(kerberos_sim) -> None:  # type: ignore[no-untyped-def]
    sim, env = kerberos_sim
    url, resolve = kerberos_url(sim.url, env["MX_KRB5_SERVICE_HOST"])
    with pytest.raises(mx.AuthError) as info:
        mx.Session(
            url,
            auth="kerberos",
            username="nobody.here@fabrikam.test",
            password="Some-Pass-2026",
            realm=env["MX_KRB5_REALM"],
            kdc=env["MX_KDC_URL"],
            resolve=resolve,
        )
    text = str(info.value)
    assert f"nobody.here@fabrikam.test (NT-ENTERPRISE name) in realm {env['MX_KRB5_REALM']}" in text
    assert "FABRIKAM.TEST" in (info.value.hint or "")


def test_a_missing_spn_names_setspn(kerberos_sim) -> None:  # type: ignore[no-untyped-def]
    sim, env = kerberos_sim
    domain = env["MX_KRB5_SERVICE_HOST"].split(".", 1)[-1]
    url, resolve = kerberos_url(sim.url, f"nospn.{domain}")
    with pytest.raises(mx.AuthError) as info:
        mx.Session(
            url,
            auth="kerberos",
            username=env["MX_KRB5_UPN_USER"],
            password=env["MX_KRB5_UPN_PASSWORD"],
            realm=env["MX_KRB5_REALM"],
            kdc=env["MX_KDC_URL"],
            resolve=resolve,
        )
    assert f"setspn -S HTTP/nospn.{domain} <account>" in str(info.value)


def test_a_malformed_realm_is_a_config_error(sim) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mx.ConfigError):
        sim.session(realm="not a realm")
