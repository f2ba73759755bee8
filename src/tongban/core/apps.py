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


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = _("核心：工作日历与审计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.core import checks  # noqa: F401 - registers the system checks

        post_migrate.connect(ensure_audit_head, sender=self, dispatch_uid="tongban.core.ensure_audit_head")
