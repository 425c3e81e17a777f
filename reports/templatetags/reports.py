"""Template tags that put delivery figures on the campaign pages, which include them with one
line each (templates/campaigns/_report.html, _report_cell.html)."""

from django import template

from campaigns import languages
from campaigns.models import Campaign, Experiment

from .. import experiments, selectors

register = template.Library()


@register.inclusion_tag("reports/_funnel.html")
def campaign_report(campaign):
    return {"campaign": campaign, "report": selectors.campaign_report(campaign)}


@register.simple_tag
def report_summaries(campaigns):
    """For a page of the list: {campaign id: {sent, delivered, clicked}} in one query."""
    return selectors.report_summaries(list(campaigns))


@register.filter
def summary_of(summaries, campaign_id):
    return summaries.get(campaign_id) if summaries else None


@register.filter
def share(part, whole):
    """part as a whole percentage of whole, or "" when whole is 0."""
    try:
        return f"{100 * part / whole:.0f}%" if whole else ""
    except TypeError:
        return ""


@register.inclusion_tag("reports/_experiment.html", takes_context=True)
def experiment_panel(context, campaign):
    """An A/B test's plan, its pushes, live figures and decision, on its campaign's page."""
    experiment = Experiment.objects.filter(campaign=campaign).first()
    if experiment is None:
        return {"experiment": None}
    return {"experiment": experiment, "campaign": campaign, "offers": context.get("offers", {}),
            "csrf_token": context.get("csrf_token"), **experiments.panel(experiment)}


@register.inclusion_tag("reports/_languages.html", takes_context=True)
def language_panel(context, campaign):
    """A campaign's language versions: the plan on a draft (each version's message and the
    cost), or each language's push with its figures once booked."""
    pushes = list(campaign.buckets.exclude(language="").order_by("language"))
    plan = languages.plan_view(campaign) if campaign.status in (
        Campaign.Status.DRAFT, Campaign.Status.PENDING_APPROVAL, Campaign.Status.APPROVED) \
        else None
    if not pushes and not plan:
        return {"shown": False}
    figures = selectors.report_summaries(pushes)
    return {"shown": True, "campaign": campaign, "plan": plan, "offers": context.get("offers", {}),
            "csrf_token": context.get("csrf_token"),
            "pushes": [{"push": p, "figures": figures.get(p.pk) or dict.fromkeys(
                ("sent", "delivered", "clicked"), 0)} for p in pushes]}
