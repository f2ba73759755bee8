from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CabinetConfig(AppConfig):
    name = "tongban.cabinet"
    label = "cabinet"
    verbose_name = _("智能文件柜管理")
    default_auto_field = "django.db.models.BigAutoField"
