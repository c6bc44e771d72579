"""Streaming 100,000 objects: time and peak memory, measured in a fresh interpreter so that
the peak RSS is the stream's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from conftest import ADMIN, ADMIN_PW, FIGURES, Sim

COUNT = int(os.environ.get("MX_STREAM_COUNT", "100000"))

# Runs in a child interpreter: streams every user once, and for each object times the two
# ways of reading it, lazily (two properties, converted on access) and eagerly (to_dict(),
# every property converted), then prints JSON figures.
CHILD = r"""
import json, resource, sys, time
import monosync_exchange as mx

url, user, password = sys.argv[1:4]
figures = {"count": 0, "names": 0, "keys": 0, "lazy": 0.0, "eager": 0.0}
with mx.Session(url, auth="ntlm", username=user, password=password, read_timeout=600) as s:
    started = time.perf_counter()
    for obj in s.stream("Get-User", ResultSize="Unlimited"):
        figures["count"] += 1
        t0 = time.perf_counter()
        if obj["SamAccountName"] and obj.WhenCreatedUTC.year > 2000:
            figures["names"] += 1
        t1 = time.perf_counter()
        figures["keys"] += len(obj.to_dict())
        figures["eager"] += time.perf_counter() - t1
        figures["lazy"] += t1 - t0
    figures["seconds"] = time.perf_counter() - started
figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(figures))
"""


def test_stream_100k_objects_in_bounded_memory(make_sim: Callable[..., Sim]) -> None:
    # About 91% of a generated organisation's recipients have a user object.
    sim = make_sim("--generate", str(COUNT * 111 // 100))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, sim.url, ADMIN, ADMIN_PW],
        capture_output=True,
        text=True,
        timeout=3000,
        check=True,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    count = figures["count"]
    assert count >= COUNT, figures
    assert figures["names"] == count
    assert figures["keys"] > count * 30
    # Streaming keeps memory flat: far below what holding every object would take.
    assert figures["peak_rss_mb"] < 400, figures
    FIGURES.append(
        f"stream of {count} users: {figures['seconds']:.1f} s, peak RSS "
        f"{figures['peak_rss_mb']:.0f} MB; per object {figures['lazy'] / count * 1e6:.1f} us "
        f"reading two properties (lazy), {figures['eager'] / count * 1e6:.1f} us for "
        f"to_dict() of all {figures['keys'] // count} (eager)"
    )
