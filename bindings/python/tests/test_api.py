"""The Pythonic API against mx-sim: invoke, PSObject, value conversion, Command pipelines,
records, streaming, and what the package exposes."""

from __future__ import annotations

import collections.abc
import datetime
import json
import uuid
from pathlib import Path

import pytest

import monosync_exchange as mx
from conftest import ADMIN_PW, Sim


def test_the_import_is_the_installed_wheel() -> None:
    # The suite installs the wheel into a fresh venv; the source tree must not shadow it.
    here = Path(__file__).resolve().parents[1]
    assert here not in Path(mx.__file__).resolve().parents
    assert (Path(mx.__file__).parent / "py.typed").exists()
    assert (Path(mx.__file__).parent / "__init__.pyi").exists()
    assert mx.__version__.count(".") == 2


def test_every_public_name_has_a_docstring() -> None:
    for name in mx.__all__:
        obj = getattr(mx, name)
        if name == "__version__":
            continue
        assert obj.__doc__ and obj.__doc__.strip(), name
    for method in ("invoke", "stream", "cancel", "close"):
        assert getattr(mx.Session, method).__doc__, method


def test_get_mailbox_reads_like_a_mapping(session: mx.Session) -> None:
    result = session.invoke("Get-Mailbox", Identity="justin.martin")
    assert isinstance(result, mx.Result)
    assert result.state == "Completed"
    assert len(result) == 1 and len(result.output) == 1
    assert result.errors == [] and result.warnings == []
    mbx = result[0]
    assert isinstance(mbx, mx.PSObject)
    assert isinstance(mbx, collections.abc.Mapping)
    assert mbx["SamAccountName"] == "justin.martin"
    assert mbx.DisplayName == "Justin Martin"
    assert mbx["displayname"] == "Justin Martin", "names match without case, like PowerShell"
    assert mbx.get("NoSuchProperty") is None
    assert mbx.get("NoSuchProperty", 7) == 7
    assert "PrimarySmtpAddress" in mbx and "NoSuchProperty" not in mbx
    with pytest.raises(KeyError):
        mbx["NoSuchProperty"]
    with pytest.raises(AttributeError):
        mbx.NoSuchProperty  # noqa: B018
    assert mbx.PrimarySmtpAddress == "justin.martin@contoso.com"
    assert mbx.RecipientTypeDetails == "UserMailbox"
    assert mbx.Database == "DB02"
    keys = mbx.keys()
    assert len(keys) == len(mbx) == len(set(keys)) > 20
    assert list(mbx) == keys
    assert dict(mbx.items())["Alias"] == "justin.martin"
    assert mbx.type_names[0].endswith("Mailbox")
    assert "Justin Martin" in (mbx.to_string or "")
    assert "PSObject" in repr(mbx)
    with pytest.raises((AttributeError, TypeError)):
        mbx.Alias = "x"  # type: ignore[misc]


def test_values_convert_to_natural_python_types(session: mx.Session) -> None:
    mbx = session.invoke("Get-Mailbox", Identity="justin.martin")[0]
    assert mbx.ExchangeGuid == uuid.UUID("12ff2aa0-e0d7-4726-8aa9-2073717538cb")
    assert isinstance(mbx.Guid, uuid.UUID)
    created = mbx.WhenCreated
    assert isinstance(created, datetime.datetime)
    assert 2020 <= created.year <= 2030
    assert isinstance(mbx.HiddenFromAddressListsEnabled, bool)
    addresses = mbx.EmailAddresses
    assert isinstance(addresses, list)
    assert "SMTP:justin.martin@contoso.com" in addresses
    plain = mbx.to_dict()
    assert plain["Alias"] == "justin.martin"
    assert plain["ExchangeGuid"] == mbx.ExchangeGuid
    assert all(not isinstance(v, mx.PSObject) for v in plain.values())
    data = json.loads(mbx.to_json())
    assert data["Alias"] == "justin.martin"
    assert data["ExchangeGuid"] == "12ff2aa0-e0d7-4726-8aa9-2073717538cb"
    assert data["$type"][0] == mbx.type_names[0]
    assert mbx.to_json(indent=2).startswith("{\n  ")


def test_seeded_dates_are_exact(session: mx.Session) -> None:
    # The seed's when_created for Sharon Price is 1641229824 (Unix seconds, UTC).
    user = session.invoke("Get-User", Identity="Sharon Price")[0]
    created = user.WhenCreatedUTC
    expected = datetime.datetime.fromtimestamp(1641229824, tz=datetime.timezone.utc)
    assert created == expected
    assert created.tzinfo is not None


def test_switches_false_and_positional_arguments(session: mx.Session) -> None:
    name = f"api-switch-{uuid.uuid4().hex[:8]}"
    created = session.invoke(
        "New-Mailbox",
        Name=name,
        UserPrincipalName=f"{name}@contoso.com",
        Password=mx.SecureString("Initial!Passw0rd"),
        Shared=True,
    ).raise_for_errors()
    assert created[0].RecipientTypeDetails == "SharedMailbox"
    # Positional Identity, like `Get-Mailbox <name>`.
    assert session.invoke("Get-Mailbox", name)[0].Name == name
    # -Confirm:$false on a ConfirmImpact=High cmdlet.
    removed = session.invoke("Remove-Mailbox", Identity=name, Confirm=False)
    assert removed.errors == [] and removed.output == []
    gone = session.invoke("Get-Mailbox", Identity=name)
    assert gone.output == [] and gone.errors[0].kind == mx.ErrorKind.NotFound


def test_command_builder_and_pipelines(session: mx.Session) -> None:
    cmd = mx.Command("Get-Mailbox", Identity="justin.martin")
    assert cmd.names == ["Get-Mailbox"]
    office = f"Office {uuid.uuid4().hex[:6]}"
    piped = cmd.pipe("Set-Mailbox", CustomAttribute1=office)
    assert piped.names == ["Get-Mailbox", "Set-Mailbox"]
    assert cmd.names == ["Get-Mailbox"], "commands are immutable"
    assert repr(piped) == "<Command Get-Mailbox -Identity | Set-Mailbox -CustomAttribute1>"
    session.invoke(piped).raise_for_errors()
    again = mx.Command("Get-Mailbox").param("Identity", "justin.martin")
    assert session.invoke(again)[0].CustomAttribute1 == office
    both = mx.Command("Get-Mailbox", Identity="justin.martin") | mx.Command(
        "Set-Mailbox", CustomAttribute1=""
    )
    session.invoke(both).raise_for_errors()
    with pytest.raises(TypeError):
        session.invoke(cmd, Identity="x")
    with pytest.raises(TypeError):
        session.invoke(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        session.invoke("Get-Mailbox", Identity=object())


def new_mailbox(session: mx.Session, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    session.invoke(
        "New-Mailbox",
        Name=name,
        UserPrincipalName=f"{name}@contoso.com",
        Password=mx.SecureString("Initial!Passw0rd"),
    ).raise_for_errors()
    return name


def test_parameter_values_reach_the_server(session: mx.Session) -> None:
    name = new_mailbox(session, "api-values")
    primary = f"SMTP:{name}@contoso.com"
    session.invoke(
        "Set-Mailbox",
        Identity=name,
        HiddenFromAddressListsEnabled=True,
        CustomAttribute1=7,
        EmailAddresses=[primary, f"smtp:{name}.alt@contoso.com"],
    ).raise_for_errors()
    mbx = session.invoke("Get-Mailbox", Identity=name)[0]
    assert mbx.HiddenFromAddressListsEnabled is True
    assert mbx.CustomAttribute1 == "7"
    assert mbx.EmailAddresses == [primary, f"smtp:{name}.alt@contoso.com"]
    # A dict is a hashtable: Exchange's @{Add=...} update of a multi-valued property.
    session.invoke(
        "Set-Mailbox", Identity=name, EmailAddresses={"Add": [f"smtp:{name}.x@contoso.com"]}
    ).raise_for_errors()
    addresses = session.invoke("Get-Mailbox", Identity=name)[0].EmailAddresses
    assert f"smtp:{name}.x@contoso.com" in addresses and len(addresses) == 3


def test_unsendable_parameter_values_are_refused_before_sending() -> None:
    with pytest.raises(OverflowError):
        mx.Command("Set-Mailbox", CustomAttribute1=2**70)
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="nests deeper"):
        mx.Command("Set-Mailbox", CustomAttribute1=cyclic)
    with pytest.raises(TypeError, match="whole value"):
        mx.Command("Set-Mailbox", CustomAttribute1=[mx.SecureString("x")])
    with pytest.raises(TypeError, match="cannot send"):
        mx.Command("Set-Mailbox", CustomAttribute1={1, 2})


def test_warnings_are_records(session: mx.Session) -> None:
    r = session.invoke("Get-Mailbox", ResultSize=3)
    assert len(r.output) == 3
    assert len(r.warnings) == 1
    w = r.warnings[0]
    assert isinstance(w, mx.InformationalRecord)
    assert w.kind == "warning"
    assert "more results" in w.message
    assert isinstance(w.object, mx.PSObject)


def test_error_records_carry_kind_and_fqid(session: mx.Session) -> None:
    r = session.invoke("Get-Mailbox", Identity="nobody-here")
    assert r.state == "Completed" and r.output == []
    [err] = r.errors
    assert isinstance(err, mx.ErrorRecord)
    assert err.kind == mx.ErrorKind.NotFound
    assert err.kind.label == "not_found" and err.kind.code == 1 and str(err.kind) == "not_found"
    assert "nobody-here" in (err.message or "")
    assert "ManagementObjectNotFoundException" in (err.fully_qualified_error_id or "")
    assert err.exception_type == (
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    )
    assert err.activity == "Get-Mailbox"
    exc = err.to_exception()
    assert isinstance(exc, mx.NotFoundError)


def test_stream_yields_objects_and_keeps_records(session: mx.Session) -> None:
    stream = session.stream("Get-User", ResultSize="Unlimited")
    assert isinstance(stream, mx.ResultStream)
    assert stream.state is None
    names = [u.SamAccountName for u in stream if u.get("SamAccountName")]
    assert len(names) > 200
    assert stream.state == "Completed"
    assert stream.errors == []
    # The session is free again.
    assert len(session.invoke("Get-User", Identity="justin.martin")) == 1


def test_stream_refuses_calls_from_its_own_thread_until_read(session: mx.Session) -> None:
    stream = session.stream("Get-User", ResultSize="Unlimited")
    first = next(stream)
    assert isinstance(first, mx.PSObject)
    with pytest.raises(mx.ConfigError) as info:
        session.invoke("Get-User", Identity="justin.martin")
    assert info.value.kind == mx.ErrorKind.Config
    stream.close()
    assert list(stream) == []
    assert len(session.invoke("Get-User", Identity="justin.martin")) == 1


def test_round_trips_and_repr(sim: Sim) -> None:
    with sim.session() as s:
        trips = s.round_trips
        assert trips["wsman"] == 2, "Create and one Receive open the pool"
        assert trips["http"] >= 2
        s.invoke("Get-User", Identity="justin.martin")
        assert s.round_trips["wsman"] == trips["wsman"] + 3
        assert repr(s) == f"<Session {sim.url} open>"
        assert ADMIN_PW not in repr(s)
    assert repr(s).endswith("closed>")
