"""Every exception class, each raised by a real failure against mx-sim (or the network)."""

from __future__ import annotations

import pickle
import socket
import time
import uuid
from collections.abc import Callable

import pytest

import monosync_exchange as mx
from conftest import ADMIN, ADMIN_PW, Sim, delay

#: The WS-Management fault code of an exceeded per-user shell quota, 0x803381A5.
SHELL_QUOTA = 0x803381A5


def kinds() -> dict[type[mx.ExchangeError], mx.ErrorKind]:
    return {
        mx.NotFoundError: mx.ErrorKind.NotFound,
        mx.AmbiguousError: mx.ErrorKind.Ambiguous,
        mx.AlreadyExistsError: mx.ErrorKind.AlreadyExists,
        mx.AccessDeniedError: mx.ErrorKind.AccessDenied,
        mx.InvalidParameterError: mx.ErrorKind.InvalidParameter,
        mx.ThrottledError: mx.ErrorKind.Throttled,
        mx.TransientError: mx.ErrorKind.Transient,
        mx.AuthError: mx.ErrorKind.Auth,
        mx.TlsError: mx.ErrorKind.Tls,
        mx.ProtocolError: mx.ErrorKind.Protocol,
        mx.CancelledError: mx.ErrorKind.Cancelled,
        mx.ExchangeTimeoutError: mx.ErrorKind.Timeout,
        mx.OutcomeUnknownError: mx.ErrorKind.OutcomeUnknown,
        mx.ConfigError: mx.ErrorKind.Config,
        mx.CommandError: mx.ErrorKind.Command,
    }


def test_the_tree_has_one_class_per_kind() -> None:
    seen = set()
    for cls, kind in kinds().items():
        assert issubclass(cls, mx.ExchangeError)
        assert cls.kind == kind, cls
        assert cls.__module__ == "monosync_exchange"
        seen.add(kind.code)
    assert seen == set(range(1, 16))
    assert issubclass(mx.ExchangeTimeoutError, TimeoutError)
    assert issubclass(mx.NotFoundError, LookupError)
    assert issubclass(mx.AccessDeniedError, PermissionError)
    assert issubclass(mx.InvalidParameterError, ValueError)
    assert mx.ExchangeTimeoutError is not TimeoutError
    # Raised by hand, the documented fields still read.
    e = mx.OutcomeUnknownError("sent, then the connection dropped")
    assert e.kind == mx.ErrorKind.OutcomeUnknown and e.hint is None and e.partial is None
    assert mx.ErrorKind.Throttled.is_retryable and not mx.ErrorKind.NotFound.is_retryable


def test_not_found_non_terminating_and_terminating(session: mx.Session) -> None:
    result = session.invoke("Get-Mailbox", Identity="nobody-here")
    with pytest.raises(mx.NotFoundError) as info:
        result.raise_for_errors()
    e = info.value
    assert e.kind == mx.ErrorKind.NotFound
    assert "nobody-here" in (e.message or "")
    assert "[FailureCategory=Cmdlet-ManagementObjectNotFoundException]" in (
        e.fully_qualified_error_id or ""
    )
    assert e.exception_type == (
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    )
    assert e.partial is result
    assert isinstance(e.error_record, mx.ErrorRecord)
    # -ErrorAction Stop makes it terminating: raised by invoke itself.
    with pytest.raises(mx.NotFoundError) as info:
        session.invoke("Get-Mailbox", Identity="nobody-here", ErrorAction="Stop")
    assert info.value.partial is not None and info.value.partial.state == "Failed"
    assert isinstance(info.value, LookupError)
    # The exception pickles with its fields (e.g. to cross a process pool).
    copy = pickle.loads(pickle.dumps(mx.NotFoundError("x")))
    assert isinstance(copy, mx.NotFoundError) and str(copy) == "x"


def test_ambiguous(session: mx.Session) -> None:
    display = f"Twin {uuid.uuid4().hex[:6]}"
    for n in (1, 2):
        name = f"{display} {n}"
        session.invoke(
            "New-Mailbox",
            Name=name,
            DisplayName=display,
            UserPrincipalName=f"{name.replace(' ', '')}@contoso.com",
            Password=mx.SecureString("Secret1!"),
        ).raise_for_errors()
    with pytest.raises(mx.AmbiguousError) as info:
        session.invoke("Set-Mailbox", Identity=display, Office="B1").raise_for_errors()
    assert "ManagementObjectAmbiguousException" in (info.value.fully_qualified_error_id or "")


def test_already_exists(session: mx.Session) -> None:
    with pytest.raises(mx.AlreadyExistsError) as info:
        session.invoke(
            "New-Mailbox",
            Name="Justin Martin",
            UserPrincipalName="justin.martin@contoso.com",
            Password=mx.SecureString("Secret1!"),
        ).raise_for_errors()
    assert "AlreadyExists" in (info.value.exception_type or "")


def test_access_denied_outside_rbac_roles(sim: Sim) -> None:
    with sim.session(username="CONTOSO\\auditor", password="ReadOnly1!") as s:
        assert len(s.invoke("Get-Mailbox", Identity="justin.martin")) == 1
        with pytest.raises(mx.AccessDeniedError) as info:
            s.invoke("New-Mailbox", Name="x", Password=mx.SecureString("Secret1!"))
    assert "CommandNotFoundException" in (info.value.exception_type or "")
    assert isinstance(info.value, PermissionError)


def test_invalid_parameter(session: mx.Session) -> None:
    with pytest.raises(mx.InvalidParameterError) as info:
        session.invoke("Get-Mailbox", Bogus="x")
    assert info.value.fully_qualified_error_id == "NamedParameterNotFound,Get-Mailbox"
    assert isinstance(info.value, ValueError)


def test_throttled_by_the_shell_quota(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim("--shell-quota", "1")
    with sim.session():
        with pytest.raises(mx.ThrottledError) as info:
            sim.session()
    assert info.value.server_code == SHELL_QUOTA
    assert info.value.kind.is_retryable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_transient_when_nothing_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}/PowerShell/"
    with pytest.raises(mx.TransientError) as info:
        mx.Session(url, auth="ntlm", username=ADMIN, password=ADMIN_PW, connect_timeout=5)
    assert "cannot connect" in str(info.value)


def test_transient_on_http_503(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim(faults={"rules": [{"operation": "Command", "action": {"kind": "http503"}}]})
    with sim.session() as s:
        with pytest.raises(mx.TransientError) as info:
            s.invoke("Get-User", Identity="justin.martin")
        assert info.value.server_code == 503


def test_auth_wrong_password(sim: Sim) -> None:
    with pytest.raises(mx.AuthError) as info:
        sim.session(password="wrong")
    assert "wrong" not in str(info.value)


def test_tls_untrusted_then_pinned(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim(https=True)
    assert sim.url.startswith("https://")
    with pytest.raises(mx.TlsError) as info:
        sim.session(auth="basic")
    sha1 = next(line for line in sim.stdout if "SHA-1" in line).split(":", 1)[1].strip()
    assert sha1 in str(info.value), "the message names the thumbprint to pin"
    with sim.session(auth="basic", pin_thumbprint=sha1) as s:
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1
    with sim.session(auth="basic", insecure=True) as s:
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1


def test_protocol_error_on_a_truncated_answer(make_sim: Callable[..., Sim]) -> None:
    # The Command's answer is cut off: a sealed body without its closing boundary (or, in
    # clear, an envelope cut mid-element) cannot be read.
    sim = make_sim(
        faults={"rules": [{"operation": "Command", "action": {"kind": "truncated_body"}}]}
    )
    with sim.session() as s:
        with pytest.raises(mx.ProtocolError) as info:
            s.invoke("Get-User", Identity="justin.martin")
    assert info.value.kind == mx.ErrorKind.Protocol
    assert "boundary" in str(info.value).lower() or "unreadable" in str(info.value)


def test_transient_error_on_an_empty_fault(make_sim: Callable[..., Sim]) -> None:
    # WinRM sends faults with HTTP 500; a 500 without a SOAP fault is a server in trouble
    # (an IIS or proxy error page), worth another try.
    sim = make_sim(faults={"rules": [{"operation": "Command", "action": {"kind": "http500"}}]})
    with sim.session() as s:
        with pytest.raises(mx.TransientError) as info:
            s.invoke("Get-User", Identity="justin.martin")
    assert "HTTP 500" in str(info.value)


def test_timeout_of_a_command(make_sim: Callable[..., Sim]) -> None:
    # The pool's open uses Receive 1; the command's first Receive is held for 5 s.
    sim = make_sim(faults=delay("Receive", 2, 5000))
    with sim.session(invoke_timeout=0.5) as s:
        with pytest.raises(mx.ExchangeTimeoutError) as info:
            s.invoke("Get-User", Identity="justin.martin")
        assert isinstance(info.value, TimeoutError)
        assert info.value.kind == mx.ErrorKind.Timeout


def test_timeout_of_opening(make_sim: Callable[..., Sim]) -> None:
    # The pool's open waits on Receive 1, which is held for 5 s: open_timeout ends it first.
    sim = make_sim(faults=delay("Receive", 1, 5000))
    started = time.monotonic()
    with pytest.raises(mx.ExchangeTimeoutError) as info:
        sim.session(open_timeout=0.5)
    assert time.monotonic() - started < 3
    assert info.value.kind == mx.ErrorKind.Timeout
    assert "did not open within" in str(info.value)
    # None lifts the limit; a pool takes the keyword too.
    with sim.session(open_timeout=None) as s:
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1
    with mx.Pool(
        sim.url, auth="ntlm", username=ADMIN, password=ADMIN_PW, open_timeout=30.0
    ) as pool:
        assert len(pool.invoke("Get-User", Identity="justin.martin")) == 1


def test_config_errors(sim: Sim) -> None:
    with pytest.raises(mx.ConfigError):
        mx.Session("ftp://ex01/PowerShell/", username="u", password="p")
    with pytest.raises(mx.ConfigError, match="auth="):
        mx.Session(sim.url, auth="digest", username="u", password="p")
    with pytest.raises(mx.ConfigError, match="password"):
        mx.Session(sim.url, username="u")
    with pytest.raises(mx.ConfigError, match="resolve"):
        mx.Session(sim.url, username="u", password="p", resolve="nonsense")
    with pytest.raises(mx.ConfigError):
        mx.Session(sim.url, username="u", password="p", connect_timeout=-1)
    s = sim.session()
    s.close()
    with pytest.raises(mx.ConfigError) as info:
        s.invoke("Get-User")
    assert info.value.kind == mx.ErrorKind.Config
    assert isinstance(info.value, ValueError)


def test_enabling_a_mailbox_twice_is_already_exists(session: mx.Session) -> None:
    # Exchange answers Enable-Mailbox on a mailbox with a RecipientTaskException ("does not
    # support recipients of this type"): for an idempotent provisioning flow, it exists.
    with pytest.raises(mx.AlreadyExistsError) as info:
        session.invoke("Enable-Mailbox", Identity="justin.martin").raise_for_errors()
    assert "RecipientTaskException" in (info.value.fully_qualified_error_id or "")
    assert info.value.kind == mx.ErrorKind.AlreadyExists
