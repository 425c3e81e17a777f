"""Message templates: saved from a campaign, started from, and listed with who changed each last."""

import pytest

from campaigns import services
from campaigns.models import Campaign, MessageTemplate
from core.models import AuditEvent
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db

PUSH = {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}, "MsgLifeTime": 3600,
        "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


def test_it_saves_the_message_and_push_settings_but_not_the_audience(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    assert answer.status_code == 302 and answer.url == "/templates/"
    template = MessageTemplate.objects.get(name="Weekly")
    assert template.push == {"MsgBody": TEXT, "MsgLifeTime": 3600,
                             "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}
    assert AuditEvent.objects.filter(verb="template.saved", subject_id=template.pk).exists()


def test_it_starts_a_draft_from_a_template_and_opens_the_editor(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Sale", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/save-template/", {"template_name": "Weekly"})
    template = MessageTemplate.objects.get()
    answer = client.post(f"/templates/{template.pk}/use/")
    new = Campaign.objects.exclude(pk=campaign.pk).get()
    assert answer.url == f"/campaigns/{new.pk}/edit/"
    assert new.status == "draft" and new.push == template.push and new.name == "Weekly"


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
