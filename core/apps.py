from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts, API access and audit trail"

    def ready(self):
        from . import audit  # noqa: F401 - connects the login and role-change receivers
