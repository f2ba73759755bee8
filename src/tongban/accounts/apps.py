from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tongban.accounts"
    label = "accounts"
    verbose_name = _("账号与登录")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
