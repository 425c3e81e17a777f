"""Which app a page works in: the one the person switched to (kept in the session), else the
default app or their only one. The header's switcher changes it; opening something of another
of their apps (a link from a colleague) switches to that app, so the header never names another
app than the page shows."""

from __future__ import annotations

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpResponseRedirect, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .chat_apps import app_for, apps_for
from .errors import InvalidInput
from .models import App

SESSION_KEY = "app"
# Every form a page posts carries the app the page showed (added by app.js from <body data-app>).
PAGE_APP_FIELD = "page_app"


def _current(request) -> App | None:
    if not request.user.is_authenticated:
        return None
    return (_page_app(request) or app_for(request.user, request.session.get(SESSION_KEY))
            or app_for(request.user, None) or apps_for(request.user).first())


def _page_app(request) -> App | None:
    """A form works in the app its page showed, even when another tab has switched the session
    to another app since: a campaign composed under "Staging" is never saved into production."""
    if request.method != "POST":
        return None
    try:
        slug = request.POST.get(PAGE_APP_FIELD)
    except (SuspiciousOperation, MultiPartParserError, UnreadablePostError, BadRequest):
        return None  # the view reads the same body and answers its fault in words
    if not slug:
        return None
    app = app_for(request.user, slug)
    if app is None:
        raise Http404  # not (or no longer) one of theirs: as if it did not exist
    return app


def current_app(get_response):
    """Middleware: request.app, read on first use."""
    def middleware(request):
        request.app = SimpleLazyObject(lambda: _current(request))
        return get_response(request)
    return middleware


def make_current(request, app: App) -> None:
    request.session[SESSION_KEY] = app.slug
    request.app = app


def in_my_apps(request, queryset, **lookup):
    """The object of one of the person's apps (404 for anyone else's, as if it did not exist),
    its app made the current one."""
    found = mine(request, queryset, **lookup)
    if found.app_id != getattr(request.app, "pk", None):
        make_current(request, found.app)
    return found


@require_POST
def switch_app(request):
    app = app_for(request.user, request.POST.get("app", "")) if \
        request.user.is_authenticated else None
    if app is None:
        raise Http404
    make_current(request, app)
    back = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    return HttpResponseRedirect(back)


def app_context(request) -> dict:
    """For the header: the current app, and the others the person may switch to."""
    if not request.user.is_authenticated:
        return {}
    return {"current_app": request.app,
            "my_apps": SimpleLazyObject(lambda: list(apps_for(request.user)))}


def app_named(request, slug: str | None, *, field: str = "app") -> App:
    """The app an API request names (`"app": "<slug>"` or `?app=`), or, naming none, the
    default app or the person's only one; refused naming the field otherwise."""
    app = app_for(request.user, slug)
    if app is not None:
        return app
    if slug:
        raise InvalidInput({field: [_("There is no app “%(slug)s” among yours; yours are: "
                                      "%(apps)s") % {"slug": slug, "apps": _slugs(request)}]})
    raise InvalidInput({field: [_("You work in several apps: name one (%(apps)s)")
                                % {"apps": _slugs(request)}]})


def _slugs(request) -> str:
    return ", ".join(apps_for(request.user).values_list("slug", flat=True)) or "—"


def mine(request, queryset, **lookup):
    """For the API: the object of one of the person's apps, else 404 (as if it did not exist)."""
    return get_object_or_404(queryset.filter(app__in=apps_for(request.user)), **lookup)
