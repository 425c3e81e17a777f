from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudienceConfig(AppConfig):
    name = "audience"
    verbose_name = _("Audience: attributes, tags and segments")

    def ready(self):
        from core.audit import add_describer

        from .selectors import describe_audience_event

        add_describer(("job.created", "account.changed", "job.status", "segment.status"),
                      describe_audience_event)
