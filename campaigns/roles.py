"""Two roles: marketers run campaigns; admins also manage attributes, segments and users."""

MARKETERS = "Marketers"
ADMINS = "Admins"


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or user.groups.filter(name=ADMINS).exists()))


def is_marketer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        is_admin(user) or user.groups.filter(name=MARKETERS).exists()))
