"""Live updates across processes through the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from tongban.queueing import live

PUBLISHER = """
import json, sys, redis
client = redis.Redis.from_url(sys.argv[1])
for i in range(int(sys.argv[4])):
    client.publish(sys.argv[2], json.dumps({"type": "call", "from": sys.argv[3], "i": i}))
"""


@pytest.fixture
def redis_settings(settings):
    settings.USE_REDIS = True
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    live._broker = None
    yield settings
    live._broker = None


def test_two_publisher_processes_reach_one_subscriber(redis_settings):
    broker = live.get_broker()
    assert isinstance(broker, live.RedisBroker)
    channel = f"tongban:queue:test-{uuid.uuid4().hex}"
    sub = broker.subscribe(channel)
    try:
        sub.get(0.2)  # let the SUBSCRIBE reach the server before anyone publishes
        procs = [
            subprocess.Popen([sys.executable, "-c", PUBLISHER, redis_settings.REDIS_URL, channel, name, "20"])
            for name in ("p1", "p2")
        ]
        assert [p.wait(30) for p in procs] == [0, 0]
        got = []
        deadline = time.monotonic() + 5
        while len(got) < 40 and time.monotonic() < deadline:
            msg = sub.get(0.5)
            if msg is not None:
                got.append(msg)
    finally:
        sub.close()
    assert len(got) == 40
    for name in ("p1", "p2"):
        assert [m["i"] for m in got if m["from"] == name] == list(range(20))  # each publisher in order


def test_a_call_published_by_another_process_reaches_the_display_stream(redis_settings, db, client):
    from tongban.queueing.tests.factories import hall

    center, _, _ = hall()
    response = client.get(f"/queue/display/{center.code}/events")
    stream = iter(response.streaming_content)
    next(stream), next(stream)  # retry + hello
    channel = live.channel_for(center.pk)

    def publish_later():  # at once: the stream subscribed before it said hello
        subprocess.run(
            [sys.executable, "-c", PUBLISHER, redis_settings.REDIS_URL, channel, "other", "1"], check=True
        )

    import threading

    threading.Thread(target=publish_later).start()
    chunk = next(stream).decode()
    while chunk.startswith(":"):
        chunk = next(stream).decode()
    response.close()
    assert chunk == 'data: {"type": "call", "from": "other", "i": 0}\n\n'
