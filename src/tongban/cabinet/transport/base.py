"""The transport interface: publish JSON to a topic, subscribe a handler to a topic filter."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[str, Any], None]


@dataclass(frozen=True)
class Will:
    """A message the broker publishes when the client drops off (MQTT last will)."""

    topic: str
    payload: dict[str, Any]
    retain: bool = True


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic-filter matching with ``+`` and ``#``."""
    f_parts = topic_filter.split("/")
    t_parts = topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts):
            return False
        if part not in ("+", t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


class Transport(ABC):
    name: str = "base"

    @abstractmethod
    def start(self, *, wait: float = 5.0) -> None:
        """Connect (waiting up to ``wait`` seconds); reconnects on its own afterwards."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def connected(self) -> bool: ...

    @abstractmethod
    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        """Hand a JSON message to the broker (QoS 1). False when it could not be handed over."""

    @abstractmethod
    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Call ``handler(topic, decoded_json)`` for every message matching the filter (QoS 1)."""
