"""Stateful fuzzing of the JSON API: hypothesis creates, patches, schedules, sends now and
cancels campaigns in any order with good and bad input, and checks each answer against a model
of the state machine: allowed moves succeed, others are 409 and change nothing, bad input is a
400 naming the field and changes nothing, and every status change is one audit event."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as run_settings
from hypothesis import strategies as st
import itertools

from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from core.models import AuditEvent
from tests.conftest import TEXT, make_user

EDITABLE = {"draft", "scheduled"}
USERS = itertools.count()
TIMES = {
    "soon": lambda: (timezone.now() + dt.timedelta(hours=2)).isoformat(),
    "far": lambda: (timezone.now() + dt.timedelta(days=900)).isoformat(),
    "past": lambda: (timezone.now() - dt.timedelta(days=3)).isoformat(),
    "naive": lambda: "2026-12-01T09:00:00",
    "nonsense": lambda: "next tuesday",
}
GOOD_TIMES = {"soon"}
pushes = st.sampled_from([
    ({"MsgBody": TEXT}, True),
    ({"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}}, True),
    ({"MsgBody": []}, False),
    ({"MsgBody": TEXT, "MsgLifeTime": -1}, False),
    ({"MsgBody": TEXT, "Condition": {"AttrsAnd": {"nope": "1"}}}, False),
])
names = st.sampled_from([("Sale", True), ("", False), ("x" * 201, False), ("Spring 春季", True)])


class CampaignLifecycle(RuleBasedStateMachine):
    campaigns = Bundle("campaigns")

    def __init__(self):
        super().__init__()
        self.api = Client()
        user = make_user(f"m{next(USERS)}", "Marketers")
        raw = self.api.post("/api/token/", {"username": user.username,
                                            "password": f"pw-{user.username}"},
                            content_type="application/json").json()["token"]
        self.api.defaults["HTTP_AUTHORIZATION"] = f"Token {raw}"
        self.status: dict[int, str] = {}
        self.changes: dict[int, int] = {}

    def call(self, method, url, body=None):
        answer = self.api.get(url) if method == "get" else getattr(self.api, method)(
            url, json.dumps(body or {}), content_type="application/json")
        assert answer.status_code < 500, answer.content
        if answer.status_code == 400:
            assert answer.json()["errors"], "a 400 names the field"
        return answer

    def read(self, pk):
        return self.call("get", f"/api/campaigns/{pk}/").json()

    def moved(self, pk, to):
        if self.status[pk] != to or to == "scheduled":
            self.changes[pk] += 1
        self.status[pk] = to

    @rule(target=campaigns, name=names, push=pushes, when=st.sampled_from([None, *TIMES]))
    def create(self, name, push, when):
        body = {"name": name[0], "push": push[0]}
        if when:
            body["send_at"] = TIMES[when]()
        answer = self.call("post", "/api/campaigns/", body)
        valid = name[1] and push[1] and (when is None or when in GOOD_TIMES)
        assert answer.status_code == (201 if valid else 400), (body, answer.json())
        if not valid:
            return multiple()  # nothing to remember
        created = answer.json()
        self.status[created["id"]], self.changes[created["id"]] = "draft", 0
        if when:
            self.moved(created["id"], "scheduled")
        return created["id"]

    @rule(pk=campaigns, name=names, push=pushes, when=st.sampled_from([None, *TIMES]))
    def patch(self, pk, name, push, when):
        before = self.read(pk)
        body = {"name": name[0], "push": push[0], **({"send_at": TIMES[when]()} if when else {})}
        answer = self.call("patch", f"/api/campaigns/{pk}/", body)
        valid = name[1] and push[1] and (when is None or when in GOOD_TIMES)
        if self.status[pk] not in EDITABLE:
            # refused either way; bad input may be named before the status is looked at
            assert answer.status_code in ({409} if valid else {400, 409})
        elif valid:
            assert answer.status_code == 200 and answer.json()["name"] == name[0].strip()
            if when:
                self.moved(pk, "scheduled")
            return
        else:
            assert answer.status_code == 400
        after = self.read(pk)
        assert (after["name"], after["push"], after["send_at"]) == (
            before["name"], before["push"], before["send_at"]), "all or nothing"

    @rule(pk=campaigns, when=st.sampled_from(list(TIMES)))
    def schedule(self, pk, when):
        answer = self.call("post", f"/api/campaigns/{pk}/schedule/", {"send_at": TIMES[when]()})
        if when not in GOOD_TIMES:
            assert answer.status_code in ({400} if self.status[pk] in EDITABLE else {400, 409})
        elif self.status[pk] in EDITABLE:
            assert answer.status_code == 200
            self.moved(pk, "scheduled")
        else:
            assert answer.status_code == 409

    @rule(pk=campaigns)
    def send_now(self, pk):
        answer = self.call("post", f"/api/campaigns/{pk}/send-now/")
        assert answer.status_code == (200 if self.status[pk] in EDITABLE else 409)
        if answer.status_code == 200:
            self.moved(pk, "scheduled")

    @rule(pk=campaigns)
    def cancel(self, pk):
        answer = self.call("post", f"/api/campaigns/{pk}/cancel/")
        assert answer.status_code == (200 if self.status[pk] in EDITABLE else 409)
        if answer.status_code == 200:
            self.moved(pk, "cancelled")

    @invariant()
    def statuses_and_trail_match_the_model(self):
        for pk, status in self.status.items():
            assert self.read(pk)["status"] == status
            events = AuditEvent.objects.filter(subject_type="campaign", subject_id=pk,
                                               verb="campaign.status").count()
            assert events == self.changes[pk], "one audit event per status change"


@pytest.mark.django_db
def test_the_campaign_lifecycle_follows_the_state_machine(tim, settings):
    settings.PUSH_DAILY_QUOTA = 100_000  # the quota has its own tests; here, room for all
    from hypothesis.stateful import run_state_machine_as_test
    run_state_machine_as_test(CampaignLifecycle, settings=run_settings(
        max_examples=12, stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck)))
