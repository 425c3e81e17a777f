"""Apps in the JSON API (admins): list, add, change. Secrets are write-only: the answers say
whether one is set, never what it is."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StrictBool, StrictInt

from .api import ERRORS, admin_auth
from .chat_apps import app_save, apps_for, default_app, sdkappid_of
from .models import App

router = Router(tags=["apps"])


class AppOut(Schema):
    slug: str
    name: str
    sdkappid: int
    region: str
    base_url: str
    admin_identifier: str
    daily_limit: int | None = Field(description="null: PUSH_DAILY_QUOTA")
    quota_timezone: str
    calls_per_second: int
    batch_calls_per_second: int
    staging: bool
    default: bool = Field(description="Made from the TIM_* settings; requests naming no app "
                                      "use it")
    secret_key_set: bool
    callback_token_set: bool


class AppIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=100)
    slug: str | None = Field(None, max_length=40)
    sdkappid: StrictInt | None = None
    region: str | None = Field(None, max_length=20)
    base_url: str | None = Field(None, max_length=200)
    admin_identifier: str | None = Field(None, max_length=64)
    daily_limit: StrictInt | None = None
    quota_timezone: str | None = Field(None, max_length=64)
    calls_per_second: StrictInt | None = None
    batch_calls_per_second: StrictInt | None = None
    staging: StrictBool | None = None
    secret_key: str | None = Field(None, max_length=200, description="Write-only")
    callback_token: str | None = Field(None, max_length=200, description="Write-only")


def app_json(app: App) -> dict:
    return {"slug": app.slug, "name": str(app.label), "sdkappid": sdkappid_of(app),
            "region": app.region, "base_url": app.base_url,
            "admin_identifier": app.admin_identifier, "daily_limit": app.daily_limit,
            "quota_timezone": app.quota_timezone, "calls_per_second": app.calls_per_second,
            "batch_calls_per_second": app.batch_calls_per_second, "staging": app.staging,
            "default": app.from_settings,
            "secret_key_set": app.from_settings or bool(app.secret_key_sealed),
            "callback_token_set": bool(app.callback_token_sealed)}


def _values(body: AppIn) -> tuple[dict, str | None, str | None]:
    values = body.dict(exclude_unset=True)
    return values, values.pop("secret_key", None), values.pop("callback_token", None)


@router.get("/apps/", response={200: list[AppOut], **ERRORS}, auth=admin_auth)
def apps(request):
    default_app()
    return [app_json(app) for app in apps_for(request.user)]


@router.post("/apps/", response={201: AppOut, **ERRORS}, auth=admin_auth)
def app_create(request, body: AppIn):
    values, secret_key, callback_token = _values(body)
    return Status(201, app_json(app_save(user=request.user, values=values,
                                         secret_key=secret_key, callback_token=callback_token)))


@router.patch("/apps/{slug}/", response={200: AppOut, **ERRORS}, auth=admin_auth)
def app_change(request, slug: str, body: AppIn):
    app = get_object_or_404(App, slug=slug)
    values, secret_key, callback_token = _values(body)
    return app_json(app_save(user=request.user, app=app, values=values, secret_key=secret_key,
                             callback_token=callback_token))
