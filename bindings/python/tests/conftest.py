"""Fixtures: mx-sim, the Exchange simulator, started as a process on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import monosync_exchange as mx

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "CONTOSO\\Administrator"
ADMIN_PW = "P@ssw0rd!"
#: Figures printed at the end of the run (timings, memory).
FIGURES: list[str] = []


def sim_binary() -> str:
    return os.environ.get("MX_SIM_BIN", str(ROOT / "target" / "debug" / "mx-sim"))


@dataclass
class Sim:
    """A running mx-sim."""

    process: subprocess.Popen[str]
    url: str
    log: Path
    stdout: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def operations(self) -> list[str]:
        """WS-Management operations in the request log, authentication legs left out."""
        ops = []
        for line in self.log.read_text().splitlines():
            entry = json.loads(line)
            if entry["operation"] != "Auth" and entry["status"] != 401:
                ops.append(entry["operation"])
        return ops

    def session(self, **options: object) -> mx.Session:
        options.setdefault("auth", "ntlm")
        options.setdefault("username", ADMIN)
        options.setdefault("password", ADMIN_PW)
        return mx.Session(self.url, **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.drain is not None:
            self.drain.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_sim(tmp: Path, *args: str, faults: object = None, https: bool = False) -> Sim:
    """Starts mx-sim on a free port and waits for it to print its endpoint URL."""
    log = tmp / "requests.jsonl"
    cmd = [sim_binary(), "--listen", "127.0.0.1:0", "--log", str(log), *args]
    if faults is not None:
        plan = tmp / "faults.json"
        plan.write_text(json.dumps(faults))
        cmd += ["--faults", str(plan)]
    if https:
        cmd.append("--https")
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    url = None
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Exchange endpoint:"):
            url = line.split(":", 1)[1].strip()
            break
    if url is None:
        process.kill()
        raise RuntimeError(f"mx-sim did not start: {lines}")
    # Keep draining stdout so the simulator never blocks on a full pipe.
    drain = threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True)
    drain.start()
    log.touch()
    return Sim(process, url, log, lines, drain)


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """One default simulator (the seeded 301-recipient organisation) for the whole run."""
    s = start_sim(tmp_path_factory.mktemp("sim"))
    yield s
    s.stop()


@pytest.fixture
def make_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Sim]]:
    """Starts simulators with their own options; all are stopped after the test."""
    started: list[Sim] = []

    def make(*args: str, faults: object = None, https: bool = False) -> Sim:
        s = start_sim(tmp_path_factory.mktemp("sim"), *args, faults=faults, https=https)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def session(sim: Sim) -> Iterator[mx.Session]:
    with sim.session() as s:
        yield s


def delay(operation: str, nth: int, ms: int) -> dict[str, object]:
    """A fault plan delaying the `nth` request of `operation` by `ms` milliseconds."""
    return {
        "rules": [
            {"operation": operation, "nth": nth, "count": 1, "action": {"kind": "delay", "ms": ms}}
        ]
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in FIGURES:
        terminalreporter.write_line(line)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The suite runs against the installed wheel, never the source tree.
    print(f"monosync_exchange {mx.__version__} from {Path(mx.__file__).parent}")
