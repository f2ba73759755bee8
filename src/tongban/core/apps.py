import datetime
import functools
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_audit_head(using: str = "default", **kwargs: Any) -> None:
    """Keep the audit chain's tip row present after ``migrate`` and ``flush``.

    Infrastructure, like Django's own post-migrate permission creation: without the row the
    first seal after a flush (transactional tests) would take a slower path with other query
    counts.
    """
    from tongban.core.models import AuditHead

    AuditHead.objects.using(using).get_or_create(id=1)


def _cache_long_statements() -> None:
    """Let psycopg remember how it rewrote a long statement, as it does a short one.

    psycopg turns every query's ``%s`` placeholders into PostgreSQL's ``$1…`` by parsing it, and caches
    the result only for statements of at most 4,096 characters and 50 parameters. The intake writes a
    case's checklist, reviews, history and audit entries in one statement of ~110 parameters
    (``sql.insert_all``): parsed again on every request, that was a tenth of the intake under cProfile. The
    cache is keyed by the statement's text and bounded (128 entries), and the hot statements are few
    and fixed, so a larger bound on what may enter it costs nothing. psycopg is pinned
    (pyproject.toml) and ``test_sql`` checks that these names still exist and are used."""
    from psycopg import _queries

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 500)


@functools.cache
def _utc_timestamptz_loader() -> type | None:
    """psycopg's C loader of ``timestamptz`` under the attribute Django looks for, or None without psycopg's C
    extension.

    Django loads every ``timestamptz`` with a subclass of psycopg's *Python* loader that then replaces the
    time zone (``BaseTzLoader`` in ``django/db/backends/postgresql/psycopg_any.py``): about 5 µs per value,
    a tenth of a case list's CPU (40 timestamps a page; bench/README.md). Django keeps every session's
    ``TimeZone`` at UTC, and the C loader then gives the same aware UTC datetimes itself. ``timezone`` is
    what Django's ``create_cursor`` compares with the connection's before it registers its own loader on
    a cursor. The C class cannot be subclassed, hence the delegation."""
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    oid = psycopg.adapters.types["timestamptz"].oid
    found = psycopg.adapters.get_loader(oid, Format.TEXT)
    if found is None or found.__module__.startswith("psycopg."):  # the pure-Python implementation
        return None
    c_loader: type = found

    class UtcTimestamptzLoader(Loader):
        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._load = c_loader(oid, context).load

        def load(self, data: Any) -> Any:
            return self._load(data)

    return UtcTimestamptzLoader


def load_timestamps_in_c(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new PostgreSQL connection whose time zone is UTC (``USE_TZ``, no ``TIME_ZONE`` per database):
    :func:`_utc_timestamptz_loader`. ``test_sql`` holds the values equal to Django's."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    if connection.connection.info.parameter_status("TimeZone") != "UTC":
        return
    loader = _utc_timestamptz_loader()
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = _("核心：工作日历与审计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import register_converter

        from tongban.core import checks  # noqa: F401 - registers the system checks
        from tongban.core.converters import DatabaseIdConverter

        register_converter(DatabaseIdConverter, "id")  # before any URLconf is read

        _cache_long_statements()
        connection_created.connect(load_timestamps_in_c, dispatch_uid="tongban.core.load_timestamps_in_c")

        post_migrate.connect(ensure_audit_head, sender=self, dispatch_uid="tongban.core.ensure_audit_head")
