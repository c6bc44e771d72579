"""SecureString and PSCredential, and log records forwarded to Python."""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid

import pytest

import monosync_exchange as mx
from conftest import ADMIN, ADMIN_PW, Sim


def test_secure_string_never_shows() -> None:
    s = mx.SecureString("Initial!Passw0rd")
    assert repr(s) == "SecureString(<hidden>)"
    assert "Passw0rd" not in str(s)
    assert len(s) == 16
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(TypeError):
        mx.SecureString(42)  # type: ignore[arg-type]
    assert "Passw0rd" not in repr(mx.Command("New-Mailbox", Password=s))
    cred = mx.PSCredential("CONTOSO\\Administrator", "P@ssw0rd!")
    assert cred.username == "CONTOSO\\Administrator"
    assert isinstance(cred.password, mx.SecureString)
    assert "P@ssw0rd" not in repr(cred)
    with pytest.raises(TypeError):
        pickle.dumps(cred)


def test_new_mailbox_with_a_secure_string_password(session: mx.Session) -> None:
    name = f"secure-{uuid.uuid4().hex[:8]}"
    result = session.invoke(
        "New-Mailbox",
        Name=name,
        UserPrincipalName=f"{name}@contoso.com",
        Password=mx.SecureString("Initial!Passw0rd"),
        ResetPasswordOnNextLogon=False,
    ).raise_for_errors()
    mbx = result[0]
    assert mbx.Name == name
    assert mbx.UserPrincipalName == f"{name}@contoso.com"
    assert mbx.ResetPasswordOnNextLogon is False
    # The builder's .secure() sends the same way.
    other = f"secure-{uuid.uuid4().hex[:8]}"
    cmd = (
        mx.Command("New-Mailbox", Name=other, UserPrincipalName=f"{other}@contoso.com")
        .secure("Password", "Initial!Passw0rd")
        .switch("Shared")
    )
    assert session.invoke(cmd).raise_for_errors()[0].RecipientTypeDetails == "SharedMailbox"


def test_a_plain_string_password_is_refused_by_the_server(session: mx.Session) -> None:
    # New-Mailbox -Password takes a SecureString; a str is sent as a string and refused.
    with pytest.raises(mx.InvalidParameterError):
        session.invoke(
            "New-Mailbox",
            Name=f"plain-{uuid.uuid4().hex[:8]}",
            Password="Initial!Passw0rd",
        )


def test_a_credential_opens_a_session(sim: Sim) -> None:
    cred = mx.PSCredential(ADMIN, mx.SecureString(ADMIN_PW))
    with mx.Session(sim.url, auth="ntlm", credential=cred) as s:
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1
    with pytest.raises(mx.ConfigError):
        mx.Session(sim.url, credential=cred, password="x")


def test_log_records_reach_a_python_callable(sim: Sim) -> None:
    records: list[mx.LogRecord] = []
    lock = threading.Lock()

    def handler(record: mx.LogRecord) -> None:
        with lock:
            records.append(record)

    mx.set_log_handler(handler, "debug")
    try:
        with sim.session() as s:
            s.invoke("Get-User", Identity="justin.martin")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with lock:
                if any("authenticated" in r.message for r in records):
                    break
            time.sleep(0.05)
    finally:
        mx.set_log_handler(None)
    with lock:
        got = list(records)
    connected = [r for r in got if r.message.startswith("connected")]
    assert connected, [r.message for r in got]
    assert connected[0].level == "debug" and connected[0].levelno == logging.DEBUG
    assert connected[0].target.startswith("monosync_exchange::transport")
    assert any("authenticated" in r.message and "scheme=" in r.message for r in got)
    assert not any(ADMIN_PW in r.message for r in got), "no secret is ever logged"
    # Off again: nothing more arrives.
    count = len(got)
    with sim.session() as s:
        s.invoke("Get-User", Identity="justin.martin")
    time.sleep(0.3)
    with lock:
        assert len(records) == count
    with pytest.raises(ValueError):
        mx.set_log_handler(handler, "loud")


def test_log_to_logging(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    mx.log_to_logging("debug")
    try:
        with caplog.at_level(logging.DEBUG, logger="monosync_exchange"):
            with sim.session():
                pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(
                r.name.startswith("monosync_exchange.transport") for r in caplog.records
            ):
                time.sleep(0.05)
    finally:
        mx.set_log_handler(None)
    names = {r.name for r in caplog.records}
    assert any(n.startswith("monosync_exchange.transport") for n in names), names
