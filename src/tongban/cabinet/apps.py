from django.apps import AppConfig


class CabinetConfig(AppConfig):
    name = "tongban.cabinet"
    label = "cabinet"
    default_auto_field = "django.db.models.BigAutoField"
