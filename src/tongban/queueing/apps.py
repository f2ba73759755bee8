from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "tongban.queueing"
    label = "queueing"
    verbose_name = _("排队叫号")
    default_auto_field = "django.db.models.BigAutoField"
