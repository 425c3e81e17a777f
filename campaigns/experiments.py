"""A/B tests: 2-4 versions of a campaign's message, each pushed to its own buckets of accounts
(audience.buckets: every known account carries one bucket tag drawn from a hash of its id) at
the campaign's time; after a wait the click rates decide (reports/experiments.py) and the
winner goes to everyone else in the campaign's audience.

Every push is a child campaign booked through the one booking door: the variants at the test's
time, and the winner's push at the decision's time, `held` (it counts in its quota day, so the
cost "3 variants + the winner = 4 pushes" is booked when the test is) until the result says
what it sends, or that it is not sent.

Reaching "everyone else" exactly once: im_push has no TagsNot (spec §2.1), and timpush/push's
TagsNot is documented by one sample whose comment reads "not (C and D)", maybe a slip for
"not (C or D)" (§3.1 [UNCERTAIN]). With one tag the two readings agree, so the winner's
TagsNot holds one tag: every known account of the test buckets is given it (a bulk job, run
when the test decides) before the winner goes. An app without the push service's timpush/push
sends the winner with im_push to the buckets no variant used, and accounts without a bucket
are left out, as the page says before anything is booked."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audience.rules import bucket_tag
from audience.selectors import value_counts
from core.audit import audit_record, status_words
from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from core.text import clauses, words_list

from . import held
from .models import Campaign, Experiment
from .permissions import contributor_ids, require_may_choose_times, require_may_undo
from .quota import pushes_left_on, quota_day_of, quota_limit
from .states import EXPERIMENT, approval_required, campaign_transition
from .versions import (MESSAGE_FIELDS, book_version, day_words, message_field_errors,
                       normal_message, send_time_errors, version_child, version_push_errors,
                       with_message)

Status = Campaign.Status
LABELS = "ABCD"
MIN_VARIANTS, MAX_VARIANTS = 2, 4
# The statistics poller first asks 5 minutes after a push (REPORT_POLL_AFTER_SECONDS): a
# shorter wait would decide on callbacks alone.
MIN_WAIT_MINUTES, MAX_WAIT_MINUTES = 10, 7 * 24 * 60
SIGNIFICANCE_RANGE = (0.001, 0.1)
MAX_MIN_SAMPLE = 10_000_000
WINNER = "winner"


def exclusion_tag(experiment: Experiment) -> str:
    """The one tag every test account of the experiment is given before the winner's push,
    whose TagsNot holds it alone (right under both readings of TagsNot)."""
    return f"{settings.EXPERIMENT_BUCKET_PREFIX}test:{experiment.pk}"


# --- the pushes --------------------------------------------------------------------------

def _with_buckets(condition: dict | None, buckets: list[int]) -> dict:
    """The audience narrowed to the buckets: one bucket is one more required tag; several are
    "any of these tags" (the audience then has none of its own: checked before booking)."""
    condition = dict(condition or {})
    tags = [bucket_tag(b) for b in sorted(buckets)]
    if len(tags) == 1:
        condition["TagsAnd"] = [*condition.get("TagsAnd", []), tags[0]]
    else:
        condition["TagsOr"] = tags
    return condition


def variant_push(campaign: Campaign, variant: dict) -> dict:
    return {**with_message(campaign.push, variant),
            "Condition": _with_buckets(campaign.push.get("Condition"), variant["buckets"])}


def untested_buckets(variants: list[dict]) -> list[int]:
    used = {b for v in variants for b in v["buckets"]}
    return [b for b in range(settings.EXPERIMENT_BUCKETS) if b not in used]


def winner_push(experiment: Experiment, variant: dict) -> dict:
    """The winning variant's message to the campaign's audience but the test accounts."""
    campaign = experiment.campaign
    push = with_message(campaign.push, variant)
    condition = dict(campaign.push.get("Condition") or {})
    if experiment.route == Experiment.Route.TAGS_NOT:
        condition["TagsNot"] = [exclusion_tag(experiment)]
    else:
        condition = _with_buckets(condition, untested_buckets(experiment.variants))
    return {**push, "Condition": condition}


# --- the plan, checked -------------------------------------------------------------------

def _variant_errors(i: int, variant, seen: set[int]) -> dict[str, list[str]]:
    field = f"variants[{i}]"
    label = LABELS[i] if i < len(LABELS) else str(i + 1)
    if not isinstance(variant, dict):
        return {field: [_("Variant %(label)s must be an object with its buckets and message")
                        % {"label": label}]}
    errors: dict[str, list[str]] = {}
    buckets = variant.get("buckets")
    count = settings.EXPERIMENT_BUCKETS
    if not isinstance(buckets, list) or not buckets or not all(
            isinstance(b, int) and not isinstance(b, bool) and 0 <= b < count for b in buckets):
        errors[f"{field}.buckets"] = [_(
            "Variant %(label)s needs at least one bucket, each a number from 0 to %(last)d")
            % {"label": label, "last": count - 1}]
    else:
        again = sorted(set(buckets) & seen)
        if again:
            errors[f"{field}.buckets"] = [_(
                "Variant %(label)s uses bucket %(buckets)s, which another variant uses: each "
                "bucket goes to one variant") % {"label": label, "buckets": words_list(again)}]
        seen.update(buckets)
    errors.update(message_field_errors(field, _("Variant %(label)s") % {"label": label},
                                       variant))
    unknown = sorted(set(variant) - {"label", "buckets", *MESSAGE_FIELDS})
    if unknown:
        errors[field] = [_("Variant %(label)s has fields this product does not know: "
                           "%(fields)s") % {"label": label, "fields": words_list(unknown)}]
    return errors


def plan_errors(campaign: Campaign, *, variants, wait_minutes, significance, min_sample,
                no_winner, route) -> dict[str, list[str]]:
    """Every rule the plan breaks, by field, in the reader's words; {} when it can be booked
    (the quota days and quiet hours are the booking's)."""
    errors: dict[str, list[str]] = {}
    condition = campaign.push.get("Condition") or {}
    if any(k.startswith("Attrs") for k in condition):
        errors["audience"] = [_("An A/B test picks its accounts by their bucket tags, and "
                                "Tencent refuses tags and attributes together: this campaign's "
                                "audience is by attributes. Choose everyone or tags.")]
    if not isinstance(variants, list) or not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        errors["variants"] = [_("An A/B test has 2 to 4 variants")]
        variants = []
    seen: set[int] = set()
    for i, variant in enumerate(variants):
        errors.update(_variant_errors(i, variant, seen))
    if variants and not errors:
        left = untested_buckets(variants)
        if not left:
            errors["variants"] = [_("Every bucket is in the test: leave at least one bucket "
                                    "for the winner")]
        if condition.get("TagsOr") and any(len(v["buckets"]) > 1 for v in variants):
            errors["variants"] = [_("The audience already uses “any of these tags”, and a "
                                    "push has one such list: give each variant one bucket")]
        if route == Experiment.Route.BUCKETS and len(left) > 10:
            errors["route"] = [_("The winner would go to %(n)d buckets, and a push lists at "
                                 "most 10 tags: test more buckets, or send the winner with "
                                 "TagsNot") % {"n": len(left)}]
        elif route == Experiment.Route.BUCKETS and condition.get("TagsOr") and len(left) > 1:
            errors["route"] = [_("The audience already uses “any of these tags”, so the winner "
                                 "cannot go to several buckets with im_push: send it with "
                                 "TagsNot")]
        for i, variant in enumerate(variants):
            errors.update(version_push_errors(
                f"variants[{i}]", _("Variant %(label)s") % {"label": LABELS[i]},
                variant_push(campaign, variant), campaign.app))
    if isinstance(wait_minutes, bool) or not isinstance(wait_minutes, int) or \
            not MIN_WAIT_MINUTES <= wait_minutes <= MAX_WAIT_MINUTES:
        errors["wait_minutes"] = [_("The wait before deciding must be from 10 minutes to 7 days "
                                    "(a whole number of minutes from %(min)d to %(max)d)")
                                  % {"min": MIN_WAIT_MINUTES, "max": MAX_WAIT_MINUTES}]
    low, high = SIGNIFICANCE_RANGE
    if isinstance(significance, bool) or not isinstance(significance, (int, float)) or \
            not low <= significance <= high:
        errors["significance"] = [_("The significance must be from %(low)s to %(high)s, such "
                                    "as 0.05 (95 %% confidence) or 0.01 (99 %%)")
                                  % {"low": low, "high": high}]
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or \
            not 1 <= min_sample <= MAX_MIN_SAMPLE:
        errors["min_sample"] = [_("The minimum sample must be a whole number of accounts from 1 "
                                  "to %(max)s") % {"max": intcomma(MAX_MIN_SAMPLE)}]
    if no_winner not in Experiment.NoWinner.values:
        errors["no_winner"] = [_("Choose what happens when no variant wins: send variant A, "
                                 "send the best so far, or send nothing more")]
    if route not in Experiment.Route.values:
        errors["route"] = [_("Choose how the winner reaches the rest of the audience: with "
                             "TagsNot, or to the other buckets")]
    return errors


def _normal_variants(variants: list[dict]) -> list[dict]:
    return [{"label": LABELS[i], "buckets": sorted(set(v["buckets"])), **normal_message(v)}
            for i, v in enumerate(variants)]


# --- cost and reach, before anything is saved --------------------------------------------

def experiment_cost(campaign: Campaign, *, variants: int, send_at: dt.datetime,
                    wait_minutes: int) -> dict:
    """What the test books: its variants on the test's quota day, the winner on the decision's,
    and what each day has left before."""
    app = campaign.app
    decide_at = send_at + dt.timedelta(minutes=wait_minutes)
    test_day, winner_day = quota_day_of(send_at, app), quota_day_of(decide_at, app)
    days = {test_day: variants}
    days[winner_day] = days.get(winner_day, 0) + 1
    limit = quota_limit(app)
    return {"variants": variants, "limit": limit, "decide_at": decide_at,
            "days": [{"day": d, "pushes": n, "remaining": pushes_left_on(d, app=app)}
                     for d, n in sorted(days.items())]}


def cost_words(cost: dict) -> str:
    """"3 variants + the winner = 4 of Tuesday 2026-12-08's 100 pushes (57 left)"."""
    parts = clauses(_("%(n)d of %(day)s's %(limit)d pushes (%(left)d left)") % {
        "n": d["pushes"], "day": day_words(d["day"]), "limit": cost["limit"],
        "left": d["remaining"]} for d in cost["days"])
    return ngettext("%(variants)d variant + the winner = %(parts)s",
                    "%(variants)d variants + the winner = %(parts)s", cost["variants"]) % {
        "variants": cost["variants"], "parts": parts}


def full_day_words(cost: dict) -> str:
    """Words for the first day without room for its pushes, or ""."""
    for d in cost["days"]:
        if d["remaining"] < d["pushes"]:
            return _("%(day)s has %(left)d of its %(limit)d pushes left and the test needs "
                     "%(n)d there: choose another time, or test fewer variants") % {
                "day": day_words(d["day"]), "left": d["remaining"], "limit": cost["limit"],
                "n": d["pushes"]}
    return ""


def reach_words(campaign: Campaign, *, variants: list[dict], route: str) -> list[str]:
    """Who the pushes reach, in words: each variant's known accounts in the campaign's
    audience, and who the winner leaves out."""
    sizes = audience_bucket_sizes(campaign)
    lines = []
    for i, variant in enumerate(variants):
        n = sum(sizes.get(b, 0) for b in variant["buckets"])
        lines.append(ngettext("Variant %(label)s (%(buckets)s): %(n)s known account.",
                              "Variant %(label)s (%(buckets)s): %(n)s known accounts.", n)
                     % {"label": LABELS[i], "n": intcomma(n), "buckets": words_list(
                         bucket_tag(b) for b in sorted(variant["buckets"]))})
    if route == Experiment.Route.BUCKETS:
        left = untested_buckets(variants)
        lines.append(_("The winner goes to the buckets no variant used (%(buckets)s): %(n)s "
                       "known accounts. Accounts without a bucket, including every account "
                       "this product has never tagged, get no winner.") % {
            "buckets": words_list(bucket_tag(b) for b in left),
            "n": intcomma(sum(sizes.get(b, 0) for b in left))})
    else:
        lines.append(_("The winner goes to everyone else in the audience, accounts this product "
                       "has never seen included; the test accounts are left out."))
    return lines


def audience_bucket_sizes(campaign: Campaign) -> dict[int, int]:
    """{bucket: the campaign's audience's known accounts in it}."""
    counts = value_counts(tag_prefix=settings.EXPERIMENT_BUCKET_PREFIX,
                          condition=campaign.push.get("Condition") or None, app=campaign.app)
    return {int(value): n for value, n in counts.items() if value.isascii() and value.isdigit()}


# --- booking ------------------------------------------------------------------------------

def _checked(campaign: Campaign, *, variants, wait_minutes, significance, min_sample,
             no_winner, route, send_at) -> list[dict]:
    errors = plan_errors(campaign, variants=variants, wait_minutes=wait_minutes,
                         significance=significance, min_sample=min_sample,
                         no_winner=no_winner, route=route)
    errors.update(send_time_errors(send_at, campaign.timezone))
    if errors:
        raise InvalidInput(errors)
    return _normal_variants(variants)


def _plan_fields(variants, wait_minutes, significance, min_sample, no_winner, route) -> dict:
    return {"variants": variants, "wait_minutes": wait_minutes,
            "significance": float(significance), "min_sample": min_sample,
            "no_winner": no_winner, "route": route}


@transaction.atomic
def experiment_plan(*, campaign: Campaign, user, variants, wait_minutes: int = 120,
                    significance: float = 0.02, min_sample: int = 1000,
                    no_winner: str = Experiment.NoWinner.STOP,
                    route: str = Experiment.Route.TAGS_NOT,
                    send_at: dt.datetime | None = None) -> Experiment:
    """Save the test on a draft and, with approval off, book it at once: every variant and the
    winner's push, or nothing. With approval on, the draft keeps it as a plan that its approval
    books (experiment_book), so the approver sees and approves every variant and the rule."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.DRAFT or campaign.parent_id or campaign.series_id:
        raise TransitionRefused(_("An A/B test is set up on a draft campaign: edit the campaign "
                                  "to return it to draft first"))
    send_at = send_at or campaign.send_at
    variants = _checked(campaign, variants=variants, wait_minutes=wait_minutes,
                        significance=significance, min_sample=min_sample,
                        no_winner=no_winner, route=route, send_at=send_at)
    fields = _plan_fields(variants, wait_minutes, significance, min_sample, no_winner, route)
    experiment, _created = Experiment.objects.update_or_create(
        campaign=campaign, defaults={**fields, "status": Experiment.Status.PLANNED,
                                     "decision": {}, "decided_at": None})
    campaign.send_at = send_at
    campaign.save(update_fields=["send_at", "updated_at"])
    if not approval_required():
        experiment_book(experiment=experiment, user=user)
    else:  # the planner's hand in the campaign: they do not approve it (permissions)
        audit_record(actor=user, verb="experiment.planned", subject=campaign,
                     variants=len(variants))
    return experiment


@transaction.atomic
def experiment_book(*, experiment: Experiment, user) -> list[Campaign]:
    """Book the plan: one push per variant at the campaign's time and the winner's push held
    at the decision's time, each through the one booking door, or none of them."""
    campaign = Campaign.objects.select_for_update().get(pk=experiment.campaign_id)
    experiment.campaign = campaign
    bookable = Status.APPROVED if approval_required() else Status.DRAFT
    if campaign.status != bookable:
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be sent as an A/B test"))
    if approval_required():
        require_may_choose_times(user, campaign)
    send_at = campaign.send_at
    variants = _checked(campaign, variants=experiment.variants,
                        wait_minutes=experiment.wait_minutes,
                        significance=experiment.significance, min_sample=experiment.min_sample,
                        no_winner=experiment.no_winner, route=experiment.route, send_at=send_at)
    cost = experiment_cost(campaign, variants=len(variants), send_at=send_at,
                           wait_minutes=experiment.wait_minutes)
    full = full_day_words(cost)
    if full:  # said for the whole test at once, before any push is booked
        raise InvalidInput({"send_at": [full]})
    authors = sorted(contributor_ids(campaign))
    children = []
    for variant in variants:
        child = _child(campaign, variant["label"], variant_push(campaign, variant), authors)
        _book_child(child, user=user, at=send_at, to=Status.SCHEDULED)
        children.append(child)
    winner = _child(campaign, WINNER, winner_push(experiment, variants[0]), authors,
                    endpoint=_winner_endpoint(experiment))
    _book_child(winner, user=user, at=cost["decide_at"], to=Status.HELD)
    children.append(winner)
    if not campaign_transition(campaign, to=Status.AB_TEST, actor=user, from_=[bookable],
                               reason="ab_test", params={"variants": len(variants)}):
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be sent as an A/B test"))
    _move(experiment, to=Experiment.Status.TESTING, actor=user)
    audit_record(actor=user, verb="experiment.booked", subject=campaign, variants=len(variants))
    return children


def _winner_endpoint(experiment: Experiment) -> str:
    return Campaign.Endpoint.TIMPUSH if experiment.route == Experiment.Route.TAGS_NOT \
        else Campaign.Endpoint.IM_PUSH


def _child(campaign: Campaign, variant: str, push: dict, authors: list[int],
           endpoint: str = Campaign.Endpoint.IM_PUSH) -> Campaign:
    # Named without words, so the name reads the same in every language: "Sale · A", and
    # "Sale · A/B ✓" for the winner's push (its page says what it is).
    label = "A/B ✓" if variant == WINNER else variant
    return version_child(campaign, label=label, push=push, authors=authors, endpoint=endpoint,
                         variant=variant)


def _book_child(child: Campaign, *, user, at: dt.datetime, to: str) -> None:
    book_version(child, user=user, at=at, to=to, which=_("The winner's push")
                 if child.variant == WINNER else _("Variant %(label)s") % {"label": child.variant})


def _move(experiment: Experiment, *, to: str, actor=None, from_=None, **changes) -> bool:
    return EXPERIMENT.move(experiment, to=to, actor=actor, from_=from_,
                           audit_subject=experiment.campaign, **changes)


@transaction.atomic
def experiment_cancel(*, experiment: Experiment, user) -> Experiment:
    """Cancel the test and every push of it not sent yet (the held winner's included)."""
    campaign = experiment.campaign
    require_may_undo(user, campaign.created_by_id)
    if campaign.status == Status.AB_TEST:
        campaign_transition(campaign, to=Status.CANCELLED, actor=user, from_=[Status.AB_TEST])
        for child in campaign.buckets.filter(status__in=(Status.SCHEDULED, Status.HELD)):
            campaign_transition(child, to=Status.CANCELLED, actor=user,
                                from_=[Status.SCHEDULED, Status.HELD])
    if not _move(experiment, to=Experiment.Status.CANCELLED, actor=user):
        raise TransitionRefused(_("This A/B test has decided: only pushes not yet sent can be "
                                  "cancelled, each on its own page"))
    return experiment


# --- the decision, carried out -------------------------------------------------------------

def pushes_of(experiment: Experiment) -> dict[str, Campaign]:
    """The test's pushes by variant letter, and its winner's as "winner"."""
    return {c.variant: c for c in experiment.campaign.buckets.all()}


def chosen_label(experiment: Experiment, *, winner: str, rates: dict[str, float]) -> str:
    """The variant the winner's push sends: the test's winner, else the no-winner policy's."""
    if winner:
        return winner
    if experiment.no_winner == Experiment.NoWinner.FIRST:
        return LABELS[0]
    if experiment.no_winner == Experiment.NoWinner.BEST and rates:
        return max(rates, key=lambda label: (rates[label], -LABELS.index(label)))
    return ""


@transaction.atomic
def experiment_decided(*, experiment: Experiment, decision: dict,
                       now: dt.datetime | None = None) -> Experiment:
    """Record the result (reports/experiments.py worked it out) and carry out what it says:
    the winner's push gets the chosen variant and goes, once the test accounts carry the
    exclusion tag (route tags_not, campaigns/held.py) or at once (buckets); with no variant
    chosen it is cancelled. Each step a move of the state machines, audited."""
    experiment = Experiment.objects.select_for_update().select_related("campaign").get(
        pk=experiment.pk)
    if experiment.status != Experiment.Status.TESTING:
        return experiment
    rates = {arm["label"]: arm["rate"] for arm in decision.get("arms", []) if arm["reached"]}
    label = chosen_label(experiment, winner=decision.get("winner", ""), rates=rates)
    decision = {**decision, "sent": label}
    winner = pushes_of(experiment)[WINNER]
    audit_record(actor=None, verb="experiment.decided", subject=experiment.campaign,
                 reason=decision.get("reason", ""), winner=decision.get("winner", ""),
                 sent=label, p_value=decision.get("p_value"))
    done = {"decision": decision, "decided_at": now or timezone.now()}
    if not label:
        campaign_transition(winner, to=Status.CANCELLED, from_=[Status.HELD],
                            reason="ab_no_winner")
        _move(experiment, to=Experiment.Status.STOPPED, **done)
        return experiment
    variant = next(v for v in experiment.variants if v["label"] == label)
    Campaign.objects.filter(pk=winner.pk).update(push=winner_push(experiment, variant))
    _move(experiment, to=Experiment.Status.WINNER_BOOKED, **done)
    if experiment.route == Experiment.Route.TAGS_NOT:
        held.leave_out(winner, tag=exclusion_tag(experiment),
                       tags=[bucket_tag(b) for v in experiment.variants for b in v["buckets"]])
    else:
        held.release(winner, reason="ab_winner")
    return experiment


# --- words ---------------------------------------------------------------------------------

def describe_experiment_event(event: AuditEvent) -> dict:
    params = event.params
    if event.verb == "experiment.status":
        return status_words(dict(Experiment.Status.choices), params)
    return {"words": decision_words(params)}


def decision_words(decision: dict) -> str:
    """What the test decided and what was sent, in words."""
    sent, winner = decision.get("sent", ""), decision.get("winner", "")
    p_value = decision.get("p_value")
    p = f"p = {p_value:.4f}" if isinstance(p_value, (int, float)) else ""
    if decision.get("reason") == "significant":
        words = _("variant %(label)s won (%(p)s)") % {"label": winner, "p": p}
    elif decision.get("reason") == "too_few":
        words = _("too few accounts reached to decide")
    else:
        words = _("no variant won (%(p)s)") % {"p": p}
    if not winner:
        words = clauses([words, _("variant %(label)s is sent to everyone else") % {
            "label": sent} if sent else _("nothing more is sent")])
    return words


def experiment_json(experiment: Experiment) -> dict:
    """The test as the API shows it: its plan, status, pushes and decision."""
    pushes = pushes_of(experiment)
    campaign = experiment.campaign
    cost = experiment_cost(campaign, variants=len(experiment.variants), send_at=campaign.send_at,
                           wait_minutes=experiment.wait_minutes) if campaign.send_at else None
    return {"campaign": campaign.pk, "status": experiment.status,
            "status_text": experiment.get_status_display(), "variants": [
                {**v, "push": pushes[v["label"]].pk if v["label"] in pushes else None,
                 "push_status": pushes[v["label"]].status if v["label"] in pushes else None}
                for v in experiment.variants],
            "wait_minutes": experiment.wait_minutes, "significance": experiment.significance,
            "min_sample": experiment.min_sample, "no_winner": experiment.no_winner,
            "route": experiment.route, "send_at": campaign.send_at,
            "winner_push": pushes[WINNER].pk if WINNER in pushes else None,
            "cost": cost_words(cost) if cost else "",
            "decision": experiment.decision or None, "decided_at": experiment.decided_at,
            "decision_text": decision_words(experiment.decision) if experiment.decision else ""}
