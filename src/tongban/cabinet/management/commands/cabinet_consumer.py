"""Production event consumer: apply every cabinet's events from the MQTT broker (one process per site)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tongban.cabinet.consumer import EventConsumer


class Command(BaseCommand):
    help = "Subscribe to cabinet events on MQTT_URL and apply them."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.MQTT_URL:
            raise CommandError(
                "MQTT_URL is empty: the consumer needs a broker (the demo runs it in-process)."
            )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"cabinet consumer on {settings.MQTT_URL} (prefix {settings.MQTT_TOPIC_PREFIX})")
        try:
            EventConsumer().run(stop)
        except KeyboardInterrupt:
            stop.set()
