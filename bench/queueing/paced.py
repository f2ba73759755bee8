"""The paced phases of run.py: 180 ticket machines and 20 windows with think time, in one asyncio process.

Same model as the wrk scripts (bench/wrk/queue_ticket.lua, queue_window.lua): each client thinks for an
exponential time (mean ``think_ms``), sends its request on its own keep-alive connection, waits for the
answer and thinks again; 10 % of tickets carry a priority reason; a window calls the next ticket, then
finishes the one it got. One difference, the reason this exists: **a client connects when its first
request is due**, after its first think time. wrk connects every client at once and then either sends
every first request at once (a burst of 200 that the first half second of the phase queues behind) or
leaves the connections silent, and gunicorn's threaded worker gives each new silent connection a thread
for up to 5 s (gthread.DEFAULT_WORKER_DATA_TIMEOUT). Either way the phase's p95 measured the start of the
phase, not the load: at 0.1 of the floor, p95 257–535 ms against a p50 of 7–9 ms. Behind nginx
(docs/deploy.md) gunicorn never sees a silent connection, and a hall's kiosks do not all connect in the
same millisecond.

**The first seconds are a warm-up, reported apart** (``warmup``, and as negative seconds in the timeline):
the 200 clients make their first requests, and so open their 200 connections, within the first few think
times, a burst a hall never sees (its kiosks and workbenches stay connected all day). In the paced phases at
0.4 of the floor of 2026-11-27, the first two seconds alone held 0–4 % of all requests over 50 ms, up to half
of the 5 % a p95 allows. The warm-up lasts ``max(3 s, 3 think times)``, by which 95 % of the clients have
connected; the phase's figures are the requests sent after it, for ``seconds``.

Latencies are wall-clock per request (send to last byte); a 4xx/5xx or a broken connection is an error.
The driver's own CPU is reported (it shares the 2 cores with the server), and a per-second timeline
(requests, slowest, how many over 50 ms) shows stalls that a p95 cannot tell from general slowness.
A response saying ``Connection: close`` closes the client's side at once, as browsers and nginx do: until
2026-11-27 the driver kept such a connection, and gunicorn 27's threaded worker waited up to 2 s on its
event loop for it to close (docs/deploy.md, section 4), which showed as 2-second stalls at 0.1 of the floor.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import random
import re
import time
from typing import Any

_ID = re.compile(rb'"ticket"\s*:\s*\{[^}]*?"id"\s*:\s*(\d+)')
_BUSY = re.compile(rb'"ticket_id"\s*:\s*(\d+)')


class _Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for line in lines[1:]:
            name = line[:15].lower()
            if name == b"content-length:":
                length = int(line[15:])
            elif name[:11] == b"connection:" and line[11:].strip().lower() == b"close":
                close = True
        answer = await self.reader.readexactly(length) if length else b""
        if close:  # as a browser or nginx does; the next request connects again
            self.close()
        return status, answer

    async def timed_post(self, path: str, body: bytes, headers: str = "") -> tuple[int, bytes, float] | None:
        """:meth:`post` and its wall time; None if the connection broke (the next call reconnects)."""
        t = time.perf_counter()
        try:
            status, answer = await self.post(path, body, headers)
        except (OSError, asyncio.IncompleteReadError):
            self.close()
            return None
        return status, answer, time.perf_counter() - t

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _summary(samples: list[float], errors: int, wall: float) -> dict[str, Any]:
    lat = sorted(samples)
    n = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(n - 1, int(n * p))] * 1000, 1) if n else 0.0

    return {
        "n": n,
        "per_s": round(n / wall, 1),
        "errors": errors,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


def warmup_seconds(think_ms: float) -> float:
    """How long the clients run before their requests count: 3 think times (95 % have connected), at least 3 s."""
    return max(3.0, 3 * think_ms / 1000)


async def _run(
    port: int, seconds: float, kiosks: int, windows: list[tuple[int, str]], think_ms: float, center: str
) -> dict[str, Any]:
    think_s = think_ms / 1000
    warmup = warmup_seconds(think_ms)
    started_at = time.time() + warmup  # to line the timeline up with the server's and the database's own logs
    start = time.perf_counter()
    measured_from = start + warmup
    end = measured_from + seconds
    # [0]: requests sent after the warm-up (the phase's figures), [1]: during it
    tickets: tuple[list[float], list[float]] = ([], [])
    calls: tuple[list[float], list[float]] = ([], [])
    errors = {"tickets": [0, 0], "calls": [0, 0]}
    # second in which a request ended, counted from the end of the warm-up (negative: during it) -> latencies
    seconds_seen: dict[int, list[float]] = {}

    def seen(took: float) -> None:
        seconds_seen.setdefault(math.floor(time.perf_counter() - measured_from), []).append(took)

    async def think() -> bool:
        """Wait one think time (never past the end of the phase); False when the phase is over."""
        await asyncio.sleep(min(random.expovariate(1 / think_s), max(0.0, end - time.perf_counter())))
        return time.perf_counter() < end

    async def kiosk() -> None:
        conn = _Conn(port)
        try:
            while await think():
                body = (
                    b'{"queue":"A","priority_reason":"military"}'
                    if random.random() < 0.1
                    else b'{"queue":"A"}'
                )
                warm = int(time.perf_counter() < measured_from)
                answer = await conn.timed_post(f"/api/v1/centers/{center}/tickets", body)
                if answer is None:
                    errors["tickets"][warm] += 1
                    continue
                status, _, took = answer
                tickets[warm].append(took)
                seen(took)
                if status >= 400:
                    errors["tickets"][warm] += 1
        finally:
            conn.close()

    async def window(window_id: int, token: str) -> None:
        conn = _Conn(port)
        auth = f"Authorization: Bearer {token}\r\n"
        held: bytes | None = None
        try:
            while await think():
                path = (
                    f"/api/v1/tickets/{held.decode()}/finish"
                    if held
                    else f"/api/v1/windows/{window_id}/call-next"
                )
                warm = int(time.perf_counter() < measured_from)
                answer = await conn.timed_post(path, b"{}", auth)
                if answer is None:
                    errors["calls"][warm] += 1
                    continue
                status, body, took = answer
                calls[warm].append(took)
                seen(took)
                if held:
                    held = None
                elif status == 200:
                    found = _ID.search(body)
                    held = found.group(1) if found else None
                elif status == 409:  # window busy: still holding a ticket
                    found = _BUSY.search(body)
                    held = found.group(1) if found else None
                if status >= 400 and status != 409:
                    errors["calls"][warm] += 1
        finally:
            conn.close()

    cpu = time.process_time()
    await asyncio.gather(*(kiosk() for _ in range(kiosks)), *(window(w, t) for w, t in windows))
    wall = time.perf_counter() - measured_from
    out_t = _summary(tickets[0], errors["tickets"][0], wall)
    out_w = _summary(calls[0], errors["calls"][0], wall)
    return {
        "ops_per_s": round((out_t["n"] + out_w["n"]) / wall, 1),
        "errors": errors["tickets"][0] + errors["calls"][0],
        "p95_ms": max(out_t["p95_ms"], out_w["p95_ms"]),
        "tickets": out_t,
        "window calls (call-next + finish)": out_w,
        "warmup": {
            "seconds": warmup,
            "tickets": _summary(tickets[1], errors["tickets"][1], warmup),
            "window calls (call-next + finish)": _summary(calls[1], errors["calls"][1], warmup),
        },
        "driver_cpu_s": round(time.process_time() - cpu, 2),
        "started_at": time.strftime("%H:%M:%S", time.gmtime(started_at))
        + f".{int(started_at % 1 * 1000):03d} UTC",
        # per second of the phase (negative: the warm-up): requests answered, the slowest in ms, how many took
        # over 50 ms. A stall (a collection, a checkpoint, the driver starved of CPU) shows as one or two
        # seconds here, where the p95 alone cannot tell it from a server that is slow throughout.
        "timeline": [
            [second, len(lat), round(max(lat) * 1000, 1), sum(x > 0.05 for x in lat)]
            for second, lat in sorted(seconds_seen.items())
        ],
    }


def paced_phase(
    port: int, seconds: float, kiosks: int, windows: list[tuple[int, str]], think_ms: float, center: str
) -> dict[str, Any]:
    # No cyclic collection during the phase: this process has Django and the project loaded (run.py's
    # setup), and a full collection of that heap takes ~75 ms (measured here), during which the event loop
    # would stand still and every request in flight would count it as latency. What a phase allocates is
    # small and freed by reference counting.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return asyncio.run(_run(port, seconds, kiosks, windows, think_ms, center))
    finally:
        gc.enable()
        gc.unfreeze()


if __name__ == "__main__":  # a quick look against a running server: paced.py PORT SECONDS THINK_MS
    import sys

    print(
        json.dumps(paced_phase(int(sys.argv[1]), float(sys.argv[2]), 180, [], float(sys.argv[3]), "BENCH-Q"))
    )
