"""Celery app. In the demo (USE_CELERY unset) tasks run eagerly in-process and
``manage.py rundemo`` runs the periodic jobs itself."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
app = Celery("tongban")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _setup_periodic(sender: Celery, **kwargs: object) -> None:
    from tongban.core.periodic import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
