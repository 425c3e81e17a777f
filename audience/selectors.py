"""Reads of an app's audience: its attribute names, how many of its known accounts a condition
reaches, what its mirror holds on an account or a tag, and a job's progress. Every read is of
one app (the default app's when none is named, as for one-app scripts)."""

import logging

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import tencent
from core.audit import status_words
from core.chat_apps import app_or_default
from core.models import App, AuditEvent
from pushclient import TencentError

from .models import AccountAttr, AccountTag, AttributeName, Job, KnownAccount, Segment


def attribute_names(app: App | None = None) -> dict[str, str]:
    """{"0": "sex", …}: the app's names, the ones its campaigns' conditions may use."""
    return {str(a.index): a.name
            for a in AttributeName.objects.filter(app=app_or_default(app))}


NAMES_CACHE_KEY = "tencent-attr-names"
NAMES_CACHE_SECONDS = 300


def attribute_names_for_rules(app: App | None = None) -> list[str] | None:
    """The names a condition of the app may use: the synced list, or, while none is synced,
    the list read from Tencent (im_get_attr_name) and cached. None when neither can be had."""
    app = app_or_default(app)
    names = list(attribute_names(app).values())
    if names:
        return names
    key = f"{NAMES_CACHE_KEY}:{app.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        names = list(tencent.client(app).members.get_attr_names().values())
    except TencentError as exc:
        logging.getLogger(__name__).warning("could not read attribute names of app %s: %s",
                                            app.slug, exc.code)
        return None
    cache.set(key, names, NAMES_CACHE_SECONDS)
    return names


def audience_reach(condition: dict | None, *, app: App | None = None) -> dict:
    """The app's known accounts (those this product tagged or gave attributes) and how many
    match, with the push's semantics: And-part and Or-part must both hold (spec §5)."""
    app = app_or_default(app)
    known = KnownAccount.objects.filter(app=app)
    return {"known": known.count(), "matching": _matching(condition, app).count()}


def audience_reach_total(conditions: list[dict | None], *, app: App | None = None) -> int:
    """The sum of each condition's matching accounts of the app, in one query (a split's
    buckets)."""
    if not conditions:
        return 0
    app = app_or_default(app)
    counts = KnownAccount.objects.filter(app=app).aggregate(**{
        f"c{i}": Count("pk", filter=Q(pk__in=_matching(c, app).values("pk")))
        for i, c in enumerate(conditions)})
    return sum(counts.values())


def _matching(condition: dict | None, app: App):
    matching = KnownAccount.objects.filter(app=app).values_list("account", flat=True)
    tags, attrs = AccountTag.objects.filter(app=app), AccountAttr.objects.filter(app=app)
    condition = condition or {}
    if condition.get("TagsAnd"):
        wanted = set(condition["TagsAnd"])
        having_all = (tags.filter(tag__in=wanted).values("account")
                      .annotate(n=Count("tag")).filter(n=len(wanted)).values("account"))
        matching = matching.filter(account__in=having_all)
    if condition.get("TagsOr"):
        matching = matching.filter(account__in=tags.filter(
            tag__in=condition["TagsOr"]).values("account"))
    for name, value in (condition.get("AttrsAnd") or {}).items():
        matching = matching.filter(account__in=attrs.filter(
            name=name, value=value).values("account"))
    if condition.get("AttrsOr"):
        any_attr = Q()
        for name, value in condition["AttrsOr"].items():
            any_attr |= Q(name=name, value=value)
        matching = matching.filter(account__in=attrs.filter(any_attr).values("account"))
    return matching


def value_counts(*, attribute: str = "", tag_prefix: str = "", condition: dict | None = None,
                 app: App | None = None) -> dict[str, int]:
    """How many of the app's known accounts (those a push `condition` selects, given one) hold
    each value of an attribute, or each tag that starts with `tag_prefix` (the prefix removed):
    the zones local-time delivery may offer, the languages a campaign may have versions in.
    One grouped query."""
    app = app_or_default(app)
    known = _matching(condition, app) if condition else \
        KnownAccount.objects.filter(app=app).values("account")
    if attribute:
        rows = (AccountAttr.objects.filter(app=app, name=attribute, account__in=known)
                .values_list("value").annotate(n=Count("pk")).values_list("value", "n"))
        return dict(rows)
    rows = (AccountTag.objects.filter(app=app, tag__startswith=tag_prefix, account__in=known)
            .values_list("tag").annotate(n=Count("pk")).values_list("tag", "n"))
    return {tag[len(tag_prefix):]: n for tag, n in rows}


def missing_value_count(*, attribute: str = "", tag_prefix: str = "",
                        app: App | None = None) -> int:
    """The app's known accounts that hold no value of the attribute (no tag with the prefix):
    no push condition can select them, as a condition only asks for values accounts hold."""
    app = app_or_default(app)
    holders = AccountAttr.objects.filter(app=app, name=attribute) if attribute else \
        AccountTag.objects.filter(app=app, tag__startswith=tag_prefix)
    return KnownAccount.objects.filter(app=app).exclude(
        account__in=holders.values("account")).count()


def account_profile(account: str, *, app: App | None = None) -> dict:
    """What the app's mirror holds on one account: whether this product ever tagged it or gave
    it attributes, and the tags and attributes it last set."""
    app = app_or_default(app)
    return {"account": account,
            "known": KnownAccount.objects.filter(app=app, account=account).exists(),
            "tags": list(AccountTag.objects.filter(app=app, account=account).order_by("tag")
                         .values_list("tag", flat=True)),
            "attrs": list(AccountAttr.objects.filter(app=app, account=account).order_by("name")
                          .values_list("name", "value"))}


TAGS_SHOWN = 200


def tag_sizes(*, app: App | None = None, limit: int = TAGS_SHOWN) -> list[tuple[str, int]]:
    """The tags the app's mirror holds, each with how many accounts hold it, the largest
    first."""
    return list(AccountTag.objects.filter(app=app_or_default(app)).values_list("tag")
                .annotate(n=Count("pk")).order_by("-n", "tag").values_list("tag", "n")[:limit])


def segment_summaries(*, app: App | None = None, limit: int = 20) -> list[dict]:
    """The app's latest segments, each with the tags its finished jobs added: which tag reaches
    a segment's accounts, for the campaign editor and the Audiences page."""
    segments = list(Segment.objects.filter(app=app_or_default(app))
                    .order_by("-created_at")[:limit])
    tagged: dict[int, list[str]] = {s.pk: [] for s in segments}
    for segment_id, tags in Job.objects.filter(
            segment__in=segments, action=Job.Action.ADD_TAGS, status=Job.Status.DONE
    ).order_by("created_at").values_list("segment_id", "tags"):
        tagged[segment_id] += [t for t in tags if t not in tagged[segment_id]]
    return [{"segment": s, "tags": tagged[s.pk]} for s in segments]


def job_progress(job: Job) -> dict:
    """What a progress page shows, first from the server and then from progress.json: the
    counts, the rate over the job's run (start to finish once it has ended, so a finished job
    keeps the rate it ran at), and only while it is active the seconds left at that rate.
    `shown` holds the same numbers as the reader's language writes them."""
    elapsed = ((job.finished_at or timezone.now()) - job.started_at).total_seconds() \
        if job.started_at else 0
    rate = (job.done + job.failed) / elapsed if elapsed > 0 else 0
    left = max(job.total - job.done - job.failed, 0)
    seconds_left = round(left / rate) if job.is_active and rate else None
    return {"status": job.status, "status_label": job.get_status_display(),
            "total": job.total, "done": job.done, "failed": job.failed, "rate": round(rate),
            "seconds_left": seconds_left,
            "shown": {"done": intcomma(job.done), "failed": intcomma(job.failed),
                      "rate": intcomma(round(rate)),
                      "left": "—" if seconds_left is None else intcomma(seconds_left)}}


def segment_stored_words(segment: Segment) -> str:
    """What a person is told once a segment is stored: imported, or being imported."""
    if segment.status == Segment.Status.IMPORTING:
        return _("The file is stored and a worker is importing it; a job started now begins "
                 "when the import is done.")
    parts = {"stored": ngettext("%(n)s account stored", "%(n)s accounts stored", segment.size),
             "duplicates": ngettext("%(n)s duplicate", "%(n)s duplicates", segment.duplicates),
             "invalid": ngettext("%(n)s invalid line", "%(n)s invalid lines",
                                 segment.invalid_count)}
    counts = {"stored": segment.size, "duplicates": segment.duplicates,
              "invalid": segment.invalid_count}
    return _("%(stored)s; %(duplicates)s and %(invalid)s dropped.") % {
        key: words % {"n": f"{counts[key]:,}"} for key, words in parts.items()}


def describe_audience_event(event: AuditEvent) -> dict:
    """Words for what only the audience app can word: a job's action, a job's or a segment's
    status."""
    params = event.params
    if event.verb in ("job.created", "account.changed"):
        key = "action" if event.verb == "job.created" else "operation"
        code = params.get(key, "")
        return {key: dict(Job.Action.choices).get(code, code)}
    model = Job if event.verb == "job.status" else Segment
    return status_words(dict(model.Status.choices), params)
