"""Sessions shared between threads, the GIL released during network waits, cancel from
another thread, and the context manager closing the shell."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

import monosync_exchange as mx
from conftest import Sim, delay


def test_one_session_serves_eight_threads(sim: Sim) -> None:
    names = ["justin.martin", "Administrator", "ryan.allen"]
    with sim.session() as s:
        shells_before = sim.operations().count("Create")

        def work(i: int) -> list[str]:
            got = []
            for _ in range(5):
                r = s.invoke("Get-User", Identity=names[i % len(names)])
                got.append(r[0].SamAccountName)
            return got

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
        for i, got in enumerate(results):
            assert got == [names[i % len(names)]] * 5
        # One shell served all 40 calls.
        assert sim.operations().count("Create") == shells_before


def test_the_gil_is_released_while_waiting_for_the_server(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim(faults=delay("Receive", 2, 1500))
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    with sim.session() as s:
        counter = threading.Thread(target=count)
        counter.start()
        started = time.monotonic()
        s.invoke("Get-User", Identity="justin.martin")
        took = time.monotonic() - started
        stop.set()
        counter.join()
    assert took >= 1.4
    # Had the GIL been held for the 1.5 s wait, the counter could not have run.
    assert ticks > 300, ticks


def test_cancel_from_another_thread_stops_invoke(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim(faults=delay("Receive", 2, 10_000))
    with sim.session() as s:
        threading.Timer(0.3, s.cancel).start()
        started = time.monotonic()
        with pytest.raises(mx.CancelledError) as info:
            s.invoke("Get-User", Identity="justin.martin")
        assert time.monotonic() - started < 8, "the cancel did not wait for the delayed Receive"
        assert info.value.kind == mx.ErrorKind.Cancelled
        assert "Signal" in sim.operations(), "the command was stopped on the server"
        # The session is usable afterwards.
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1


def test_cancel_from_another_thread_stops_a_stream(make_sim: Callable[..., Sim]) -> None:
    # The second Receive of the stream is held, so the reader waits mid-stream.
    sim = make_sim(faults=delay("Receive", 3, 10_000))
    with sim.session() as s:
        stream = s.stream("Get-User", ResultSize="Unlimited")
        first = next(stream)
        assert isinstance(first, mx.PSObject)
        threading.Timer(0.3, s.cancel).start()
        started = time.monotonic()
        with pytest.raises(mx.CancelledError):
            for _ in stream:
                pass
        assert time.monotonic() - started < 8
        assert stream.state is None or stream.state == "Stopped"
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1


def test_a_second_thread_waits_for_a_stream_being_read(sim: Sim) -> None:
    with sim.session() as s:
        stream = s.stream("Get-User", ResultSize="Unlimited")
        got: list[int] = []
        other = threading.Thread(
            target=lambda: got.append(len(s.invoke("Get-User", Identity="justin.martin")))
        )
        other.start()
        count = sum(1 for _ in stream)
        other.join(timeout=30)
        assert not other.is_alive()
        assert count > 200 and got == [1]


def test_breaking_out_of_a_stream_frees_the_session(sim: Sim) -> None:
    with sim.session() as s:
        for i, _ in enumerate(s.stream("Get-User", ResultSize="Unlimited")):
            if i == 3:
                break
        # The abandoned command is ended before this one runs.
        assert len(s.invoke("Get-User", Identity="justin.martin")) == 1


def test_context_manager_closes_the_shell(sim: Sim) -> None:
    deletes = sim.operations().count("Delete")
    with sim.session() as s:
        s.invoke("Get-User", Identity="justin.martin")
        assert not s.closed
    assert s.closed
    assert sim.operations().count("Delete") == deletes + 1
    with pytest.raises(mx.ConfigError):
        s.invoke("Get-User", Identity="justin.martin")
    s.close()  # closing twice is allowed
    # An exception in the block still closes, and is not replaced.
    with pytest.raises(ZeroDivisionError):
        with sim.session() as s2:
            1 / 0  # noqa: B018
    assert s2.closed
    assert sim.operations().count("Delete") == deletes + 2


def test_closing_with_an_unread_stream_abandons_it(sim: Sim) -> None:
    deletes = sim.operations().count("Delete")
    s = sim.session()
    stream = s.stream("Get-User", ResultSize="Unlimited")
    next(stream)
    s.close()
    assert sim.operations().count("Delete") == deletes + 1
    assert list(stream) == []
