"""Call → display latency across app processes, through Redis pub/sub and Server-Sent Events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_x TONGBAN_DEMO=1 \\
        .venv/bin/python bench/queueing/display_latency.py --calls 30

Starts gunicorn with ``--workers 4`` (four processes) and ``USE_REDIS=1``, opens the display's
event stream (one process holds it), then has a clerk call tickets through the API (other
processes answer) and times each call from sending the request to the ``call`` message arriving
on the stream.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

import run  # same folder: setup(), Client


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--port", type=int, default=8194)
    args = ap.parse_args()
    os.environ["USE_REDIS"] = "1"
    windows = run.setup(1)
    from tongban.catalog.models import Center
    from tongban.queueing.services import ticket_issue

    center = Center.objects.get(code=run.CENTER)
    for _ in range(args.calls):
        ticket_issue(center=center, queue="A")
    env = {
        **os.environ,
        "PYTHONPATH": f"{run.ROOT / 'src'}:{run.HERE}",
        "TONGBAN_DEBUG": "0",
        "TONGBAN_LOG_LEVEL": "WARNING",
        "USE_REDIS": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tongban.conf.wsgi:application",
            "-b",
            f"127.0.0.1:{args.port}",
            "-w",
            "4",
            "-k",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=str(run.ROOT),
    )
    arrivals: list[float] = []
    got = threading.Condition()
    stream = None
    try:
        for _ in range(300):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        stream = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        stream.request("GET", f"/queue/display/{run.CENTER}/events")
        resp = stream.getresponse()

        def read() -> None:
            try:
                for raw in resp:
                    line = raw.decode().strip()
                    if line.startswith("data:") and '"call"' in line:
                        with got:
                            arrivals.append(time.perf_counter())
                            got.notify_all()
            except (AttributeError, OSError, http.client.HTTPException):
                return  # the stream was closed at the end of the run

        threading.Thread(target=read, daemon=True).start()
        time.sleep(1)
        client = run.Client(args.port)
        window_id, token = windows[0]
        latencies = []
        for i in range(args.calls):
            t = time.perf_counter()
            status, body = client.post(f"/api/v1/windows/{window_id}/call-next", token=token)
            assert status == 200, (status, body)
            with got:
                got.wait_for(lambda i=i: len(arrivals) > i, timeout=5)
            latencies.append((arrivals[i] - t) * 1000 if len(arrivals) > i else float("inf"))
            ticket = json.loads(body)["ticket"]["id"]
            client.post(f"/api/v1/tickets/{ticket}/finish", token=token)
        latencies.sort()
        print(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "processes": 4,
                    "calls": len(latencies),
                    "p50_ms": round(latencies[len(latencies) // 2], 1),
                    "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
                    "max_ms": round(latencies[-1], 1),
                    "missed": sum(1 for x in latencies if x == float("inf")),
                },
                indent=2,
            )
        )
    finally:
        if stream is not None:
            stream.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:  # a worker still holding a stream: its graceful timeout
            server.kill()
            server.wait(15)


if __name__ == "__main__":
    main()
