"""Live updates for the call display: a small publish/subscribe abstraction.

* :class:`RedisBroker` (``settings.USE_REDIS``): Redis pub/sub, so a call made in any
  app process reaches every display connected to any other process.
* :class:`InProcessBroker`: the fallback for the one-process demo (``manage.py rundemo``)
  and tests; subscribers in the same process get every message.

Messages are small JSON dicts on channel ``tongban:queue:<center_id>``. Services publish
*after* commit (``transaction.on_commit``), so a display never shows a call that was
rolled back. A subscriber that misses a message (reconnect) re-reads the snapshot from
the database: the broker carries notifications, the database stays the truth.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Generator
from typing import Any, Protocol

from django.conf import settings

log = logging.getLogger(__name__)


def channel_for(center_id: int) -> str:
    return f"tongban:queue:{center_id}"


class Subscription(Protocol):
    def get(self, timeout: float) -> dict[str, Any] | None: ...
    def close(self) -> None: ...


class Broker(Protocol):
    def publish(self, channel: str, message: dict[str, Any]) -> None: ...
    def subscribe(self, channel: str) -> Subscription: ...


class _LocalSubscription:
    def __init__(self, broker: InProcessBroker, channel: str) -> None:
        self.broker = broker
        self.channel = channel
        self.items: deque[dict[str, Any]] = deque(maxlen=500)
        self.cond = threading.Condition()

    def push(self, message: dict[str, Any]) -> None:
        with self.cond:
            self.items.append(message)
            self.cond.notify_all()

    def get(self, timeout: float) -> dict[str, Any] | None:
        with self.cond:
            if not self.items:
                self.cond.wait(timeout)
            return self.items.popleft() if self.items else None

    def close(self) -> None:
        self.broker._remove(self)


class InProcessBroker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[_LocalSubscription]] = {}

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        with self._lock:
            targets = list(self._subs.get(channel, ()))
        for sub in targets:
            sub.push(message)

    def subscribe(self, channel: str) -> Subscription:
        sub = _LocalSubscription(self, channel)
        with self._lock:
            self._subs.setdefault(channel, []).append(sub)
        return sub

    def _remove(self, sub: _LocalSubscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.channel, [])
            if sub in subs:
                subs.remove(sub)


class _RedisSubscription:
    def __init__(self, client: Any, channel: str) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)

    def get(self, timeout: float) -> dict[str, Any] | None:
        message = self.pubsub.get_message(timeout=timeout)
        if not message or message.get("type") != "message":
            return None
        data = message["data"]
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        try:
            decoded = json.loads(data)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None

    def close(self) -> None:
        try:
            self.pubsub.close()
        except Exception:
            log.debug("closing a Redis subscription failed", exc_info=True)


class RedisBroker:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            self.client.publish(channel, json.dumps(message, ensure_ascii=False))
        except Exception:
            log.warning("publishing a queue event to Redis failed", exc_info=True)

    def subscribe(self, channel: str) -> Subscription:
        return _RedisSubscription(self.client, channel)


_broker: Broker | None = None
_broker_key: tuple[bool, str] | None = None
_broker_lock = threading.Lock()


def get_broker() -> Broker:
    """The broker for the current settings (re-created when USE_REDIS/REDIS_URL change, e.g. in tests)."""
    global _broker, _broker_key
    key = (bool(settings.USE_REDIS), str(settings.REDIS_URL))
    with _broker_lock:
        if _broker is None or _broker_key != key:
            _broker = RedisBroker(key[1]) if key[0] else InProcessBroker()
            _broker_key = key
        return _broker


def publish_center_event(center_id: int, message: dict[str, Any]) -> None:
    get_broker().publish(channel_for(center_id), message)


# "The line changed" is all a display learns from a new ticket, and a busy hall's ticket machines issue
# several a second: each process sends it at once when it has not for WAITING_EVERY seconds, and folds the
# ones that come sooner into one more message at the end of that time (so the last change always reaches
# the displays, at most this late). Calls are never folded: each carries its announcement.
WAITING_EVERY = 0.25
_waiting_lock = threading.Lock()
_waiting_sent: dict[int, float] = {}
_waiting_due: set[int] = set()


def publish_waiting(center_id: int) -> None:
    """Tell the center's displays that the waiting line changed (folded as described above)."""
    now = time.monotonic()
    with _waiting_lock:
        since = now - _waiting_sent.get(center_id, float("-inf"))
        if since >= WAITING_EVERY:
            _waiting_sent[center_id] = now
        elif center_id in _waiting_due:
            return  # a message at the end of the interval is already on its way
        else:
            _waiting_due.add(center_id)
            timer = threading.Timer(WAITING_EVERY - since, _publish_due_waiting, args=(center_id,))
            timer.daemon = True
            timer.start()
            return
    publish_center_event(center_id, {"type": "waiting"})


def _publish_due_waiting(center_id: int) -> None:
    with _waiting_lock:
        _waiting_due.discard(center_id)
        _waiting_sent[center_id] = time.monotonic()
    try:
        publish_center_event(center_id, {"type": "waiting"})
    except Exception:  # a broker outage must not kill the timer thread silently: the displays re-read anyway
        log.exception("live: could not publish the waiting line of center %s", center_id)


def listen(
    center_id: int, *, timeout: float, heartbeat: float = 15.0
) -> Generator[dict[str, Any] | None, None, None]:
    """Yield messages for a center for at most ``timeout`` seconds; ``None`` every ``heartbeat`` s of quiet.

    The first item is a ``None`` yielded as soon as the subscription is in place: a caller that tells its client
    "connected" only after it (the display's ``hello``) misses no message published from then on. A client that
    re-reads on ``hello`` therefore misses nothing at all."""
    import time as _time

    sub = get_broker().subscribe(channel_for(center_id))
    deadline = _time.monotonic() + timeout
    try:
        yield None
        while True:
            left = deadline - _time.monotonic()
            if left <= 0:
                return
            yield sub.get(min(heartbeat, left))
    finally:
        sub.close()
