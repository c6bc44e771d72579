"""The Python side of the benchmarks: pypsrp (from PyPI) and our Python module on the same
work as ``mx-bench``, each result one JSON line on stdout, in the same fields.

    python clients.py decode FILE                       pypsrp's deserializer
    python clients.py calls pypsrp|pypsrp-closed|module URL [--calls N] [--identity ID]
    python clients.py bulk pypsrp URL

``FILE`` holds the messages ``mx-bench decode --write`` wrote: (u32 LE length, CLIXML) records.
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import time
import urllib.parse

USER = "Administrator"
PASSWORD = "P@ssw0rd!"


class Phase:
    """Wall and CPU seconds of a phase, and its window on mx-sim's request-log clock."""

    def __enter__(self) -> "Phase":
        # Requests of the previous phase must not share the log's millisecond with this one.
        time.sleep(0.005)
        self.start_ms = int(time.time() * 1000)
        self.cpu0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.end_ms = int(time.time() * 1000)
        time.sleep(0.005)

    def into(self, name: str, out: dict) -> None:
        out[f"{name}_wall_s"] = self.wall
        out[f"{name}_cpu_s"] = self.cpu
        out[f"{name}_start_ms"] = self.start_ms
        out[f"{name}_end_ms"] = self.end_ms


def peak_rss_kib() -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def read_messages(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        data = f.read()
    messages, at = [], 0
    while at + 4 <= len(data):
        (length,) = struct.unpack_from("<I", data, at)
        messages.append(data[at + 4 : at + 4 + length])
        at += 4 + length
    return messages


def decode(path: str, passes: int) -> dict:
    from pypsrp._utils import to_string
    from pypsrp.serializer import Serializer

    messages = read_messages(path)
    serializer = Serializer()
    first = serializer.deserialize(to_string(messages[0]))
    if first.adapted_properties.get("RecipientTypeDetails") != "UserMailbox":
        raise SystemExit("pypsrp decoded the first object differently")
    best = None
    for _ in range(passes):
        with Phase() as phase:
            # What pypsrp's Message.unpack does with a PIPELINE_OUTPUT body.
            for m in messages:
                serializer.deserialize(to_string(m))
        if best is None or phase.wall < best.wall:
            best = phase
    return {
        "bench": "decode",
        "objects": len(messages),
        "bytes": sum(map(len, messages)),
        "pypsrp_wall_s": best.wall,
        "pypsrp_cpu_s": best.cpu,
    }


def pypsrp_pool(url: str):
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    parts = urllib.parse.urlsplit(url)
    wsman = WSMan(
        parts.hostname,
        port=parts.port,
        path=parts.path.strip("/"),
        ssl=parts.scheme == "https",
        auth="ntlm",
        encryption="always",
        username=USER,
        password=PASSWORD,
        operation_timeout=20,
        read_timeout=60,
    )
    return RunspacePool(wsman, configuration_name="Microsoft.Exchange")


def pypsrp_calls(url: str, calls: int, identity: str, close: bool = False) -> dict:
    """``close``: end each pipeline on the server (``ps.close()``, a Signal terminate), as we
    and PowerShell do; without it Windows keeps every command until the shell fails."""
    from pypsrp.powershell import PowerShell

    out: dict = {"bench": "calls", "calls": calls}
    pool = pypsrp_pool(url)
    with Phase() as phase:
        pool.open()
    phase.into("open", out)
    with Phase() as phase:
        for _ in range(calls):
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", identity)
            output = ps.invoke()
            if len(output) != 1 or ps.had_errors:
                raise SystemExit(f"Get-Mailbox gave {len(output)} objects")
            if close:
                ps.close()
    phase.into("calls", out)
    pool.close()
    return out


def module_calls(url: str, calls: int, identity: str) -> dict:
    import monosync_exchange as mx

    out: dict = {"bench": "calls", "calls": calls}
    with Phase() as phase:
        session = mx.Session(
            url, auth="ntlm", username=f"CONTOSO\\{USER}", password=mx.SecureString(PASSWORD)
        )
    phase.into("open", out)
    with Phase() as phase:
        for _ in range(calls):
            result = session.invoke("Get-Mailbox", Identity=identity)
            if len(result) != 1 or result.errors:
                raise SystemExit(f"Get-Mailbox gave {len(result)} objects")
            # Reach a property, as a caller would: the object is converted by then.
            result[0].Name
    phase.into("calls", out)
    session.close()
    return out


def pypsrp_bulk(url: str) -> dict:
    from pypsrp.powershell import PowerShell

    out: dict = {"bench": "bulk"}
    pool = pypsrp_pool(url)
    pool.open()
    out["rss_before_kib"] = peak_rss_kib()
    with Phase() as phase:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited")
        # pypsrp has no streaming call: invoke() collects every object.
        output = ps.invoke()
        named = sum(1 for o in output if o.adapted_properties.get("Name"))
    phase.into("bulk", out)
    out["objects"] = len(output)
    out["peak_rss_kib"] = peak_rss_kib()
    if named != len(output):
        raise SystemExit(f"{len(output)} objects, {named} with a Name")
    pool.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", choices=["decode", "calls", "bulk"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--identity", default="Administrator")
    a = parser.parse_args()
    if a.bench == "decode":
        figures = decode(a.args[0], a.passes)
    elif a.bench == "calls":
        client, url = a.args
        run = {
            "pypsrp": pypsrp_calls,
            "pypsrp-closed": lambda *args: pypsrp_calls(*args, close=True),
            "module": module_calls,
        }[client]
        figures = run(url, a.calls, a.identity)
        figures["client"] = client
    else:
        figures = pypsrp_bulk(a.args[-1])
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
