"""Pool: failover past a dead server, many threads under the session cap, a stream cancelled
from another thread, jump-host mode over HTTPS, and a lost answer to a state change."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

import monosync_exchange as mx

from conftest import ADMIN, ADMIN_PW, Sim

JUSTIN = "justin.martin"


def pool(*servers: str, **options: object) -> mx.Pool:
    options.setdefault("auth", "ntlm")
    options.setdefault("username", ADMIN)
    options.setdefault("password", ADMIN_PW)
    return mx.Pool(list(servers), **options)  # type: ignore[arg-type]


def dead_url() -> str:
    """A URL where nothing listens: a port bound and released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/PowerShell/"


def log_entries(sim: Sim) -> list[dict[str, object]]:
    return [json.loads(line) for line in sim.log.read_text().splitlines()]


def peak_shells(sim: Sim) -> int:
    """The most shells alive at once by the request log: a shell counts from the arrival of
    its Create to the answer to its Delete."""
    events = []
    for e in log_entries(sim):
        if e["status"] != 200:
            continue
        if e["operation"] == "Create":
            events.append((e["at_ms"], 1))
        elif e["operation"] == "Delete":
            events.append((e["at_ms"] + e["latency_ms"], -1))  # type: ignore[operator]
    events.sort(key=lambda ev: (ev[0], ev[1]))
    live = peak = 0
    for _, delta in events:
        live += delta
        peak = max(peak, live)
    return peak


def count(sim: Sim, operation: str) -> int:
    return sum(1 for op in sim.operations() if op == operation)


def all_shells_deleted(sim: Sim) -> bool:
    """Whether every shell was deleted, waiting a little for those closed in the background
    (a cancelled stream's)."""
    for _ in range(250):
        if count(sim, "Create") == count(sim, "Delete"):
            return True
        time.sleep(0.02)
    return False


def test_a_pool_with_a_dead_first_server_answers(sim: Sim) -> None:
    with pool(dead_url(), sim.url, connect_timeout=5.0) as p:
        for _ in range(3):
            r = p.invoke("Get-Mailbox", Identity=JUSTIN)
            assert r[0]["SamAccountName"] == JUSTIN
        stats = p.stats
        assert stats["opened_per_server"] == [0, 1]
        assert stats["sessions"] == 1 and stats["retries"] == 0
        assert len(p.servers) == 2 and "PowerShell" in repr(p)
    assert p.closed
    with pytest.raises(mx.ConfigError):
        p.invoke("Get-Mailbox", Identity=JUSTIN)


def test_sixteen_threads_never_exceed_max_sessions(make_sim: Callable[..., Sim]) -> None:
    s = make_sim()
    answers: list[str] = []
    failures: list[BaseException] = []
    with pool(s.url, max_sessions=3) as p:

        def work() -> None:
            try:
                for _ in range(4):
                    answers.append(p.invoke("Get-Mailbox", Identity=JUSTIN)[0]["SamAccountName"])
            except BaseException as e:  # noqa: BLE001 - reported below
                failures.append(e)

        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        assert answers == [JUSTIN] * 64
        stats = p.stats
        assert 1 <= stats["opened"] <= 3 and stats["sessions"] <= 3, stats
    assert count(s, "Command") == 64
    assert 1 <= peak_shells(s) <= 3
    assert all_shells_deleted(s), "no shell left after close"


def test_a_pool_stream_cancelled_from_another_thread(make_sim: Callable[..., Sim]) -> None:
    s = make_sim("--generate", "1500")
    with pool(s.url, max_sessions=2) as p:
        expected = len(p.invoke("Get-Mailbox", ResultSize="Unlimited"))
        assert expected > 500
        stream = p.stream("Get-Mailbox", ResultSize="Unlimited")
        seen = 0
        with pytest.raises(mx.CancelledError):
            for mailbox in stream:
                assert mailbox["SamAccountName"]
                seen += 1
                if seen == 50:
                    threading.Thread(target=stream.cancel).start()
                if seen == 60:
                    # The pool's other session serves other calls meanwhile.
                    assert len(p.invoke("Get-Mailbox", Identity=JUSTIN)) <= 1
        assert 50 <= seen < expected
        assert p.stats["discarded"] == 1, "the cancelled stream's session was closed"
        # The pool stays usable: a stream read to its end.
        assert sum(1 for _ in p.stream("Get-Mailbox", ResultSize="Unlimited")) == expected
        stats = p.stats
        assert stats["sessions"] <= 2 and stats["retries"] == 0, stats
    assert all_shells_deleted(s)
    assert peak_shells(s) <= 2


def test_jump_host_over_https_for_a_session_and_a_pool(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(https=True)
    thumbprint = next(
        line.split(":", 1)[1].strip() for line in s.stdout if line.startswith("certificate SHA-1")
    )
    wsman = s.url.rsplit("/", 1)[0] + "/wsman"
    options: dict[str, object] = {
        "auth": "basic",
        "username": "Administrator",
        "password": ADMIN_PW,
        "pin_thumbprint": thumbprint,
        "jump_host": (
            "http://ex01.contoso.com/PowerShell/",
            mx.PSCredential("CONTOSO\\recipientadmin", "Recipients1!"),
        ),
    }
    with mx.Session(wsman, **options) as session:  # type: ignore[arg-type]
        assert session.invoke("Get-Mailbox", Identity=JUSTIN)[0]["SamAccountName"] == JUSTIN
    with mx.Pool([wsman], max_sessions=2, **options) as p:  # type: ignore[arg-type]
        r = p.invoke("Get-Mailbox", Identity=JUSTIN)
        assert r[0]["SamAccountName"] == JUSTIN
        assert [m["SamAccountName"] for m in p.stream("Get-Mailbox", Identity=JUSTIN)] == [JUSTIN]
        assert p.stats["opened"] == 1
    assert {e["path"] for e in log_entries(s)} == {"/wsman"}, "only /wsman is used"
    assert all_shells_deleted(s)

    with pytest.raises(mx.ConfigError, match="jump_host"):
        mx.Pool([wsman], auth="basic", username="a", password="b", jump_host="ex01")
    with pytest.raises(mx.ConfigError, match="not both"):
        mx.Pool(
            [wsman],
            auth="basic",
            username="a",
            password="b",
            configuration="Microsoft.PowerShell",
            jump_host=options["jump_host"],
        )


def test_a_lost_answer_to_a_state_change_is_outcome_unknown(
    make_sim: Callable[..., Sim],
) -> None:
    # Opening the session takes one Receive and the warm-up command one: the third is the
    # state change's, and its connection is dropped without an answer.
    drop = {"rules": [{"operation": "Receive", "nth": 3, "count": 1, "action": {"kind": "drop"}}]}
    s = make_sim(faults=drop)
    with pool(s.url, max_sessions=1) as p:
        assert len(p.invoke("Get-Mailbox", Identity=JUSTIN)) == 1
        with pytest.raises(mx.OutcomeUnknownError) as caught:
            p.invoke(
                "New-MailContact",
                Name="Pool Contact",
                ExternalEmailAddress="pool.contact@fabrikam.example",
            )
        assert caught.value.kind == mx.ErrorKind.OutcomeUnknown
        assert count(s, "Command") == 2, "the state change was never sent again"
        assert p.stats["retries"] == 0
        # The pool recovers: the contact is there, created exactly once.
        found = p.invoke("Get-MailContact", Identity="Pool Contact")
        assert len(found) == 1
