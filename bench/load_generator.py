"""HTTP load for the API benchmarks: Debian's `wrk` (C, cheap) or a Python fallback.

On a 2-core machine the load generator competes with the server for CPU; wrk costs a
fraction of what a Python client does, so the figures say more about the server. When wrk
is missing (``make deps`` installs it) the Python client (httpx, asyncio, in a child
process) runs instead and every report names which one measured.

Requests are prepared up front as ``(path, headers, json body or None)``; wrk cycles
through them from a file (one per line) with the Lua script below.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["LoadResult", "Request", "generator_name", "run_load"]

Request = tuple[str, dict[str, str], dict[str, Any] | None]

# Each wrk thread takes every n-th prepared request and cycles through its share.
_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local reqs, idx, pace = {}, 0, 0
function init(args)
  local nthreads, path = tonumber(args[1]), args[2]
  pace = tonumber(args[3]) or 0
  math.randomseed(tid + 1)
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local method, url, key, body = line:match("^(%S+)\t(%S+)\t(%S*)\t(.*)$")
      local headers = {}
      if key ~= "" then headers["X-Gate-Key"] = key end
      if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
      reqs[#reqs + 1] = wrk.format(method, url, headers, body)
    end
    i = i + 1
  end
end
function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end
-- Paced runs: each connection waits a random 0..2*pace ms before its next request (a gate
-- does not fire back to back), so the offered rate is about connections / pace.
function delay()
  if pace <= 0 then return 0 end
  return math.random(0, 2 * pace)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKRESULT %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Throughput and latency of one load run (latencies in ms)."""

    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator: str

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def generator_name() -> str:
    """``wrk`` when installed, else ``python-httpx``."""
    return "wrk" if shutil.which("wrk") else "python-httpx"


def run_load(
    base_url: str,
    requests: list[Request],
    *,
    concurrency: int,
    seconds: float,
    threads: int = 2,
    pace_ms: int = 0,
) -> LoadResult:
    """Send `requests` round-robin with `concurrency` connections for `seconds`.

    `pace_ms` > 0 (wrk only): each connection waits a random 0..2*pace_ms ms between its
    requests, offering about ``concurrency * 1000 / pace_ms`` requests/s instead of as many
    as the server can answer; the latencies are then those at that rate.
    """
    if shutil.which("wrk"):
        return _run_wrk(base_url, requests, concurrency, seconds, threads, pace_ms)
    if pace_ms:
        raise RuntimeError("paced load needs wrk (make deps installs it)")
    batch = requests * max(1, int(seconds * 2000 // len(requests)) + 1)
    return _run_python(base_url, batch, concurrency, seconds=seconds)


def _run_wrk(
    base_url: str,
    requests: list[Request],
    concurrency: int,
    seconds: float,
    threads: int,
    pace_ms: int = 0,
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        script, lines = Path(tmp) / "load.lua", Path(tmp) / "requests.tsv"
        script.write_text(_LUA)
        with lines.open("w") as out:
            for path, headers, body in requests:
                method = "GET" if body is None else "POST"
                payload = "" if body is None else json.dumps(body, separators=(",", ":"))
                out.write(f"{method}\t{path}\t{headers.get('X-Gate-Key', '')}\t{payload}\n")
        threads = max(1, min(threads, concurrency))
        duration = max(1, round(seconds))
        done = subprocess.run(  # noqa: S603 (wrk from PATH, our own script)
            [
                shutil.which("wrk") or "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                base_url,
                "--",
                str(threads),
                str(lines),
                str(pace_ms),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    for line in done.stdout.splitlines():
        if line.startswith("WRKRESULT "):
            count, micros, status, sockets, p50, p95, p99 = map(int, line.split()[1:])
            return LoadResult(
                count, micros / 1e6, status, sockets, p50 / 1e3, p95 / 1e3, p99 / 1e3, "wrk"
            )
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


async def _hammer(
    base_url: str, requests: list[Request], concurrency: int, seconds: float
) -> tuple[list[float], float, int, int]:
    latencies: list[float] = []
    non_2xx = socket_errors = 0
    pending = list(reversed(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    deadline = started + seconds
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal non_2xx, socket_errors
            while pending and time.perf_counter() < deadline:
                path, headers, body = pending.pop()
                sent = time.perf_counter()
                try:
                    if body is None:
                        answer = await client.get(path, headers=headers)
                    else:
                        answer = await client.post(path, json=body, headers=headers)
                except httpx.TransportError:
                    socket_errors += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                non_2xx += not 200 <= answer.status_code < 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, non_2xx, socket_errors


def _hammer_in_child(args: tuple[Any, ...], results: Any) -> None:
    results.put(asyncio.run(_hammer(*args)))


def _run_python(
    base_url: str, requests: list[Request], concurrency: int, seconds: float
) -> LoadResult:
    # A child process, so that the client does not share the caller's GIL.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(
        target=_hammer_in_child, args=((base_url, requests, concurrency, seconds), results)
    )
    child.start()
    latencies, wall, non_2xx, socket_errors = results.get(timeout=1800)
    child.join(30)
    ordered = sorted(latencies) or [0.0]

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return LoadResult(
        len(latencies),
        wall,
        non_2xx,
        socket_errors,
        pct(0.5),
        pct(0.95),
        pct(0.99),
        "python-httpx",
    )
