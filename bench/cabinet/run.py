"""Smart cabinet benchmark: code entry → `open` command received by a subscriber through Mosquitto.

    DATABASE_URL=postgres://… MQTT_URL=mqtt://127.0.0.1:1883 .venv/bin/python bench/cabinet/run.py \
        [--samples 200] [--occupied 40]

What one sample times: the keypad's HTTP request (``POST /api/v1/cabinets/<c>/pickup`` through the
full Django stack, in process) → the service verifies the code against the cabinet's live salted
hashes, locks, writes, audits, commits → the on-commit outbox publishes over MQTT → Mosquitto →
a separate subscriber client receives the command. The clock stops when the subscriber has it.
``occupied`` stored items sit in the cabinet the whole time (the candidates a code is checked
against). Production scrypt cost (n = 2**12) unless CABINET_CODE_SCRYPT_N is set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--occupied", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")
    os.environ.setdefault("MQTT_URL", "mqtt://127.0.0.1:1883")
    os.environ.setdefault("MQTT_TOPIC_PREFIX", f"tbbench-{os.getpid()}")
    os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import data
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tongban.cabinet import protocol
    from tongban.cabinet.transport.mqtt import MqttTransport

    call_command("migrate", verbosity=0)
    cabinet, clerk = data.make_cabinet(data.new_code())
    for n in range(args.occupied):
        data.store_item(cabinet, clerk, n)

    received: dict[str, float] = {}
    arrived = threading.Condition()

    def on_command(topic: str, payload: dict) -> None:
        with arrived:
            received[payload["request_id"]] = time.perf_counter()
            arrived.notify_all()

    subscriber = MqttTransport(os.environ["MQTT_URL"], client_id=f"bench-sub-{os.getpid()}")
    subscriber.subscribe(protocol.command_topic(cabinet.code), on_command)
    subscriber.start()
    time.sleep(0.3)

    client = Client(REMOTE_ADDR="10.9.9.9")
    url = f"/api/v1/cabinets/{cabinet.code}/pickup"
    latencies = []
    server_side = []
    floor_scrypt = []  # one production-cost scrypt, measured between samples: how loaded the CPU is
    floor_db = []  # one database round trip
    import hashlib

    from tongban.cabinet.conf import conf
    from tongban.cabinet.models import DeviceCommand

    for n in range(args.samples):
        code = data.store_item(cabinet, clerk, 1000 + n)  # a fresh item each time: the pool stays `occupied`
        t0 = time.perf_counter()
        response = client.post(url, {"code": code}, content_type="application/json")
        t_http = time.perf_counter()
        assert response.status_code == 200, response.content
        command = DeviceCommand.objects.filter(cabinet=cabinet, purpose="pickup").latest("id")
        rid = str(command.request_id)
        with arrived:
            arrived.wait_for(lambda rid=rid: rid in received, timeout=5)
        latencies.append((received[rid] - t0) * 1000)
        server_side.append((t_http - t0) * 1000)
        data.close_door(cabinet, command.compartment.number, rid)
        f0 = time.perf_counter()
        hashlib.scrypt(b"123456", salt=b"0" * 16, n=conf().scrypt_n, r=8, p=1, dklen=32)
        f1 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        f2 = time.perf_counter()
        floor_scrypt.append((f1 - f0) * 1000)
        floor_db.append((f2 - f1) * 1000)
    subscriber.stop()

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    report = {
        "database": connection.vendor,
        "samples": args.samples,
        "occupied": args.occupied,
        "code_entry_to_command_ms": {
            "p50": round(pct(latencies, 50), 1),
            "p95": round(pct(latencies, 95), 1),
            "max": round(max(latencies), 1),
            "mean": round(statistics.mean(latencies), 1),
        },
        "http_response_ms": {"p50": round(pct(server_side, 50), 1), "p95": round(pct(server_side, 95), 1)},
        "floor_scrypt_ms": {"p50": round(pct(floor_scrypt, 50), 1), "unloaded_reference": 13.1},
        "floor_db_roundtrip_ms": {"p50": round(pct(floor_db, 50), 2)},
        "cpu_slowdown_vs_unloaded": round(pct(floor_scrypt, 50) / 13.1, 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
