"""Site-wide views: a 404 that answers in JSON under /api/ like the rest of the API."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Nothing at %(path)s: check the URL and the id")
                             % {"path": request.path}}, status=404)
    return page_not_found(request, exception)
