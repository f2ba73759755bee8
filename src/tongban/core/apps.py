from typing import Any

from django.apps import AppConfig
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


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = _("核心：工作日历与审计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.core import checks  # noqa: F401 - registers the system checks

        _cache_long_statements()

        post_migrate.connect(ensure_audit_head, sender=self, dispatch_uid="tongban.core.ensure_audit_head")
