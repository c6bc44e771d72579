"""Runs every benchmark against mx-sim and prints (and writes) the table of ratios.

    python run.py --bin DIR --c-bench FILE [--tiny] [--out RESULTS.md]

``DIR`` holds the release ``mx-sim`` and ``mx-bench``; ``FILE`` is the built ``c_bench``. The
Python that runs this must have pypsrp and our module installed (``run.sh`` sees to it).
``--tiny`` runs every step at a size that takes seconds: the CI check that the harness runs.
Each step counts as passed when it produced its figures; the last line says how many did.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients.py"

FULL = dict(decode=10_000, calls=2000, bulk=[10_000, 100_000], pypsrp_bulk=[10_000], sims=10_000)
TINY = dict(decode=40, calls=20, bulk=[200, 400], pypsrp_bulk=[200], sims=200)


def proc_cpu(pid: int) -> float:
    """User plus system CPU seconds of process `pid` (USER_HZ is 100 on Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100.0
    except (OSError, IndexError, ValueError):
        return 0.0


class Sim:
    """mx-sim in its own process, with its request log in a file."""

    def __init__(self, binary: Path, recipients: int, workdir: Path):
        for attempt in (1, 2):
            self._start(binary, recipients, workdir)
            if self._answers():
                return
            code = self.proc.poll()
            print(
                f"mx-sim at {self.url} does not accept connections (exit status {code}); "
                + ("starting another" if attempt == 1 else "giving up"),
                file=sys.stderr,
            )
            self.stop()
        raise SystemExit("mx-sim does not accept connections")

    def _answers(self) -> bool:
        """Whether the simulator's port takes a TCP connection, within 5 s."""
        host_port = self.url.split("//", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
        return False

    def _start(self, binary: Path, recipients: int, workdir: Path) -> None:
        self.log = workdir / f"sim-{recipients}-{time.monotonic_ns()}.jsonl"
        self.proc = subprocess.Popen(
            [str(binary), "--listen", "127.0.0.1:0", "--generate", str(recipients), "--log", str(self.log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = None
        for line in self.proc.stdout:
            if line.startswith("Exchange endpoint: "):
                self.url = line.split(": ", 1)[1].strip()
                break
        if self.url is None:
            raise SystemExit("mx-sim did not print its endpoint")
        # Keep draining: a full pipe would block the simulator's next print.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def entries(self, start_ms: int, end_ms: int) -> list[dict]:
        """Log entries of requests that arrived within [start_ms, end_ms]."""
        out = []
        with open(self.log) as f:
            for line in f:
                e = json.loads(line)
                if start_ms <= e["at_ms"] <= end_ms:
                    out.append(e)
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.unlink(missing_ok=True)


class Runner:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, what: str, argv: list[str], sim: Sim | None = None, env=None) -> dict | None:
        """Runs one client; its JSON figures, plus the simulator's CPU seconds meanwhile."""
        print(f"-- {what}", file=sys.stderr, flush=True)
        cpu = sim.cpu() if sim else 0.0
        started = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - started
        lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        if proc.returncode != 0 or not lines:
            self.failed += 1
            print(f"FAILED {what} (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr)
            return None
        self.passed += 1
        figures = json.loads(lines[-1])
        figures["process_wall_s"] = elapsed
        if sim:
            figures["sim_cpu_s"] = sim.cpu() - cpu
        return figures


def requests_in(sim: Sim, f: dict, phase: str) -> tuple[int, int]:
    """HTTP requests and WS-Management operations (auth-only legs excluded) of a phase."""
    entries = sim.entries(f[f"{phase}_start_ms"], f[f"{phase}_end_ms"])
    return len(entries), sum(1 for e in entries if e["operation"] != "Auth")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem_gib = kib / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        from importlib.metadata import version

        pypsrp = version("pypsrp")
    except Exception:
        pypsrp = "?"
    return (
        f"{model}, {os.cpu_count()} CPUs (shared with other jobs), {mem_gib:.0f} GiB RAM, "
        f"Linux {platform.release()}; {rustc}; Python {platform.python_version()}, pypsrp {pypsrp}"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, type=Path)
    p.add_argument("--c-bench", required=True, type=Path)
    p.add_argument("--lib-dir", type=Path)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    size = TINY if a.tiny else FULL
    sim_bin, bench = a.bin / "mx-sim", a.bin / "mx-bench"
    py = sys.executable
    r = Runner()
    rows: list[str] = []
    notes: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="mx-bench-"))

    # 1. Decode.
    stream = work / "stream.bin"
    ours = r.run("decode: ours, quick-xml", [str(bench), "decode", "--objects", str(size["decode"]), "--write", str(stream)])
    theirs = r.run("decode: pypsrp", [py, str(CLIENTS), "decode", str(stream)]) if ours else None
    stream.unlink(missing_ok=True)
    if ours:
        mb, n = ours["bytes"] / 1e6, ours["objects"]
        rows.append(f"| **1. Decode** {n} Get-Mailbox objects, {mb:.1f} MB | | | | |")
        rows.append("| | MB/s (wall) | objects/s (wall) | objects/s per CPU s | vs pypsrp (CPU) |")
        line = lambda name, w, c, ref: f"| {name} | {mb / w:.1f} | {n / w:,.0f} | {n / c if c else 0:,.0f} | {ratio(ref, c) if ref else ''} |"
        pc = theirs["pypsrp_cpu_s"] if theirs else None
        rows.append(line("ours (clixml::from_slice)", ours["ours_wall_s"], ours["ours_cpu_s"], pc))
        rows.append(line("quick-xml tokenization (ceiling)", ours["quickxml_wall_s"], ours["quickxml_cpu_s"], pc))
        if theirs:
            rows.append(line("pypsrp Serializer.deserialize", theirs["pypsrp_wall_s"], theirs["pypsrp_cpu_s"], pc))

    # 2, 3, 5, 6: one simulator.
    sim = Sim(sim_bin, size["sims"], work)
    calls = str(size["calls"])
    lib_env = dict(os.environ)
    if a.lib_dir:
        lib_env["LD_LIBRARY_PATH"] = str(a.lib_dir)
    results = {
        "ours (Rust, async Session)": r.run("calls: ours", [str(bench), "calls", sim.url, "--calls", calls], sim),
        "pypsrp": r.run("calls: pypsrp", [py, str(CLIENTS), "calls", "pypsrp", sim.url, "--calls", calls], sim),
        "pypsrp, each pipeline closed (ps.close())": r.run("calls: pypsrp closed", [py, str(CLIENTS), "calls", "pypsrp-closed", sim.url, "--calls", calls], sim),
        "ours, BlockingSession (Rust)": r.run("calls: ours blocking", [str(bench), "blocking-calls", sim.url, "--calls", calls], sim),
        "ours, Python module": r.run("calls: Python module", [py, str(CLIENTS), "calls", "module", sim.url, "--calls", calls], sim),
        "ours, C library (c_bench)": r.run("calls: C", [str(a.c_bench), sim.url, calls], sim, env=lib_env),
    }
    conc = r.run("concurrent: ours, 8 sessions", [str(bench), "concurrent", sim.url, "--sessions", "8", "--calls", calls], sim)
    trips = {k: (requests_in(sim, f, "open"), requests_in(sim, f, "calls")) for k, f in results.items() if f}
    sim.stop()

    ours, theirs = results["ours (Rust, async Session)"], results["pypsrp"]
    rows.append("| **2. Session open** (NTLM, sealed HTTP) | HTTP requests | WS-Man operations | wall ms | client CPU ms |")
    for name in ("ours (Rust, async Session)", "pypsrp"):
        f = results[name]
        if f:
            (h, w), _ = trips[name]
            rows.append(f"| {name} | {h} | {w} | {f['open_wall_s'] * 1e3:.1f} | {f['open_cpu_s'] * 1e3:.0f} |")

    rows.append(f"| **3. Cmdlet throughput** {calls} × Get-Mailbox -Identity | cmdlets/s (wall) | HTTP requests per cmdlet | client CPU ms per cmdlet | mx-sim CPU ms per cmdlet |")
    for name in ("ours (Rust, async Session)", "pypsrp", "pypsrp, each pipeline closed (ps.close())"):
        f = results[name]
        if f:
            _, (h, _) = trips[name]
            n = f["calls"]
            rows.append(
                f"| {name} | {n / f['calls_wall_s']:,.1f} | {h / n:.2f} | {f['calls_cpu_s'] * 1e3 / n:.2f} | {f['sim_cpu_s'] * 1e3 / n:.2f} |"
            )
    if ours and theirs:
        rows.append(
            f"| ours vs pypsrp | {ratio(theirs['calls_wall_s'], ours['calls_wall_s'])} | | {ratio(theirs['calls_cpu_s'], ours['calls_cpu_s'])} less CPU | |"
        )

    # 4. Bulk, each size on its own simulator so the log and memory are its own.
    rows.append("| **4. Bulk read** Get-Mailbox -ResultSize Unlimited | objects | wall s (objects/s) | client CPU s | client peak RSS MiB (before the stream) |")
    for recipients in size["bulk"]:
        sim = Sim(sim_bin, recipients, work)
        f = r.run(f"bulk {recipients}: ours", [str(bench), "bulk", sim.url], sim)
        if f:
            rows.append(
                f"| ours (streaming), {recipients:,} recipients | {f['objects']:,} | {f['bulk_wall_s']:.1f} ({f['objects'] / f['bulk_wall_s']:,.0f}) | {f['bulk_cpu_s']:.1f} | {f['peak_rss_kib'] / 1024:.1f} ({f['rss_before_kib'] / 1024:.1f}) |"
            )
            notes.append(f"bulk {recipients}: mx-sim used {f['sim_cpu_s']:.1f} CPU s")
        if recipients in size["pypsrp_bulk"]:
            f = r.run(f"bulk {recipients}: pypsrp", [py, str(CLIENTS), "bulk", "pypsrp", sim.url], sim)
            if f:
                rows.append(
                    f"| pypsrp (invoke collects), {recipients:,} recipients | {f['objects']:,} | {f['bulk_wall_s']:.1f} ({f['objects'] / f['bulk_wall_s']:,.0f}) | {f['bulk_cpu_s']:.1f} | {f['peak_rss_kib'] / 1024:.1f} ({f['rss_before_kib'] / 1024:.1f}) |"
                )
        sim.stop()

    rows.append("| **5. Concurrency** 8 pooled sessions | cmdlets/s (wall) | vs one session | client CPU ms per cmdlet | mx-sim CPU ms per cmdlet |")
    if conc and ours:
        n = conc["calls"]
        rows.append(
            f"| ours, Pool of 8, {n} calls | {n / conc['calls_wall_s']:,.1f} | {ratio(ours['calls_wall_s'] / ours['calls'], conc['calls_wall_s'] / n)} | {conc['calls_cpu_s'] * 1e3 / n:.2f} | {conc['sim_cpu_s'] * 1e3 / n:.2f} |"
        )

    rows.append(f"| **6. Binding overhead** {calls} × Get-Mailbox -Identity | cmdlets/s (wall) | client CPU ms per cmdlet | CPU vs Rust async | HTTP requests per cmdlet |")
    base = ours["calls_cpu_s"] / ours["calls"] if ours else None
    for name in ("ours (Rust, async Session)", "ours, BlockingSession (Rust)", "ours, Python module", "ours, C library (c_bench)"):
        f = results[name]
        if f:
            n = f["calls"]
            cpu = f["calls_cpu_s"] / n
            _, (h, _) = trips[name]
            rows.append(
                f"| {name} | {n / f['calls_wall_s']:,.1f} | {cpu * 1e3:.2f} | {ratio(cpu, base) if base else ''} | {h / n:.2f} |"
            )

    table = "\n".join(rows)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        f"Run {when} on {machine()}.\n\n"
        "Wall times include waiting for mx-sim, which runs on the same machine; CPU times are the\n"
        "client process's own (user + system). Request counts come from mx-sim's request log.\n\n"
        "| | | | | |\n|---|---|---|---|---|\n" + table + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    )
    print(report)
    if a.out:
        a.out.write_text(
            "# Benchmark results\n\n"
            "Written by `bench/run.sh` (the harness: `bench/run.py`, `bench/clients.py`, `bench/c_bench.c`,\n"
            "the `mx-bench` binary). Ours and pypsrp run the same work against the same mx-sim in one run.\n\n"
            + report
        )
    shutil.rmtree(work, ignore_errors=True)
    print(f"{r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
