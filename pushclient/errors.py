"""One exception for every failed call, classified so callers decide by kind (spec §1.4)."""

from __future__ import annotations

import enum
import random


class ErrorKind(enum.StrEnum):
    AUTH = "auth"
    PERMISSION = "permission"
    RATE = "rate"
    QUOTA = "quota"
    RETRYABLE = "retryable"
    INVALID = "invalid"


SPACING_TOO_SHORT = 90024
DAILY_QUOTA_EXCEEDED = 90047
FEATURE_DISABLED = 90045
INTERNAL_ERROR = 91000
ACCOUNT_NOT_FOUND = 70107  # §1.3: per account in a timpush ErrorList
# timpush/revoke (§3.3, §3.5)
RECALL_NO_SUCH_TASK = 90049
RECALL_ALREADY_DONE = 90050
RECALL_TOO_FREQUENT = 90051
RECALL_WINDOW_PASSED = 90052
RECALL_NEEDS_OFFLINE_PUSH = 90053
# Codes for failures that never got a Tencent answer.
TRANSPORT_HTTP = -1
TRANSPORT_CONNECTION = -2
TRANSPORT_TIMEOUT = -3

_KIND_BY_CODE = {
    **dict.fromkeys((70001, 70002, 70003, 70004, 70005, 70006, 70007, 70008, 70009, 70010,
                     70013, 70014, 70016, 70050, 70052, 60004, 60005), ErrorKind.AUTH),
    **dict.fromkeys((60010, 90009, 70403, FEATURE_DISABLED, 60016, 60017, 60020, 60021),
                    ErrorKind.PERMISSION),
    **dict.fromkeys((60007, 60011, 60018, 60019, SPACING_TOO_SHORT, RECALL_TOO_FREQUENT),
                    ErrorKind.RATE),
    DAILY_QUOTA_EXCEEDED: ErrorKind.QUOTA,
    **dict.fromkeys((60008, 70169, 70202, 70500, INTERNAL_ERROR, TRANSPORT_HTTP,
                     TRANSPORT_CONNECTION, TRANSPORT_TIMEOUT), ErrorKind.RETRYABLE),
}

def gettext_noop(message: str) -> str:
    """Marks English words for `make messages`: pushclient speaks English and stays free of
    Django; the dashboard translates the same words where it shows them."""
    return message


# What each code means and what to do about it: the one table of Tencent's error meanings.
EXPLANATIONS = {
    70001: gettext_noop("The admin UserSig had expired. It is renewed automatically; send "
                        "again."),
    70003: gettext_noop("Tencent could not parse the admin UserSig. Check TIM_SECRET_KEY and "
                        "TIM_SDKAPPID."),
    70009: gettext_noop("The UserSig was signed with the wrong key. Check TIM_SECRET_KEY."),
    70013: gettext_noop("The UserSig belongs to another account than TIM_ADMIN_IDENTIFIER."),
    70014: gettext_noop("The UserSig belongs to another app than TIM_SDKAPPID."),
    60010: gettext_noop("TIM_ADMIN_IDENTIFIER is not an app admin in the Tencent console."),
    90009: gettext_noop("TIM_ADMIN_IDENTIFIER is not an app admin in the Tencent console."),
    SPACING_TOO_SHORT: gettext_noop("Two pushes came less than 1 second apart; the push is "
                                    "retried automatically."),
    DAILY_QUOTA_EXCEEDED: gettext_noop("Today's push quota is used up; the campaign moves to "
                                       "the next quota day."),
    FEATURE_DISABLED: gettext_noop("Push to all users is not enabled for this app in the "
                                   "Tencent console."),
    INTERNAL_ERROR: gettext_noop("Tencent had an internal error; the push is retried "
                                 "automatically."),
    60007: gettext_noop("Too many calls in one second; the call is retried."),
    TRANSPORT_HTTP: gettext_noop("Tencent's gateway answered with an HTTP error; retried "
                                 "automatically."),
    TRANSPORT_CONNECTION: gettext_noop("Tencent could not be reached; retried automatically."),
    TRANSPORT_TIMEOUT: gettext_noop("Tencent did not answer in time; whether the push went out "
                                    "is unknown."),
    ACCOUNT_NOT_FOUND: gettext_noop("No such account: it never logged in to the app and was "
                                    "never imported."),
    RECALL_NO_SUCH_TASK: gettext_noop(
        "Tencent has no record of this push to recall (error 90049). Only pushes made in the "
        "last 24 hours can be recalled; Tencent does not say whether pushes made through the "
        "classic all-member API can."),
    RECALL_ALREADY_DONE: gettext_noop("This push was already recalled (error 90050)."),
    RECALL_TOO_FREQUENT: gettext_noop("Tencent allows one recall a second; this one came too "
                                      "soon. Try again in a moment (error 90051)."),
    RECALL_WINDOW_PASSED: gettext_noop("Too late: Tencent recalls a push only within 24 hours "
                                       "of sending it (error 90052)."),
    RECALL_NEEDS_OFFLINE_PUSH: gettext_noop("Tencent needs the replacement notification's "
                                            "title and text to recall this push (error 90053)."),
}
REFUSED_SAYING = gettext_noop("Tencent refused the request: %(info)s")
REFUSED = gettext_noop("Tencent refused the request (error %(code)s).")


def classify(code: int) -> ErrorKind:
    return _KIND_BY_CODE.get(code, ErrorKind.INVALID)


def explain(code: int, info: str = "", *, translate=str) -> str:
    """What `code` means, in English or through `translate` (the dashboard passes gettext)."""
    if code in EXPLANATIONS:
        return translate(EXPLANATIONS[code])
    if info:
        return translate(REFUSED_SAYING) % {"info": info}
    return translate(REFUSED) % {"code": code}


class TencentError(Exception):
    """A call that did not succeed. `outcome_unknown` means it may have taken effect anyway."""

    def __init__(self, code: int, info: str, *, command: str = "", outcome_unknown: bool = False):
        super().__init__(f"{command or 'call'} failed: {code} {info}".strip())
        self.code = code
        self.info = info
        self.command = command
        self.outcome_unknown = outcome_unknown

    @property
    def kind(self) -> ErrorKind:
        return classify(self.code)

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.RETRYABLE


def backoff_seconds(retry: int, *, base: float = 0.25, cap: float = 60.0) -> float:
    """The one backoff rule for every retry owner (the client, bulk jobs, the dispatcher): the
    wait before retry number `retry` (1 for the first) doubles from `base` up to `cap`, spread
    over ±50 % so callers that failed together do not come back together."""
    return min(cap, base * 2 ** max(retry - 1, 0) * (0.5 + random.random()))
