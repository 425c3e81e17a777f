"""Beat starts a dispatcher every second and each runs for DISPATCH_RUN_SECONDS: the tick that
arrives as a run ends takes over at once, so an app's queue goes on at its one push a second
with no pause at the hand-over (50 apps x 100 campaigns: bench/several_apps.py)."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from campaigns import dispatch, services
from campaigns.models import Campaign, DispatcherRole
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db(transaction=True)  # two dispatchers, each its connection


def test_the_tick_that_arrives_as_a_run_ends_takes_over_without_a_pause(tim, marketer):
    for i in range(4):
        campaign = services.campaign_create(user=marketer, name=f"c{i}", push={"MsgBody": TEXT})
        services.campaign_send_now(campaign=campaign, user=marketer)
    first_sent = []

    def first_run():
        try:
            first_sent.append(dispatch.dispatch_due_campaigns(run_seconds=1.6))
        finally:
            connection.close()

    first = threading.Thread(target=first_run)
    first.start()
    time.sleep(0.8)  # beat's next tick, 0.8 s before the first run ends
    second_sent = dispatch.dispatch_due_campaigns(run_seconds=3.0)
    first.join()
    # The second tick waited for the role instead of leaving the rest to a later tick.
    assert first_sent[0] >= 1 and second_sent >= 1 and first_sent[0] + second_sent == 4
    assert not Campaign.objects.exclude(status=Campaign.Status.SENT).exists()
    arrivals = sorted(p["received_at"] for p in tim.state()["pushes"])
    gaps = [round(b - a, 3) for a, b in zip(arrivals, arrivals[1:])]
    # More than 1 s apart (the gate), and never the second or so a wait for the next tick costs.
    assert all(1.0 < gap < 1.5 for gap in gaps), gaps
    assert DispatcherRole.objects.get(share=0).held_until is None  # released


def test_a_tick_that_arrives_early_in_a_run_returns_at_once(tim):
    holder = threading.Thread(target=lambda: (dispatch.dispatch_due_campaigns(run_seconds=3.0),
                                              connection.close()))
    holder.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert dispatch.dispatch_due_campaigns(run_seconds=3.0) == 0
    waited = time.monotonic() - started
    holder.join()
    assert waited < 2.0, waited  # not the 2.7 s left of the run: it holds no worker that long


def test_a_campaign_leaves_at_its_time_never_before_nor_a_poll_later(tim, marketer, settings):
    """Claimed ahead of its time, a campaign's push waits for it: at the production poll
    (100 ms) it left up to a poll and its claim's queries late; now it leaves on the dot."""
    settings.DISPATCH_POLL_SECONDS = 0.1
    dues = []
    for i in range(3):
        campaign = services.campaign_create(
            user=marketer, name=f"on time {i}", push={"MsgBody": TEXT},
            send_at=timezone.now() + dt.timedelta(seconds=1.3 + 1.2 * i))
        dues.append(Campaign.objects.get(pk=campaign.pk).due_at.timestamp())
    assert dispatch.dispatch_due_campaigns(run_seconds=4.5) == 3
    arrivals = sorted(p["received_at"] for p in tim.state()["pushes"])
    lateness = [round(arrived - due, 3) for arrived, due in zip(arrivals, dues)]
    assert all(0 <= late < 0.05 for late in lateness), lateness
