"""Two roles: marketers run campaigns; admins also manage attributes, segments and users."""

MARKETERS = "Marketers"
ADMINS = "Admins"


def _role_groups(user) -> set[str]:
    """The user's role groups, read once per user object (a request's user lives one request)."""
    if not hasattr(user, "_role_groups"):
        user._role_groups = set(user.groups.filter(name__in=[MARKETERS, ADMINS])
                                .values_list("name", flat=True))
    return user._role_groups


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or ADMINS in _role_groups(user)))


def is_marketer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or _role_groups(user) & {MARKETERS, ADMINS}))


def role_context(request) -> dict:
    """For templates: show admin-only links to admins only (staff marketers get 403 there)."""
    return {"user_is_admin": is_admin(request.user)}
