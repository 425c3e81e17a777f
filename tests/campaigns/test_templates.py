"""Message templates: saved from a campaign, started from, and listed with who changed each last."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, MessageTemplate
from core.models import AuditEvent
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db

PUSH = {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}, "MsgLifeTime": 3600,
        "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


def test_it_saves_the_message_audience_and_push_settings_but_not_the_time(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH,
                                        send_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    assert answer.status_code == 302 and answer.url == "/templates/"
    template = MessageTemplate.objects.get(name="Weekly")
    assert template.push == PUSH
    assert AuditEvent.objects.filter(verb="template.saved", subject_id=template.pk).exists()
    row = client.get("/templates/").content.decode()
    assert '<td data-testid="template-audience">Any of these tags: vip</td>' in row


def test_a_draft_started_from_a_template_keeps_its_audience(client, marketer):
    """Not Everyone whatever the template's campaign reached: that would be one Save from a
    push to every user."""
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    template = MessageTemplate.objects.get()
    answer = client.post(f"/templates/{template.pk}/use/", follow=True)
    new = Campaign.objects.exclude(pk=campaign.pk).get()
    assert answer.redirect_chain == [(f"/campaigns/{new.pk}/edit/", 302)]
    assert new.status == "draft" and new.push == PUSH and new.name == "Weekly"
    assert new.due_at is None
    page = answer.content.decode()
    assert ("A new draft from the template, for its audience: Any of these tags: vip. Check it "
            "and choose a time.") in page
    form = answer.context["form"]  # the editor opens on that audience
    assert (form["audience"].value(), form["tags_any"].value()) == ("tags", "vip")


def test_a_template_saved_for_everyone_starts_a_draft_for_everyone(client, marketer):
    campaign = services.campaign_create(user=marketer, name="News", push={"MsgBody": TEXT})
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "News"})
    answer = client.post(f"/templates/{MessageTemplate.objects.get().pk}/use/", follow=True)
    assert "for its audience: Everyone who uses the app. Check it" in answer.content.decode()
    assert "Condition" not in Campaign.objects.exclude(pk=campaign.pk).get().push


def test_the_list_shows_who_changed_each_template_last(client, marketer):
    other = make_user("otto", "Marketers")
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    client.force_login(other)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    template = MessageTemplate.objects.get()
    assert (template.created_by, template.updated_by) == (marketer, other)
    page = client.get("/templates/").content.decode()
    assert "Weekly" in page and '<td data-testid="changed-by">otto</td>' in page


def test_a_blank_name_is_refused_naming_the_field(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": " "},
                         follow=True)
    assert "Give the template a name" in answer.content.decode()
    assert not MessageTemplate.objects.exists()


def test_templates_are_for_marketers_only(client, marketer):
    client.force_login(make_user("nobody"))
    assert client.get("/templates/").status_code == 403


def test_deleting_a_template_asks_first_and_then_takes_it_from_the_team(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    template = MessageTemplate.objects.get()
    page = client.get("/templates/").content.decode()
    assert "I understand: “Weekly” is deleted for everyone on the team" in page
    answer = client.post(f"/templates/{template.pk}/delete/", follow=True)
    assert "Tick the box to confirm deleting the template; nothing was deleted." in (
        answer.content.decode())
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
    answer = client.post(f"/templates/{template.pk}/delete/", {"confirm": "yes"}, follow=True)
    assert "Template deleted." in answer.content.decode()
    assert not MessageTemplate.objects.exists()
    assert AuditEvent.objects.filter(verb="template.deleted").exists()
