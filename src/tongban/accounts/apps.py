from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tongban.accounts"
    label = "accounts"
    verbose_name = "账号与登录"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
