"""The audience mirror: what this product last set on each account, for reach counts."""

from django.db import connection

from .models import AccountAttr, AccountTag, Job, KnownAccount


def mirror_apply(*, action: str, accounts: list[str], tags: list[str], attrs: dict) -> None:
    if not accounts:
        return
    if action in (Job.Action.ADD_TAGS, Job.Action.SET_ATTRS):
        _insert_rows(KnownAccount, ["account"], [(a,) for a in accounts])
    if action == Job.Action.ADD_TAGS:
        _insert_rows(AccountTag, ["account", "tag"], [(a, t) for a in accounts for t in tags])
    elif action == Job.Action.REMOVE_TAGS:
        AccountTag.objects.filter(account__in=accounts, tag__in=tags).delete()
    elif action == Job.Action.REMOVE_ALL_TAGS:
        AccountTag.objects.filter(account__in=accounts).delete()
    elif action == Job.Action.SET_ATTRS:
        _insert_rows(AccountAttr, ["account", "name", "value"],
                     [(a, n, v) for a in accounts for n, v in attrs.items()],
                     on_conflict="(account, name) DO UPDATE SET value = excluded.value")
    elif action == Job.Action.REMOVE_ATTRS:
        AccountAttr.objects.filter(account__in=accounts, name__in=list(attrs)).delete()


def _insert_rows(model, columns: list[str], rows: list[tuple], *,
                 on_conflict: str = "DO NOTHING") -> None:
    """One multi-row INSERT, without building model instances: jobs write the mirror a hundred
    times a second and bulk_create cost more CPU than the call to Tencent. SQLite and
    PostgreSQL both read ON CONFLICT."""
    if not rows:
        return
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
                       f"({', '.join(columns)}) VALUES {', '.join([row] * len(rows))} "
                       f"ON CONFLICT {on_conflict}", [value for r in rows for value in r])
