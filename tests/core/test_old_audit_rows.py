"""Audit rows kept from before the one trail are rewritten once, by a migration, in the shape
rows are written today: reading the trail parses nothing."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from core.audit import audit_record, audit_words
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

migration = importlib.import_module("core.migrations.0004_old_audit_rows_in_todays_shape")


def old_row(action: str, detail: str) -> AuditEvent:
    """A row as core/migrations/0002 copied it from the old tables."""
    return audit_record(actor=None, verb="legacy", action=action, detail=detail)


def converted(event: AuditEvent) -> AuditEvent:
    migration.convert(apps, None)
    event.refresh_from_db()
    return event


def test_it_rewrites_attribute_names_kept_as_a_python_dict():
    event = converted(old_row("attribute names set", "{'0': 'sex', '1': 'city'}"))
    assert (event.verb, event.params) == ("attribute_names.set", {"names": "0=sex, 1=city"})
    assert audit_words(event) == "set attribute names: 0=sex, 1=city"


def test_it_keeps_attribute_names_that_are_not_a_dict_as_written():
    event = converted(old_row("attribute names read back", "sex"))
    assert (event.verb, event.params) == ("attribute_names.read_back", {"names": "sex"})


def test_it_rewrites_a_job_sentence_as_its_action_segment_and_size():
    event = converted(old_row("job remove_tags", "job 7 on segment 'autumn' (1,200 accounts)"))
    assert event.verb == "job.created"
    assert event.params == {"action": "remove_tags", "segment": "autumn", "accounts": "1,200"}


def test_it_keeps_the_action_of_a_job_sentence_it_cannot_read():
    event = converted(old_row("job add_tags", "something else"))
    assert (event.verb, event.params) == ("job.created", {"action": "add_tags"})


def test_it_rewrites_cancel_resume_and_campaign_edits_as_their_verbs():
    rows = {action: old_row(action, "") for action in ("job cancelled", "job resumed",
                                                        "created", "edited")}
    migration.convert(apps, None)
    verbs = {action: AuditEvent.objects.get(pk=e.pk).verb for action, e in rows.items()}
    assert verbs == {"job cancelled": "job.cancelled", "job resumed": "job.resumed",
                     "created": "campaign.created", "edited": "campaign.edited"}


def test_it_leaves_a_row_no_verb_of_today_fits_as_its_words():
    event = converted(old_row("scheduled", "for 2024-01-01 09:00"))
    assert (event.verb, event.params) == ("legacy", {"action": "scheduled",
                                                     "detail": "for 2024-01-01 09:00"})
    assert audit_words(event) == "scheduled for 2024-01-01 09:00"


def test_it_rewrites_role_changes_kept_as_one_string_as_a_list():
    user = User.objects.create_user("ada")
    AuditEvent.objects.all().delete()  # the signal's own row
    event = audit_record(actor=None, verb="user.roles_changed", subject=user,
                         subject_type="user", change="+", groups="Admins, Marketers")
    event = converted(event)
    assert event.params == {"change": "+", "groups": ["Admins", "Marketers"]}


def test_a_second_run_changes_nothing():
    event = converted(old_row("attribute names set", "{'0': 'sex'}"))
    migration.convert(apps, None)
    event.refresh_from_db()
    assert (event.verb, event.params) == ("attribute_names.set", {"names": "0=sex"})
