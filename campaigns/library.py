"""Message templates: save a campaign's message, audience and push settings under a name, and
start new campaigns from them. Saving under an existing name replaces that template (and records who)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.chat_apps import apps_for, default_app
from core.audit import audit_record
from core.errors import InvalidInput
from core.text import unsafe_text_errors

from .models import Campaign, MessageTemplate
from .permissions import authors_of, contributor_ids
from .services import campaign_create

# What a template keeps: the message, to whom and how it is pushed; never the time. A draft
# started from it reaches the same audience (found: it reset to Everyone, the widest reach,
# without a word), and the editor shows that audience to check before booking.
TEMPLATE_FIELDS = ("MsgBody", "Condition", "OfflinePushInfo", "MsgLifeTime", "From_Account")


def _template_name_errors(name) -> dict[str, list[str]]:
    if not isinstance(name, str) or not name.strip():
        return {"template_name": [_("Give the template a name")]}
    if len(name) > 200:
        return {"template_name": [_("The template's name is %(n)d characters; at most 200 are "
                                    "allowed") % {"n": len(name)}]}
    return unsafe_text_errors(name, "template_name")


@transaction.atomic
def template_save(*, campaign: Campaign, user, name: str) -> MessageTemplate:
    errors = _template_name_errors(name)
    if errors:
        raise InvalidInput(errors)
    push = {key: campaign.push[key] for key in TEMPLATE_FIELDS if key in campaign.push}
    template = MessageTemplate.objects.select_for_update().filter(
        app=campaign.app, name=name.strip()).first()
    if template is None:
        template = MessageTemplate.objects.create(app=campaign.app, name=name.strip(), push=push,
                                                  created_by=user, updated_by=user)
    else:
        template.push, template.updated_by = push, user
    template.content_by = sorted(contributor_ids(campaign))
    template.save()
    audit_record(actor=user, verb="template.saved", subject=template, subject_type="template",
                 name=template.name)
    return template


@transaction.atomic
def template_copy_to_app(*, template: MessageTemplate, user, app) -> MessageTemplate:
    """The template in another of the person's apps, under the same name (replacing that app's
    template of the name, as saving does)."""
    if not apps_for(user).filter(pk=app.pk).exists():
        raise InvalidInput({"app": [_("You do not work in that app")]})
    copy, _created = MessageTemplate.objects.update_or_create(
        app=app, name=template.name, defaults={
            "push": template.push, "content_by": authors_of(template), "updated_by": user},
        create_defaults={"push": template.push, "content_by": authors_of(template),
                         "created_by": user, "updated_by": user})
    audit_record(actor=user, verb="template.saved", subject=copy, subject_type="template",
                 name=copy.name)
    return copy


@transaction.atomic
def template_delete(*, template: MessageTemplate, user) -> None:
    audit_record(actor=user, verb="template.deleted", subject=template, subject_type="template",
                 name=template.name)
    template.delete()


def campaign_from_template(*, template: MessageTemplate, user, tz: str | None = None) -> Campaign:
    """A new draft with the template's message and audience; its time is chosen in the editor."""
    return campaign_create(user=user, app=template.app, name=template.name, push=template.push,
                           tz=tz, content_by=authors_of(template))


def template_list(app=None):
    return (MessageTemplate.objects.filter(app=app or default_app())
            .select_related("updated_by").order_by("name"))
