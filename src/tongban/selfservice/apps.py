from django.apps import AppConfig


class SelfserviceConfig(AppConfig):
    name = "tongban.selfservice"
    label = "selfservice"
    default_auto_field = "django.db.models.BigAutoField"
