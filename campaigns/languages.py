"""One campaign, several languages: a version of the message per language (Simplified Chinese,
English, any other), each pushed to the accounts whose language attribute or `lang:` tag
(LANGUAGE_TAG_PREFIX) says so, and the campaign's own message as the default version for
everyone else. One push per language and one for the default, each a child campaign booked
through the one booking door, so their cost is known and booked before anything is saved.

Everyone else: im_push cannot leave accounts out (no TagsNot), so the default version goes
with timpush/push and a TagsNot of one tag, which the known accounts with a chosen language are
given when its time comes (campaigns/held.py), or of the one language tag itself when there is
a single version by tags (the same under both readings of TagsNot, spec §3.1 [UNCERTAIN]). An
app without timpush/push sends no default version, and the page says who then gets nothing."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audience.selectors import (attribute_names, audience_reach, missing_value_count,
                                value_counts)
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.text import clauses, words_list

from . import held
from .models import Campaign
from .permissions import contributor_ids, require_may_choose_times, require_may_undo
from .quota import pushes_left_on, quota_day_of, quota_limit
from .services import push_errors
from .states import approval_required, campaign_transition
from .versions import (book_version, day_words, message_field_errors, normal_message,
                       send_time_errors, version_child, version_push_errors, with_message)

Status = Campaign.Status
BY_ATTRIBUTE, BY_TAGS = "attr", "tags"
TAGS_NOT, NO_DEFAULT = "tags_not", "none"
DEFAULT = "*"  # the default version's `language`
MAX_VERSIONS = 10
# A BCP 47 language tag as people write them: "zh-Hans", "en", "pt-BR", "yue".
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


def is_language(value: str) -> bool:
    return bool(LANGUAGE.match(value or ""))


def exclusion_tag(campaign: Campaign) -> str:
    return f"{settings.LANGUAGE_TAG_PREFIX}marked:{campaign.pk}"


def language_counts(campaign: Campaign, *, by: str, key: str) -> dict[str, int]:
    """Each language the campaign's audience's known accounts hold, with how many hold it."""
    condition = campaign.push.get("Condition") or None
    if by == BY_ATTRIBUTE:
        values = value_counts(attribute=key, condition=condition, app=campaign.app) if key \
            else {}
    else:
        values = value_counts(tag_prefix=settings.LANGUAGE_TAG_PREFIX, condition=condition,
                              app=campaign.app)
    return {value: n for value, n in sorted(values.items()) if is_language(value)}


# --- the pushes ----------------------------------------------------------------------------

def _language_condition(condition: dict | None, *, by: str, key: str, language: str) -> dict:
    condition = dict(condition or {})
    if by == BY_ATTRIBUTE:
        condition["AttrsAnd"] = {**condition.get("AttrsAnd", {}), key: language}
    else:
        condition["TagsAnd"] = [*condition.get("TagsAnd", []),
                                settings.LANGUAGE_TAG_PREFIX + language]
    return condition


def version_push(campaign: Campaign, version: dict, *, by: str, key: str) -> dict:
    return {**with_message(campaign.push, version),
            "Condition": _language_condition(campaign.push.get("Condition"), by=by, key=key,
                                             language=version["language"])}


def _single_tag(plan: dict) -> str:
    """The one language tag a default version can leave out by itself, or ""."""
    if plan["by"] == BY_TAGS and len(plan["versions"]) == 1:
        return settings.LANGUAGE_TAG_PREFIX + plan["versions"][0]["language"]
    return ""


def default_push(campaign: Campaign, plan: dict) -> dict:
    """The campaign's own message to its audience but the accounts with a chosen language."""
    tag = _single_tag(plan) or exclusion_tag(campaign)
    return {**campaign.push, "Condition": {**(campaign.push.get("Condition") or {}),
                                           "TagsNot": [tag]}}


# --- the plan, checked ---------------------------------------------------------------------

def plan_errors(campaign: Campaign, *, by, key, versions, default) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    condition = campaign.push.get("Condition") or {}
    if by == BY_ATTRIBUTE:
        if key not in attribute_names(campaign.app).values():
            errors["attribute"] = [_("Choose one of the app's attribute names")]
        elif any(k.startswith("Tags") for k in condition):
            errors["by"] = [_("This campaign targets tags, and Tencent refuses tags and "
                              "attributes together: read the languages from tags instead")]
    elif by == BY_TAGS:
        if any(k.startswith("Attrs") for k in condition):
            errors["by"] = [_("This campaign targets attributes, and Tencent refuses tags and "
                              "attributes together: read the languages from an attribute "
                              "instead")]
    else:
        errors["by"] = [_("Choose where the languages are: an attribute or tags")]
    if default not in (TAGS_NOT, NO_DEFAULT):
        errors["default"] = [_("Choose whether everyone else gets the campaign's own message "
                               "(timpush/push with TagsNot) or nothing")]
    elif default == TAGS_NOT and any(k.startswith("Attrs") for k in condition):
        errors["default"] = [_("Everyone else is reached with TagsNot, a tag condition, and "
                               "Tencent refuses tags and attributes together: this audience is "
                               "by attributes, so choose no default version")]
    if not isinstance(versions, list) or not 1 <= len(versions) <= MAX_VERSIONS:
        errors["versions"] = [_("Give 1 to %(max)d language versions") % {"max": MAX_VERSIONS}]
        return errors
    seen: set[str] = set()
    for i, version in enumerate(versions):
        field = f"versions[{i}]"
        if not isinstance(version, dict):
            errors[field] = [_("Each version is an object with its language and message")]
            continue
        language = version.get("language")
        if not isinstance(language, str) or not is_language(language):
            errors[f"{field}.language"] = [_(
                "A language is written like zh-Hans, en or pt-BR (letters, then parts after "
                "hyphens)")]
            continue
        if language.lower() in seen:
            errors[f"{field}.language"] = [_("%(language)s has two versions: give each "
                                             "language one") % {"language": language}]
        seen.add(language.lower())
        errors.update(message_field_errors(field, language, version))
        unknown = sorted(set(version) - {"language", "title", "text", "image", "ext"})
        if unknown:
            errors[field] = [_("%(language)s: fields this product does not know: %(fields)s")
                             % {"language": language, "fields": words_list(unknown)}]
    if not errors:
        plan = {"by": by, "key": key, "versions": versions}
        for i, version in enumerate(versions):
            errors.update(version_push_errors(f"versions[{i}]", version["language"],
                                              version_push(campaign, version, by=by, key=key),
                                              campaign.app))
        if default == TAGS_NOT:
            problems = push_errors({k: v for k, v in default_push(campaign, plan).items()
                                    if k != "Condition"}, campaign.app)
            if problems:
                errors["default"] = [m for ms in problems.values() for m in ms]
    return errors


def _checked(campaign: Campaign, *, by, key, versions, default, send_at) -> dict:
    errors = plan_errors(campaign, by=by, key=key, versions=versions, default=default)
    errors.update(send_time_errors(send_at, campaign.timezone))
    if errors:
        raise InvalidInput(errors)
    return {"by": by, "key": key if by == BY_ATTRIBUTE else "", "default": default,
            "versions": [{"language": v["language"], **normal_message(v)} for v in versions]}


# --- cost and reach ------------------------------------------------------------------------

def languages_cost(campaign: Campaign, *, versions: int, default: str,
                   send_at: dt.datetime) -> dict:
    day = quota_day_of(send_at, campaign.app)
    pushes = versions + (default == TAGS_NOT)
    return {"versions": versions, "default": default == TAGS_NOT, "pushes": pushes,
            "day": day, "limit": quota_limit(campaign.app),
            "remaining": pushes_left_on(day, app=campaign.app)}


def cost_words(cost: dict) -> str:
    """"2 languages + the default version = 3 of Tuesday 2026-12-08's 100 pushes (57 left)"."""
    share = _("%(n)d of %(day)s's %(limit)d pushes (%(left)d left)") % {
        "n": cost["pushes"], "day": day_words(cost["day"]), "limit": cost["limit"],
        "left": cost["remaining"]}
    if cost["default"]:
        return ngettext("%(n)d language + the default version = %(share)s",
                        "%(n)d languages + the default version = %(share)s",
                        cost["versions"]) % {"n": cost["versions"], "share": share}
    return ngettext("%(n)d language = %(share)s", "%(n)d languages = %(share)s",
                    cost["versions"]) % {"n": cost["versions"], "share": share}


def full_words(cost: dict) -> str:
    if cost["remaining"] >= cost["pushes"]:
        return ""
    return _("%(day)s has %(left)d of its %(limit)d pushes left and these versions need "
             "%(n)d: choose another time, or fewer languages") % {
        "day": day_words(cost["day"]), "left": cost["remaining"], "limit": cost["limit"],
        "n": cost["pushes"]}


def reach_words(campaign: Campaign, *, by: str, key: str, languages: list[str],
                default: str) -> list[str]:
    counts = language_counts(campaign, by=by, key=key)
    lines = [ngettext("%(language)s: %(n)s known account.",
                      "%(language)s: %(n)s known accounts.", counts.get(language, 0))
             % {"language": language, "n": intcomma(counts.get(language, 0))}
             for language in languages]
    audience = audience_reach(campaign.push.get("Condition") or None,
                              app=campaign.app)["matching"]
    versioned = sum(counts.get(language, 0) for language in languages)
    if default == TAGS_NOT:
        lines.append(_("Everyone else in the audience gets the campaign's own message "
                       "(timpush/push), accounts this product has never seen included: about "
                       "%(n)s known accounts. The accounts with a chosen language are left out "
                       "by one tag (TagsNot).") % {"n": intcomma(max(0, audience - versioned))})
    else:
        missing = missing_value_count(attribute=key, app=campaign.app) if by == BY_ATTRIBUTE \
            else missing_value_count(tag_prefix=settings.LANGUAGE_TAG_PREFIX, app=campaign.app)
        lines.append(_("No default version: accounts without a chosen language get no push, "
                       "%(n)s known accounts with no language among them, and every account "
                       "this product has never seen (im_push cannot leave the others out).")
                     % {"n": intcomma(missing)})
    return lines


# --- booking -------------------------------------------------------------------------------

@transaction.atomic
def languages_plan(*, campaign: Campaign, user, by: str, key: str = "", versions,
                   default: str = TAGS_NOT, send_at: dt.datetime | None = None) -> Campaign:
    """Save the versions on a draft and, with approval off, book them at once (every push or
    none). With approval on, the draft keeps them as a plan its approval books."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.DRAFT or campaign.parent_id or campaign.series_id:
        raise TransitionRefused(_("Language versions are set up on a draft campaign: edit the "
                                  "campaign to return it to draft first"))
    send_at = send_at or campaign.send_at
    plan = _checked(campaign, by=by, key=key, versions=versions, default=default,
                    send_at=send_at)
    campaign.language_plan = plan
    campaign.send_at = send_at
    campaign.save(update_fields=["language_plan", "send_at", "updated_at"])
    audit_record(actor=user, verb="campaign.languages_planned", subject=campaign,
                 languages=words_list(v["language"] for v in plan["versions"]))
    if not approval_required():
        languages_book(campaign=campaign, user=user)
    return campaign


@transaction.atomic
def languages_book(*, campaign: Campaign, user) -> list[Campaign]:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    bookable = Status.APPROVED if approval_required() else Status.DRAFT
    if campaign.status != bookable or not campaign.language_plan:
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be sent in several languages"))
    if approval_required():
        require_may_choose_times(user, campaign)
    stored = campaign.language_plan
    plan = _checked(campaign, by=stored["by"], key=stored["key"], versions=stored["versions"],
                    default=stored["default"], send_at=campaign.send_at)
    cost = languages_cost(campaign, versions=len(plan["versions"]), default=plan["default"],
                          send_at=campaign.send_at)
    if full_words(cost):
        raise InvalidInput({"send_at": [full_words(cost)]})
    authors = sorted(contributor_ids(campaign))
    children = [_child(campaign, version["language"],
                       version_push(campaign, version, by=plan["by"], key=plan["key"]),
                       authors) for version in plan["versions"]]
    for child in children:
        _book(child, user=user, at=campaign.send_at, to=Status.SCHEDULED)
    if plan["default"] == TAGS_NOT:
        default = _child(campaign, DEFAULT, default_push(campaign, plan), authors,
                         endpoint=Campaign.Endpoint.TIMPUSH)
        if _single_tag(plan):  # its TagsNot is the language's own tag: nothing to mark
            _book(default, user=user, at=campaign.send_at, to=Status.SCHEDULED)
        else:
            _book(default, user=user, at=campaign.send_at, to=Status.HELD)
            languages = [v["language"] for v in plan["versions"]]
            if plan["by"] == BY_ATTRIBUTE:
                held.leave_out(default, tag=exclusion_tag(campaign), attr=plan["key"],
                               values=languages)
            else:
                held.leave_out(default, tag=exclusion_tag(campaign), tags=[
                    settings.LANGUAGE_TAG_PREFIX + language for language in languages])
        children.append(default)
    if not campaign_transition(campaign, to=Status.BY_LANGUAGE, actor=user, from_=[bookable],
                               reason="by_language", params={"pushes": len(children)}):
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be sent in several languages"))
    return children


def _child(campaign: Campaign, language: str, push: dict, authors: list[int],
           endpoint: str = Campaign.Endpoint.IM_PUSH) -> Campaign:
    # "Sale · zh-Hans", and "Sale · *" for everyone else: the same in every language.
    return version_child(campaign, label=language, push=push, authors=authors,
                         endpoint=endpoint, language=language)


def _book(child: Campaign, *, user, at: dt.datetime, to: str) -> None:
    book_version(child, user=user, at=at, to=to, which=_("The default version")
                 if child.language == DEFAULT else child.language)


@transaction.atomic
def languages_cancel(*, campaign: Campaign, user) -> Campaign:
    """Cancel the campaign and each of its language pushes not sent yet."""
    require_may_undo(user, campaign.created_by_id)
    if not campaign_transition(campaign, to=Status.CANCELLED, actor=user,
                               from_=[Status.BY_LANGUAGE]):
        raise TransitionRefused(_("Only a campaign sent in several languages can be cancelled "
                                  "here"))
    for child in campaign.buckets.filter(status__in=(Status.SCHEDULED, Status.HELD)):
        campaign_transition(child, to=Status.CANCELLED, actor=user,
                            from_=[Status.SCHEDULED, Status.HELD])
    return campaign


def plan_view(campaign: Campaign) -> dict | None:
    """A draft's language versions as its page and the approver see them: each version's
    message, the cost and who is reached."""
    plan = campaign.language_plan
    if not plan:
        return None
    versions = [{**v, "push": version_push(campaign, v, by=plan["by"], key=plan["key"])}
                for v in plan["versions"]]
    words = clauses([_("Versions in %(languages)s") % {
        "languages": words_list(v["language"] for v in versions)},
        _("everyone else gets the campaign's own message") if plan["default"] == TAGS_NOT
        else _("no default version")])
    cost = ""
    if campaign.send_at:
        cost = cost_words(languages_cost(campaign, versions=len(versions),
                                         default=plan["default"], send_at=campaign.send_at))
    return {"words": words, "versions": versions, "cost_words": cost}
