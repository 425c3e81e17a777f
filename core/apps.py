from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True  # this module holds a second config, for django-axes
    name = "core"
    verbose_name = _("Accounts, API access and audit trail")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import audit  # noqa: F401 - connects the login and role-change receivers
        from .health import add_check, broker_ok, database_ok
        from .preferences import on_login

        user_logged_in.connect(on_login, dispatch_uid="core.preferences.on_login")
        add_check("database", database_ok)
        add_check("broker", broker_ok)


class LoginLockoutsConfig(AxesAppConfig):
    """django-axes, named in words in the admin ("Axes" says nothing to a person)."""

    verbose_name = _("Login lockouts")
