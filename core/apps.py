from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True  # this module holds a second config, for django-axes
    name = "core"
    verbose_name = _("Accounts, API access and audit trail")

    def ready(self):
        from . import audit  # noqa: F401 - connects the login and role-change receivers


class LoginLockoutsConfig(AxesAppConfig):
    """django-axes, named in words in the admin ("Axes" says nothing to a person)."""

    verbose_name = _("Login lockouts")
