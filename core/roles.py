"""Three roles: marketers run campaigns; approvers also approve them when approval is on
(CAMPAIGN_APPROVAL); admins also approve and manage attributes, segments and users."""

MARKETERS = "Marketers"
ADMINS = "Admins"
APPROVERS = "Approvers"


def _role_groups(user) -> set[str]:
    """The user's role groups, read once per user object (a request's user lives one request)."""
    if not hasattr(user, "_role_groups"):
        user._role_groups = set(user.groups.filter(name__in=[MARKETERS, ADMINS, APPROVERS])
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


def role_context(request) -> dict:
    """For templates: show admin-only links to admins only (staff marketers get 403 there)."""
    return {"user_is_admin": is_admin(request.user), "user_is_approver": is_approver(request.user)}
