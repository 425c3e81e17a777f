"""Test sends (spec §3.2, v4/timpush/batch): a campaign's offline push to 1–500 named accounts,
a person's own test groups of accounts, and the record of what each test send reached.

Each test send keeps a digest of the campaign's push value as it was sent, so another rule
(approval, for instance) can ask `has_passing_test_send(campaign=...)`: has this exact version
reached a phone?
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.rules import account_id_errors
from core import tencent
from core.chat_apps import connection, default_app
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused, Unavailable
from core.text import unsafe_text_errors
from pushclient import ErrorKind, PayloadError, TencentError, backoff_seconds
from pushclient.payload import MAX_BATCH_ACCOUNTS

from .models import Attempt, Campaign, TestGroup, TestSend
from .permissions import require_may_edit_test_group
from .quota import quota_day_lock, quota_day_of, quota_limit, pushes_left_on
from .reasons import tencent_words
from .selectors import push_text
from .states import TEST_SEND

Outcome = Attempt.Outcome
MAX_GROUP_NAME = 100
RECENT_TEST_SENDS = 5
RATE_TRIES = 3


def push_digest(push: dict) -> str:
    """A stable fingerprint of a campaign's push value: the same for the same content whatever
    the key order the database hands back."""
    canonical = json.dumps(push, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def has_passing_test_send(*, campaign: Campaign) -> bool:
    """True when a test send of the campaign's current push was accepted by Tencent for at
    least one account."""
    return campaign.test_sends.filter(push_digest=push_digest(campaign.push), outcome=Outcome.OK,
                                      reached__gt=0).exists()


def _account_errors(accounts, field: str, *, most: int = MAX_BATCH_ACCOUNTS,
                    too_many: str = "") -> tuple[list[str], dict[str, list[str]]]:
    """The accounts without repeats, or the rules they break under `field`."""
    if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
        return [], {field: [_("%(field)s must be a list of account ids") % {"field": field}]}
    unique = list(dict.fromkeys(accounts))
    if not unique:
        return [], {field: [_("%(field)s is empty: give 1 to %(max)d account ids")
                            % {"field": field, "max": most}]}
    if len(unique) > most:
        words = too_many or _("%(field)s holds %(n)d accounts; a test send goes to at most "
                              "%(max)d")
        return [], {field: [words % {"field": field, "n": len(unique), "max": most}]}
    problems = unsafe_text_errors(unique, field)
    for index, account in enumerate(unique):
        problems.setdefault(field, []).extend(account_id_errors(
            _("Account %(n)d (“%(id)s”)") % {"n": index + 1, "id": account[:40]}, account))
    return unique, {k: v for k, v in problems.items() if v}


# --- test groups ---------------------------------------------------------------------------

@transaction.atomic
def test_group_save(*, user, name, accounts, group: TestGroup | None = None,
                    app=None) -> TestGroup:
    """A new group of `app` (owned by `user`) or a change to `group`; see permissions for who
    may."""
    require_may_edit_test_group(user, group)
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = [_("Give the test group a name")]
    elif len(name.strip()) > MAX_GROUP_NAME:
        errors["name"] = [_("The name is %(n)d characters; at most %(max)d are allowed")
                          % {"n": len(name.strip()), "max": MAX_GROUP_NAME}]
    else:
        errors.update(unsafe_text_errors(name, "name"))
    accounts, account_errors = _account_errors(accounts, "accounts")
    errors.update(account_errors)
    if errors:
        raise InvalidInput(errors)
    new = group is None
    group = group or TestGroup(owner=user, app=app or default_app())
    group.name, group.accounts = name.strip(), accounts
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise InvalidInput({"name": [_("%(owner)s already has a test group named “%(name)s”")
                                     % {"owner": group.owner.username,
                                        "name": group.name}]}) from None
    audit_record(actor=user, verb="test_group.saved", subject=group, subject_type="test_group",
                 name=group.name, accounts=len(accounts), change="added" if new else "changed")
    return group


@transaction.atomic
def test_group_delete(*, user, group: TestGroup) -> None:
    require_may_edit_test_group(user, group)
    audit_record(actor=user, verb="test_group.deleted", subject=group, subject_type="test_group",
                 name=group.name, accounts=len(group.accounts))
    group.delete()


def team_test_groups(app=None):
    """The team's test groups in the app: everyone sends to any of them (see permissions for
    changes)."""
    return TestGroup.objects.filter(app=app or default_app()).select_related("owner")


# --- test sends -----------------------------------------------------------------------------

def test_push_of(campaign: Campaign) -> dict:
    """The campaign's offline push as timpush/batch takes it (§3.2: OfflinePushInfo is
    required), or the reason there is nothing a phone would show.

    timpush/batch carries no message body, so a campaign that leaves Desc empty (the real push
    then shows the message's text) gets that text as Desc: the phone shows what the real push
    shows, worded by the one function the summary uses."""
    info = dict(campaign.push.get("OfflinePushInfo") or {})
    if info.get("PushFlag") == 1:
        raise InvalidInput({"OfflinePushInfo.PushFlag": [_(
            "This campaign turns offline push off, so a test send would show nothing on a "
            "phone: turn offline push on in the editor first")]})
    text = push_text(campaign.push)  # the campaign's own Desc when it sets one
    if not text:  # §7.1: then the real push shows no notification, whatever its title
        raise InvalidInput({"OfflinePushInfo": [_(
            "This campaign has no push text (no message text, offline push text or custom "
            "data's push text), so its push shows no notification and a test send would show "
            "nothing on a phone: add some in the editor first")]})
    return {**info, "Desc": text}


def _recipients(*, accounts, group_id, app) -> tuple[list[str], TestGroup | None]:
    """A test group, or a few accounts typed in (TEST_SEND_TYPED_ACCOUNTS): test sends are for
    the team's own phones, and larger lists are groups, which approvers keep under approval."""
    if (accounts is None) == (group_id is None):
        raise InvalidInput({"accounts": [_("Choose a test group or type accounts, one of the two")]})
    if group_id is not None:
        group = TestGroup.objects.filter(pk=group_id, app=app).first() \
            if isinstance(group_id, int) and not isinstance(group_id, bool) \
            and 0 < group_id < 2**63 else None
        if group is None:
            raise InvalidInput({"group": [_("There is no test group %(id)s")
                                          % {"id": group_id}]})
        accounts, errors = _account_errors(group.accounts, "group")
    else:
        group = None
        accounts, errors = _account_errors(
            accounts, "accounts", most=settings.TEST_SEND_TYPED_ACCOUNTS,
            too_many=_("%(field)s holds %(n)d accounts; typed in, a test send goes to at most "
                       "%(max)d (TEST_SEND_TYPED_ACCOUNTS): put more in a test group"))
    if errors:
        raise InvalidInput(errors)
    return accounts, group


def _within_daily_caps(*, user, accounts: list[str], day: dt.date, app) -> None:
    """Call under the day's lock: the accounts a person, and the team, may still reach today
    in the app."""
    sent = list(TestSend.objects.filter(campaign__app=app, quota_day=day)
                .exclude(outcome=Outcome.REFUSED)
                .values_list("sent_by_id", "accounts"))
    team = sum(len(accounts) for _sender, accounts in sent)
    own = sum(len(accounts) for sender, accounts in sent if sender == user.pk)
    for used, cap, words in (
            (own, settings.TEST_SEND_ACCOUNTS_PER_PERSON_DAY, _(
                "You have sent tests to %(used)d accounts on %(day)s and this send has %(n)d "
                "more: together over your %(cap)d a day (TEST_SEND_ACCOUNTS_PER_PERSON_DAY)")),
            (team, settings.TEST_SEND_ACCOUNTS_PER_DAY, _(
                "The team has sent tests to %(used)d accounts on %(day)s and this send has "
                "%(n)d more: together over the %(cap)d a day allowed "
                "(TEST_SEND_ACCOUNTS_PER_DAY)"))):
        if used + len(accounts) > cap:
            raise TransitionRefused(words % {"used": used, "day": day.isoformat(),
                                             "n": len(accounts), "cap": cap})


def _batch(campaign: Campaign, test: TestSend):
    """One timpush/batch call. A rate refusal (60007) means nothing was sent: when a busy host
    delays calls so that more than the limit reach Tencent in one second, wait for the shared
    limiter again and resend, a few times, after the project's backoff."""
    from_account = campaign.push.get("From_Account") or connection(campaign.app).admin_identifier
    for attempt in range(RATE_TRIES):
        try:
            return tencent.test_send_client(campaign.app).timpush.batch(
                from_account=from_account, to_accounts=test.accounts,
                offline_push_info=test.offline_push_info, msg_random=test.msg_random,
                data_id=test.data_id)
        except TencentError as exc:
            if exc.kind is not ErrorKind.RATE or attempt == RATE_TRIES - 1:
                raise
            # Tencent counts calls a second: its refusal holds until that second has passed.
            time.sleep(1.0 + backoff_seconds(attempt + 1, base=0.25))
    raise AssertionError("unreachable")


def campaign_test_send(*, campaign: Campaign, user, accounts: list[str] | None = None,
                       group: int | None = None) -> TestSend:
    """Send the campaign's offline push to the accounts (or a group of the user's) now, with
    DataId "test:<campaign id>", and record what came back per account.

    The record is committed before the call (as the attempt ledger is), so a test send that
    uses the quota holds its place in the day even if the worker dies mid-call.
    """
    app = campaign.app
    accounts, test_group = _recipients(accounts=accounts, group_id=group, app=app)
    info = test_push_of(campaign)
    now = timezone.now()
    day = quota_day_of(now, app)
    with transaction.atomic():
        quota_day_lock(day, app)  # one test send of the day at a time: caps hold under races
        _within_daily_caps(user=user, accounts=accounts, day=day, app=app)
        if settings.PUSH_TEST_SENDS_USE_QUOTA:
            if pushes_left_on(day, app=app) <= 0:
                raise TransitionRefused(_(
                    "Test sends use the daily quota here (PUSH_TEST_SENDS_USE_QUOTA), and all "
                    "%(limit)d of today's pushes are used or booked") % {
                        "limit": quota_limit(app)})
        test = TestSend.objects.create(
            campaign=campaign, sent_by=user, group=test_group, accounts=accounts,
            push_digest=push_digest(campaign.push), offline_push_info=info,
            data_id=f"test:{campaign.pk}", msg_random=secrets.randbelow(2**32), started_at=now,
            quota_day=day)
    answer = {}
    try:
        result = _batch(campaign, test)
    except Unavailable:
        # The shared limiter (Redis) gave no permit: no call was made. Nothing is left in
        # flight or holding a push of the day; the person is told to try again (503).
        TestSend.objects.filter(pk=test.pk).delete()
        raise
    except PayloadError as exc:
        outcome, answer = Outcome.REFUSED, {"error_code": exc.code, "error_info": str(exc)}
    except TencentError as exc:
        outcome = Outcome.UNKNOWN if exc.outcome_unknown else Outcome.REFUSED
        answer = {"error_code": exc.code, "error_info": exc.info}
    else:
        failed = {f.account: f for f in result.failed}
        outcome = Outcome.OK
        answer = {"task_id": result.task_id,
                  "results": [{"account": a, "code": failed[a].code if a in failed else 0,
                               "info": failed[a].info if a in failed else ""} for a in accounts],
                  "reached": sum(1 for a in accounts if a not in failed)}
    TEST_SEND.move(test, to=outcome, actor=user, audit_subject=campaign,
                   audit_params={"accounts": len(accounts), "reached": answer.get("reached", 0),
                                 "outcome": outcome, "code": answer.get("error_code") or 0},
                   finished_at=timezone.now(), **answer)
    return test


# A test send is made inside a web request, which gunicorn ends after 30 s: one still in
# flight after this long lost its process mid-call.
TEST_SEND_STUCK_AFTER = dt.timedelta(minutes=5)


def reap_stuck_test_sends(*, now: dt.datetime) -> int:
    """Test sends in flight past TEST_SEND_STUCK_AFTER lost their request: they end
    `unknown`, as a push's abandoned attempt does. They may have gone out, so one that uses
    the quota keeps counting in its day, like any unanswered call (quota.TEST_SEND_USED)."""
    stuck = TestSend.objects.filter(outcome=Outcome.IN_FLIGHT,
                                    started_at__lt=now - TEST_SEND_STUCK_AFTER)
    return sum(TEST_SEND.move(
        test, to=Outcome.UNKNOWN, from_=[Outcome.IN_FLIGHT], verb="campaign.test_unanswered",
        audit_subject=test.campaign, audit_params={"accounts": len(test.accounts)},
        finished_at=now,
        error_info="the request stopped during the call; whether it went out is unknown")
        for test in stuck.select_related("campaign"))


def test_send_json(test: TestSend) -> dict:
    """A test send as the API and the pages show it, every code in words."""
    return {
        "id": test.pk, "campaign": test.campaign_id, "outcome": test.outcome,
        "task_id": test.task_id, "data_id": test.data_id, "push_digest": test.push_digest,
        "accounts": len(test.accounts), "reached": test.reached,
        "current_version": test.push_digest == push_digest(test.campaign.push),
        "error_code": test.error_code,
        "explanation": tencent_words(test.error_code, test.error_info) if test.error_code else "",
        "results": [{**r, "words": tencent_words(r["code"], r["info"])} for r in test.results],
        "started_at": test.started_at, "finished_at": test.finished_at,
        "sent_by": test.sent_by.username if test.sent_by else "",
    }


def recent_test_sends(campaign: Campaign) -> list[dict]:
    return [test_send_json(t) for t in campaign.test_sends.select_related("sent_by", "campaign")
            [:RECENT_TEST_SENDS]]
