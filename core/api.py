"""The JSON API's plumbing: one NinjaAPI, token authentication with roles, a parser that refuses
what the database cannot store, and every error in one shape:
{"error": "...", "errors": {"field": ["rule it broke", ...]}}. The OpenAPI description is
generated from the same schemas that validate requests."""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyHeader

from . import roles
from .errors import InvalidInput, NotPermitted, TransitionRefused, Unavailable, UpstreamFailed
from .text import json_or_error, unsafe_text_errors
from .tokens import token_user


class RoleRefused(Exception):
    pass


class SafeJSONParser(Parser):
    """Plain JSON objects only: no NaN or Infinity, no NUL or unpaired surrogates, no nesting
    deeper than people write."""

    def parse_body(self, request: HttpRequest):
        data = json_or_error(request.body, field="", invalid=_("The body is not valid JSON"))
        if not isinstance(data, dict):
            raise InvalidInput({"body": [_("The body must be a JSON object")]})
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        errors = unsafe_text_errors(result, "")
        if errors:
            raise InvalidInput(errors)
        return result


class ExactTimesEncoder(NinjaJSONEncoder):
    """Times to the microsecond with their offset, so a send_at reads back as it was sent."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class ExactTimesRenderer(JSONRenderer):
    encoder_class = ExactTimesEncoder


class TokenAuth(APIKeyHeader):
    """'Authorization: Token <token>' (or Bearer) with a token from POST /api/token/."""

    param_name = "Authorization"

    def __init__(self, role=roles.is_marketer):
        self.role = role
        super().__init__()

    def authenticate(self, request, key):
        scheme, _sep, raw = (key or "").partition(" ")
        if scheme not in ("Token", "Bearer") or not raw.strip() or "\x00" in raw:
            return None
        user = token_user(raw.strip())
        if user is None:
            return None
        if not self.role(user):
            raise RoleRefused
        request.user = user
        return user


marketer_auth = TokenAuth(roles.is_marketer)
admin_auth = TokenAuth(roles.is_admin)

class SchemaOnceAPI(NinjaAPI):
    """Builds the OpenAPI document once per prefix and language, not on every request: building
    it walks every operation and schema (about 0.4 s), and the routes never change once loaded."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._built_schemas:
            self._built_schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return copy.deepcopy(self._built_schemas[key])  # a caller may change its copy

    @cached_property
    def _built_schemas(self) -> dict:
        return {}


api = SchemaOnceAPI(
    title="Push campaigns API", version="2", urls_namespace="api",
    description="Compose and schedule Tencent Cloud Chat push campaigns and manage the "
                "audience. Every error answers {\"error\", \"errors\": {field: [rules]}}.",
    parser=SafeJSONParser(), renderer=ExactTimesRenderer(), auth=marketer_auth, docs_decorator=login_required,
)


class RuleOut(Schema):
    field: str = Field(description="The wire path, e.g. Condition.TagsOr")
    rule: str = Field(description="A stable rule id, e.g. tags.too_many")
    message: str = Field(description="The rule in the requester's language (Accept-Language)")


class ErrorOut(Schema):
    """Every error the API answers: a sentence, and for bad input the rules by field."""
    error: str
    errors: dict[str, list[str]] | None = None
    rules: list[RuleOut] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 429: ErrorOut}
# Endpoints that call Tencent while the caller waits also answer 502 when it cannot be reached.
UPSTREAM_ERRORS = {**ERRORS, 502: ErrorOut}
# Endpoints that need the job queue or the shared rate limiter (Redis) answer 503 without it.
UNAVAILABLE_ERRORS = {**ERRORS, 503: ErrorOut}


def error(request, status: int, message: str, errors: dict | None = None,
          rules: list[dict] | None = None):
    body = {"error": str(message)}
    if errors is not None:
        body["errors"] = errors
    if rules:
        body["rules"] = rules
    return api.create_response(request, body, status=status)


# What pydantic's rule types mean, in the caller's language.
RULE_WORDS = {
    "missing": gettext_lazy("%(field)s is required"),
    "string_type": gettext_lazy("%(field)s must be text"),
    "bool_type": gettext_lazy("%(field)s must be true or false"),
    "int_type": gettext_lazy("%(field)s must be a whole number"),
    "int_parsing": gettext_lazy("%(field)s must be a whole number"),
    "dict_type": gettext_lazy("%(field)s must be an object"),
    "list_type": gettext_lazy("%(field)s must be a list"),
    "too_short": gettext_lazy("%(field)s must not be empty"),
    "string_too_long": gettext_lazy("%(field)s is too long: at most %(max_length)s characters"),
    "too_long": gettext_lazy("%(field)s has too many items: at most %(max_length)s"),
    "greater_than_equal": gettext_lazy("%(field)s must be at least %(ge)s"),
    "less_than_equal": gettext_lazy("%(field)s must be at most %(le)s"),
    "extra_forbidden": gettext_lazy("%(field)s is not a field of this request"),
    "literal_error": gettext_lazy("%(field)s must be one of %(expected)s"),
    "enum": gettext_lazy("%(field)s must be one of %(expected)s"),
}


SCALAR_TAGS = {"str", "int", "float", "bool", "none", "dict", "list"}


def _field(loc) -> str:
    """The field a pydantic error location names, without its where-from ("body") and the
    member tags of a union ("dict[str,any]", "list[str]"), which name no field."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")
             and not (isinstance(p, str) and ("[" in p or p in SCALAR_TAGS))]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        field = _field(item.get("loc", ()))
        words = RULE_WORDS.get(item.get("type", ""))
        context = {"field": field, **{k: str(v) for k, v in (item.get("ctx") or {}).items()}}
        try:
            message = str(words) % context if words else f"{field}: {item.get('msg', '')}"
        except (KeyError, ValueError):
            message = f"{field}: {item.get('msg', '')}"
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return error(request, 400, _("Invalid input"), errors)


@api.exception_handler(InvalidInput)
def _invalid(request, exc: InvalidInput):
    return error(request, 400, _("Invalid input"), exc.errors, exc.rules)


@api.exception_handler(TransitionRefused)
def _refused(request, exc):
    return error(request, 409, str(exc))


@api.exception_handler(NotPermitted)
def _not_permitted(request, exc):
    return error(request, 403, str(exc))


@api.exception_handler(UpstreamFailed)
def _upstream(request, exc):
    return error(request, 502, str(exc))


@api.exception_handler(Unavailable)
def _unavailable(request, exc):
    return error(request, 503, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error(request, 401, _("Authentication required: send 'Authorization: Token "
                                 "<token>' with a token from POST /api/token/"))


@api.exception_handler(RoleRefused)
def _forbidden(request, exc):
    return error(request, 403, _("Your role does not allow this"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, _("Nothing at %(path)s: check the URL and the id")
                 % {"path": request.path})


def not_found(request, exception=None):
    """The site's 404: under /api/ in the API's shape, like every other API answer."""
    if request.path.startswith("/api/"):
        return _not_found(request, exception)
    return page_not_found(request, exception)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja wraps whatever the parser raised; answer with what it was.
    if isinstance(exc.__cause__, InvalidInput):
        return _invalid(request, exc.__cause__)
    if isinstance(exc.__cause__, MultiPartParserError):
        return _bad_multipart(request, exc.__cause__)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _too_big(request, exc.__cause__)
    return error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error(request, 413, _("The request body is larger than the server accepts"))


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    return error(request, 400, _("The multipart upload could not be read"))


def json_errors_under_api(get_response):
    """Answers the API gives outside its views (405 for an unknown method, Django's 400 for an
    oversized body) in the API's one error shape too."""
    def middleware(request):
        response = get_response(request)
        if request.path.startswith("/api/") and 400 <= response.status_code < 600 and \
                not response.get("Content-Type", "").startswith("application/json") and \
                not request.path.startswith("/api/docs"):
            words = {405: _("%(method)s is not allowed here; allowed: %(allowed)s") % {
                "method": request.method, "allowed": response.get("Allow", "")},
                400: _("The request could not be read (too large or malformed)")}
            body = {"error": words.get(response.status_code, response.reason_phrase)}
            replacement = JsonResponse(body, status=response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
    return middleware
