"""Apps (one Tencent SDKAppID each): the default one, who may use which, their connections,
and how admins add and change them.

The default app is the one made from the TIM_* settings; it is made on first use, so an
install with one app never has to know apps exist, and a request or script that names no app
means it."""

from __future__ import annotations

import re
import zoneinfo
import dataclasses
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushclient.client import REGIONS

from .audit import audit_record
from .encryption import can_seal, open_sealed, seal
from .errors import InvalidInput
from .models import App
from .roles import is_admin

DEFAULT_SLUG = "main"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_SDKAPPID = 2**32 - 1


@dataclass(frozen=True)
class Connection:
    """What pushclient needs to call Tencent as an app, and the limits Tencent keeps for it."""

    sdkappid: int
    secret_key: str = dataclasses.field(repr=False)
    admin_identifier: str
    region: str
    base_url: str
    callback_token: str = dataclasses.field(repr=False)
    calls_per_second: int
    batch_calls_per_second: int


def default_app() -> App:
    """The app made from the TIM_* settings, made on first use (and after a test flushed it)."""
    app = App.objects.filter(from_settings=True).first()
    if app is not None:
        return app
    try:
        with transaction.atomic():
            return App.objects.create(
                from_settings=True, slug=DEFAULT_SLUG, name=settings.TIM_APP_NAME,
                sdkappid=settings.TIM_SDKAPPID, region=settings.TIM_REGION,
                admin_identifier=settings.TIM_ADMIN_IDENTIFIER,
                quota_timezone=settings.PUSH_QUOTA_TIMEZONE,
                calls_per_second=settings.TIM_CALLS_PER_SECOND,
                batch_calls_per_second=settings.TIM_BATCH_CALLS_PER_SECOND)
    except IntegrityError:  # made at the same moment by another process
        return App.objects.get(from_settings=True)


def default_app_id() -> int:
    """The default of every row's app. Reads the id alone: migrations call it too, on tables
    that do not yet have the columns later migrations add."""
    pk = App.objects.filter(from_settings=True).values_list("pk", flat=True).first()
    return pk if pk is not None else default_app().pk


def app_or_default(app: App | None) -> App:
    """Callers that name no app (one-app scripts, the API without "app") mean the default."""
    return app if app is not None else default_app()


def app_field(**options):
    """The app a row belongs to; rows made with none (one-app scripts) are the default app's.
    `db_index=False` where an index or constraint leading with the app covers it already."""
    return models.ForeignKey(App, on_delete=models.PROTECT, related_name="+",
                             default=default_app_id, verbose_name=gettext_lazy("app"), **options)


def connection(app: App | None = None) -> Connection:
    """The app's connection; the default app's (None, or the app made from settings) is read
    from the TIM_* settings without the database."""
    if app is None or app.from_settings:
        return Connection(
            sdkappid=settings.TIM_SDKAPPID, secret_key=settings.TIM_SECRET_KEY,
            admin_identifier=settings.TIM_ADMIN_IDENTIFIER, region=settings.TIM_REGION,
            base_url=settings.TIM_API_BASE_URL, callback_token=settings.TIM_CALLBACK_TOKEN,
            calls_per_second=settings.TIM_CALLS_PER_SECOND,
            batch_calls_per_second=settings.TIM_BATCH_CALLS_PER_SECOND)
    return Connection(
        sdkappid=app.sdkappid, secret_key=open_sealed(app.secret_key_sealed),
        admin_identifier=app.admin_identifier, region=app.region, base_url=app.base_url,
        callback_token=open_sealed(app.callback_token_sealed),
        calls_per_second=app.calls_per_second, batch_calls_per_second=app.batch_calls_per_second)


def sdkappid_of(app: App) -> int:
    return settings.TIM_SDKAPPID if app.from_settings else app.sdkappid


def app_of_sdkappid(sdkappid) -> App | None:
    """The app a Tencent callback names by its SdkAppid, or None."""
    try:
        sdkappid = int(sdkappid)
    except (TypeError, ValueError):
        return None
    if sdkappid == settings.TIM_SDKAPPID:
        return default_app()
    return App.objects.filter(sdkappid=sdkappid, from_settings=False).first()


# --- people -------------------------------------------------------------------------------

def apps_for(user):
    """The apps a person works in: admins every app, anyone else those they were given (and
    the default app while they were given none, so a one-app install needs no assignments)."""
    default_app()
    if is_admin(user):
        return App.objects.all()
    given = App.objects.filter(people=user)
    return given if given.exists() else App.objects.filter(from_settings=True)


def app_for(user, slug: str | None) -> App | None:
    """The app `slug` names if the person works in it; with no slug, the default app, or the
    person's only app. None: no such app for them."""
    apps = apps_for(user)
    if slug:
        return apps.filter(slug=slug).first()
    return apps.filter(from_settings=True).first() or (apps.first() if apps.count() == 1 else None)


# --- admins' changes ----------------------------------------------------------------------

EDITABLE = ("name", "slug", "sdkappid", "region", "base_url", "admin_identifier", "daily_limit",
            "quota_timezone", "calls_per_second", "batch_calls_per_second", "staging")
# The default app's connection is the TIM_* settings': only these are its own.
EDITABLE_FROM_SETTINGS = ("name", "slug", "daily_limit", "staging")


def _check(values: dict, *, app: App | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    if "name" in values and not (values["name"] or "").strip() and not (
            app is not None and app.from_settings):  # blank: "Main app" in the reader's words
        refuse("name", _("Give the app a name"))
    if "slug" in values:
        if not SLUG.match(values["slug"] or ""):
            refuse("slug", _("The short name is 1 to 40 lower-case letters, digits and hyphens, "
                             "starting with a letter or digit (it appears in addresses)"))
        elif App.objects.filter(slug=values["slug"]).exclude(pk=getattr(app, "pk", None)).exists():
            refuse("slug", _("Another app already has this short name"))
    if "sdkappid" in values:
        sdkappid = values["sdkappid"]
        if isinstance(sdkappid, bool) or not isinstance(sdkappid, int) \
                or not 1 <= sdkappid <= MAX_SDKAPPID:
            refuse("sdkappid", _("The SDKAppID is the whole number Tencent's console shows "
                                 "for the app, such as 1400000000"))
        elif sdkappid == settings.TIM_SDKAPPID or App.objects.filter(sdkappid=sdkappid).exclude(
                pk=getattr(app, "pk", None)).exists():
            refuse("sdkappid", _("Another app already has this SDKAppID"))
    if values.get("region") and values["region"] not in REGIONS:
        refuse("region", _("The region is one of: %(regions)s")
               % {"regions": ", ".join(REGIONS)})
    if "base_url" in values and values["base_url"] and not re.match(
            r"^https?://[^\s/]+(:\d+)?/?$", values["base_url"]):
        refuse("base_url", _("The API address is a scheme and host, such as "
                             "https://adminapisgp.im.qcloud.com"))
    if ("region" in values or "base_url" in values) and values.get(
            "region", getattr(app, "region", "")) and values.get(
            "base_url", getattr(app, "base_url", "")):
        refuse("base_url", _("Give the region or the API address, not both: leave this empty "
                             "to use the region's address"))
    if "admin_identifier" in values and not (values["admin_identifier"] or "").strip():
        refuse("admin_identifier", _("Name the app's admin account (the console's App admin)"))
    if values.get("daily_limit") is not None:
        limit = values["daily_limit"]
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1_000_000:
            refuse("daily_limit", _("The daily limit must be a whole number of pushes from 1 "
                                    "to %(max)d") % {"max": 1_000_000})
    if "quota_timezone" in values:
        try:
            zoneinfo.ZoneInfo(values["quota_timezone"] or "")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            refuse("quota_timezone", _("Choose a time zone from the list"))
    for field, most in (("calls_per_second", 10_000), ("batch_calls_per_second", 1_000)):
        if field in values:
            value = values[field]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
                refuse(field, _("A whole number from 1 to %(max)d") % {"max": most})
    return errors


def app_errors(*, values: dict, app: App | None = None, secret_key: str | None = None,
               callback_token: str | None = None) -> dict[str, list[str]]:
    """Every rule an app's values break, by field: app_save's check, and the form's, so a
    form with a field of the wrong type still says every other rule at once."""
    editable = EDITABLE_FROM_SETTINGS if app is not None and app.from_settings else EDITABLE
    unknown = set(values) - set(editable)
    errors = {field: [_("This app takes this from the TIM_* settings; change it there")]
              for field in unknown} if app is not None and app.from_settings else \
        {field: [_("Unknown field")] for field in unknown}
    errors.update(_check(values, app=app))
    if app is None:
        for field in ("name", "slug", "sdkappid"):
            if field not in values:
                errors.setdefault(field, [_("This field is required")])
        if not (values.get("region") or values.get("base_url")):
            errors.setdefault("region", [_(
                "Choose the app's region (the console shows it), or give its API address")])
        if not secret_key:
            errors.setdefault("secret_key", [_(
                "Paste the app's secret key from Tencent's console (it is stored encrypted "
                "and never shown again)")])
    if (secret_key or callback_token) and not can_seal():
        errors.setdefault("secret_key", []).append(_(
            "This install cannot keep an app's secrets: its operator sets APP_SECRETS_KEY "
            "(docs/configuration.md) first"))
    return errors


@transaction.atomic
def app_save(*, user, values: dict, secret_key: str | None = None,
             callback_token: str | None = None, app: App | None = None) -> App:
    """Add an app, or change one. Secrets are written, never read back: None keeps the stored
    one. Audited without the secrets' values."""
    errors = app_errors(values=values, app=app, secret_key=secret_key,
                        callback_token=callback_token)
    if errors:
        raise InvalidInput(errors)
    creating = app is None
    app = app or App()
    # The trail names what changed, not every field a form sends back as it was.
    changed = sorted(field for field, value in values.items()
                     if creating or getattr(app, field) != value)
    for field, value in values.items():
        setattr(app, field, value)
    if secret_key:
        app.secret_key_sealed = seal(secret_key)
        changed.append("secret_key")
    if callback_token is not None and not app.from_settings:
        app.callback_token_sealed = seal(callback_token)
        changed.append("callback_token")
    app.save()
    if creating or changed:
        audit_record(actor=user, verb="app.created" if creating else "app.changed",
                     subject=app, fields=", ".join(changed))
    return app


def app_people_set(*, user, app: App, people) -> None:
    app.people.set(people)
    audit_record(actor=user, verb="app.people_set", subject=app,
                 people=", ".join(sorted(p.get_username() for p in people)))
