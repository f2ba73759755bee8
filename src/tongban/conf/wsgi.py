"""The WSGI application (gunicorn: ``tongban.conf.wsgi:application``; docs/deploy.md).

Each worker process imports this before it accepts a connection, so the work of a cold process is
done here rather than in some resident's request: the URL configuration imports every view module
(the 百事通 guide's text tools alone take about a second), which Django would otherwise do on the
first request a worker serves — measured at 1.7 s for that request, once per worker, after every
deploy or restart. Then everything loaded so far is moved out of the garbage collector's way
(``gc.freeze``): the startup objects live as long as the process, and a full collection that walks
them all stalls every thread of the worker for over 100 ms. The handler (``core/handlers.py``) keeps
the collector's work small from then on: each request's objects are freed when its response is closed.
"""

import gc
import os

from tongban.core.handlers import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
application = get_wsgi_application()


def _warm() -> None:
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URL modules and, through them, every view
    resolver._populate()  # the reverse/resolve tables, built once per process
    gc.collect()
    gc.freeze()


_warm()
