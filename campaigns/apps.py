from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Push campaigns")

    def ready(self):
        from core.audit import add_describer
        from core.health import add_check

        from .health import scheduler_ok
        from .experiments import describe_experiment_event
        from .selectors import describe_campaign_event

        add_check("scheduler", scheduler_ok)
        add_describer(("campaign.status", "series.created", "series.edited"),
                      describe_campaign_event)
        add_describer(("experiment.status", "experiment.decided"), describe_experiment_event)
