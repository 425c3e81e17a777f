"""Reads of the audience: attribute names, and how many known accounts a condition reaches."""

import logging

from django.core.cache import cache
from django.db.models import Count, Q

from core import tencent
from pushclient import TencentError

from .models import AccountAttr, AccountTag, AttributeName, KnownAccount


def attribute_names() -> dict[str, str]:
    """{"0": "sex", …}, the names campaign conditions may use."""
    return {str(a.index): a.name for a in AttributeName.objects.all()}


NAMES_CACHE_KEY = "tencent-attr-names"
NAMES_CACHE_SECONDS = 300


def attribute_names_for_rules() -> list[str] | None:
    """The names a condition may use: the synced list, or, while none is synced, the list read
    from Tencent (im_get_attr_name) and cached. None when neither can be had."""
    names = list(attribute_names().values())
    if names:
        return names
    cached = cache.get(NAMES_CACHE_KEY)
    if cached is not None:
        return cached
    try:
        names = list(tencent.client().members.get_attr_names().values())
    except TencentError as exc:
        logging.getLogger(__name__).warning("could not read attribute names: %s", exc.code)
        return None
    cache.set(NAMES_CACHE_KEY, names, NAMES_CACHE_SECONDS)
    return names


def audience_reach(condition: dict | None) -> dict:
    """Known accounts (those this product tagged or gave attributes) and how many match,
    with the push's semantics: And-part and Or-part must both hold (spec §5)."""
    known = KnownAccount.objects.values_list("account", flat=True)
    matching = known
    condition = condition or {}
    if condition.get("TagsAnd"):
        tags = set(condition["TagsAnd"])
        having_all = (AccountTag.objects.filter(tag__in=tags).values("account")
                      .annotate(n=Count("tag")).filter(n=len(tags)).values("account"))
        matching = matching.filter(account__in=having_all)
    if condition.get("TagsOr"):
        matching = matching.filter(account__in=AccountTag.objects.filter(
            tag__in=condition["TagsOr"]).values("account"))
    for name, value in (condition.get("AttrsAnd") or {}).items():
        matching = matching.filter(account__in=AccountAttr.objects.filter(
            name=name, value=value).values("account"))
    if condition.get("AttrsOr"):
        any_attr = Q()
        for name, value in condition["AttrsOr"].items():
            any_attr |= Q(name=name, value=value)
        matching = matching.filter(account__in=AccountAttr.objects.filter(any_attr)
                                   .values("account"))
    return {"known": known.count(), "matching": matching.count()}


def zone_counts(*, attribute: str = "", tag_prefix: str = "") -> dict[str, int]:
    """How many known accounts hold each value of a time-zone attribute, or each tag that
    starts with `tag_prefix` (the prefix removed): the zones local-time delivery may offer."""
    known = KnownAccount.objects.values("account")
    if attribute:
        rows = (AccountAttr.objects.filter(name=attribute, account__in=known)
                .values_list("value").annotate(n=Count("pk")).values_list("value", "n"))
        return dict(rows)
    rows = (AccountTag.objects.filter(tag__startswith=tag_prefix, account__in=known)
            .values_list("tag").annotate(n=Count("pk")).values_list("tag", "n"))
    return {tag[len(tag_prefix):]: n for tag, n in rows}


def zone_missing_count(*, attribute: str = "", tag_prefix: str = "") -> int:
    """Known accounts that hold no value of the time-zone attribute (no tag with the prefix):
    no push condition can select them, as a condition only asks for values accounts hold."""
    holders = AccountAttr.objects.filter(name=attribute) if attribute else \
        AccountTag.objects.filter(tag__startswith=tag_prefix)
    return KnownAccount.objects.exclude(account__in=holders.values("account")).count()
