"""Serve the demo in one process: threaded WSGI server, periodic jobs, and app demo services.

One process on purpose: the in-process fallbacks (live updates without Redis,
the embedded cabinet transport and simulator) need no broker. Production runs
gunicorn + Celery + Redis + MQTT instead (docs/deploy.md).
"""

from __future__ import annotations

import importlib
import threading
import time
from types import FunctionType, ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.servers.basehttp import WSGIServer, run
from django.db import close_old_connections

from tongban.core.periodic import collect_periodic


def _loop(job: Any, stop: threading.Event) -> None:
    while not stop.wait(job.seconds):
        close_old_connections()
        try:
            job.task()
        except Exception as exc:  # noqa: BLE001 - a failing job must not kill the demo
            print(f"[demo scheduler] {job.name} failed: {exc!r}")
        finally:
            close_old_connections()


def _demo_services(module: ModuleType) -> list[Any]:
    """An app's background threads for the demo: ``demo_services()`` or a *function* ``services()``.

    (A demo module often imports its app's ``services`` module; that is not a hook.)
    """
    for name in ("demo_services", "services"):
        hook = getattr(module, name, None)
        if isinstance(hook, FunctionType):
            return list(hook())
    return []


def _base_url(host: str, port: int) -> str:
    shown = "localhost" if host in {"0.0.0.0", "127.0.0.1"} else host  # noqa: S104
    return f"http://{shown}:{port}"


class Command(BaseCommand):
    help = "Run the demo server with its background jobs (make demo)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PUBLIC_BASE_URL:  # SMS links (ratings, tickets, appointments) point at this server
            settings.RATINGS_LINK_BASE_URL = _base_url(options["host"], options["port"])
        stop = threading.Event()
        for job in collect_periodic():
            threading.Thread(target=_loop, args=(job, stop), name=f"periodic:{job.name}", daemon=True).start()
        for config in apps.get_app_configs():
            if not config.name.startswith("tongban."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            for service in _demo_services(module):
                threading.Thread(
                    target=service, args=(stop,), name=f"demo:{config.label}", daemon=True
                ).start()
        from tongban.conf.wsgi import application  # warmed: URLs and views loaded before serving

        self.print_banner(options["host"], options["port"])
        time.sleep(0.1)
        try:
            run(
                options["host"],
                options["port"],
                application,
                ipv6=False,
                threading=True,
                server_cls=WSGIServer,
            )
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()

    def print_banner(self, host: str, port: int) -> None:
        base = _base_url(host, port)
        pw = settings.DEMO_PASSWORD
        lines = [
            "",
            "=" * 64,
            f" 通办 tongban demo — {base}/",
            "=" * 64,
            f" 后台/管理员 admin        admin    / {pw}",
            f" 中心负责人 manager       manager  / {pw}",
            f" 1号窗口 window clerk     window1  / {pw}",
            f" 2号窗口 window clerk     window2  / {pw}",
            f" 部门审核 reviewer (医保)  reviewer / {pw}",
            f" 部门审核 reviewer (人社)  reviewer-yp-rs / {pw}",
            f" 督查 supervisor          supervisor / {pw}",
            " 居民 residents: 13800000001 张建国, 13800000002 李梅 (sign in at /portal/);",
            f"   the SMS code appears in the outbox: {base}/notifications/outbox/",
            f" API docs: {base}/api/v1/docs/    health: {base}/healthz",
            " What to try: README.md, 'A walk through the demo'.",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))
