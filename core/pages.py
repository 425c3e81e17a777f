"""What every page does alike: a refusal shown as messages or as form errors, and a dashboard
form too large for the server (DATA_UPLOAD_MAX_MEMORY_SIZE) is answered with the
page it came from and the size rule in words, not Django's 400 page: the API has its own 413."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .errors import InvalidInput
from .text import unsafe_text_errors


def flash_errors(request, exc: Exception) -> None:
    """A refused request, as messages on the next page: each broken rule, or the refusal."""
    if isinstance(exc, InvalidInput):
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.error(request, str(exc))


def query_text(request, key: str) -> str:
    """A free-text query parameter, or "" (with a message) when it holds unusable characters."""
    value = request.GET.get(key, "").strip()[:200]
    errors = unsafe_text_errors(value, key)
    if errors:
        flash_errors(request, InvalidInput(errors))
        return ""
    return value


def confirmed(request, refusal: str) -> bool:
    """Whether the person ticked the box a destructive action asks for; if not, the refusal
    (saying nothing was done) as a message. A browser without the `required` check still posts."""
    if request.POST.get("confirm") == "yes":
        return True
    messages.error(request, refusal)
    return False


def form_errors(form, exc: InvalidInput) -> None:
    """A service's refusal on the form: under each field it names, the others above it."""
    for field, problems in exc.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


def too_big_words(size: str) -> str:
    """The size rule, with what was sent (`size`, already worded); the editor fills in its own
    count live with the same sentence."""
    return _("What you sent is %(size)s, more than the %(max)s a page accepts; nothing was "
             "saved. Shorten the longest text and save again.") % {
        "size": size, "max": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}


class FormTooBigMiddleware:
    """Before CsrfViewMiddleware, which reads the form first and would turn the error into a
    400 page: the body is never read, so answering costs nothing whatever its size. Nothing is
    changed by this answer but a message, so it needs no CSRF token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method != "POST" or request.path.startswith("/api/") or \
                getattr(view, "csrf_exempt", False):
            return None
        try:
            request.POST  # noqa: B018 - reading it is the check; Django raises if too big
        except RequestDataTooBig:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
            messages.error(request, too_big_words(filesizeformat(size)))
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                back = request.get_full_path()
            # 303: the browser fetches the page again with GET, where the form is.
            return HttpResponseRedirect(back, status=303)
        return None
