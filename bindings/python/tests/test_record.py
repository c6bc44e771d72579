"""record=: a session's conversation written to a file, secrets redacted, that mx-sim --replay
serves back to the same calls."""

import base64
import uuid
from pathlib import Path
from typing import Callable

import pytest

import monosync_exchange as mx
from conftest import ADMIN_PW, Sim

SECRET = "Rec0rded!Passw0rd"


def encodings(secret: str) -> list[bytes]:
    out = []
    for raw in (secret.encode(), secret.encode("utf-16-le")):
        out += [raw, base64.b64encode(raw).rstrip(b"="), raw.hex().encode(), raw.hex().upper().encode()]
    return out


def test_a_recorded_session_replays_to_the_same_results(
    sim: Sim, make_sim: Callable[..., Sim], tmp_path: Path
) -> None:
    path = tmp_path / "session.yml"
    name = f"rec-{uuid.uuid4().hex[:8]}"

    def calls(s: mx.Session) -> list[object]:
        created = s.invoke(
            "New-Mailbox",
            Name=name,
            UserPrincipalName=f"{name}@contoso.com",
            Password=mx.SecureString(SECRET),
        ).raise_for_errors()
        read = s.invoke("Get-Mailbox", Identity=f"{name}@contoso.com").raise_for_errors()
        return [created[0].Name, read[0].UserPrincipalName, read[0].RecipientTypeDetails]

    with sim.session(record=str(path)) as s:
        recorded = calls(s)
    data = path.read_bytes()
    assert data.startswith(b"# ") and b"\nmessages:\n- request: " in data
    for needle in encodings(SECRET) + encodings(ADMIN_PW):
        assert needle not in data

    replay = make_sim("--replay", str(path), "--fresh-ids")
    with replay.session() as s:
        assert calls(s) == recorded
    replay.stop()


def test_record_is_off_by_default_and_a_bad_path_is_a_config_error(
    sim: Sim, tmp_path: Path
) -> None:
    with sim.session() as s:
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(mx.ConfigError, match="no-such-dir"):
        sim.session(record=str(tmp_path / "no-such-dir" / "x.yml"))
