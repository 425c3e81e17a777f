"""Four roles: marketers run campaigns; approvers also approve them when approval is on
(CAMPAIGN_APPROVAL); audience managers upload segments and tag them on the dashboard's
Audiences page; admins do all of that and also manage attribute names and users."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

MARKETERS = "Marketers"
ADMINS = "Admins"
APPROVERS = "Approvers"
AUDIENCE_MANAGERS = "Audience managers"
ROLE_GROUPS = [MARKETERS, ADMINS, APPROVERS, AUDIENCE_MANAGERS]
# The groups keep their English names (code and people's scripts find them by it); pages show
# each role in the reader's language.
ROLE_WORDS = {MARKETERS: gettext_lazy("Marketers"), ADMINS: gettext_lazy("Admins"),
              APPROVERS: gettext_lazy("Approvers"),
              AUDIENCE_MANAGERS: gettext_lazy("Audience managers")}


def role_words(group_name: str) -> str:
    """A role group's name in the reader's language; any other group's name as it is."""
    return str(ROLE_WORDS.get(group_name, group_name))


def _role_groups(user) -> set[str]:
    """The user's role groups, read once per user object (a request's user lives one request)."""
    if not hasattr(user, "_role_groups"):
        user._role_groups = set(user.groups.filter(name__in=ROLE_GROUPS)
                                .values_list("name", flat=True))
    return user._role_groups


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or ADMINS in _role_groups(user)))


def is_marketer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or _role_groups(user) & {MARKETERS, ADMINS, APPROVERS}))


def is_approver(user) -> bool:
    """Approvers and admins approve or send back campaigns waiting for approval."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or _role_groups(user) & {APPROVERS, ADMINS}))


def is_audience_manager(user) -> bool:
    """Audience managers and admins prepare audiences: segments, tags and attributes."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or _role_groups(user) & {AUDIENCE_MANAGERS, ADMINS}))


def uses_dashboard(user) -> bool:
    """Anyone with a role: the header's preferences, and a home page (an audience manager's is
    the Audiences page)."""
    return is_marketer(user) or is_audience_manager(user)


def role_required(check=is_marketer):
    """Anonymous users go to the login page; signed-in users without the role get 403."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


marketer_required = role_required(is_marketer)


def role_context(request) -> dict:
    """For templates: show each link only to the roles that may follow it (others get 403)."""
    return {"user_is_admin": is_admin(request.user), "user_is_approver": is_approver(request.user),
            "user_is_marketer": is_marketer(request.user),
            "user_is_audience_manager": is_audience_manager(request.user)}
