"""The audience mirror: what this product last set on each account of each app, for reach
counts. Every row is one app's: the same account id in another app is another person."""

import json

from django.db import connection

from core.chat_apps import app_or_default
from core.models import App

from .rules import bucket_of, bucket_tag
from .models import AccountAttr, AccountTag, Job, KnownAccount


def mirror_apply(*, action: str, accounts: list[str], tags: list[str], attrs: dict,
                 app: App | None = None) -> None:
    """Keep in `app`'s mirror (the default app's when None) what `action` did on Tencent."""
    if not accounts:
        return
    app_id = app_or_default(app).pk
    if action in (Job.Action.ADD_TAGS, Job.Action.SET_ATTRS, Job.Action.ASSIGN_BUCKETS):
        _insert_rows(KnownAccount, app_id, ["account"], [(a,) for a in accounts])
    if action == Job.Action.ADD_TAGS:
        _insert_rows(AccountTag, app_id, ["account", "tag"],
                     [(a, t) for a in accounts for t in tags])
    elif action == Job.Action.ASSIGN_BUCKETS:  # each account its own tag, as the job sent it
        _insert_rows(AccountTag, app_id, ["account", "tag"],
                     [(a, bucket_tag(bucket_of(a))) for a in accounts])
    elif action == Job.Action.REMOVE_TAGS:
        _delete_rows(AccountTag, app_id, account=accounts, tag=tags)
    elif action == Job.Action.REMOVE_ALL_TAGS:
        _delete_rows(AccountTag, app_id, account=accounts)
    elif action == Job.Action.SET_ATTRS:
        _insert_rows(AccountAttr, app_id, ["account", "name", "value"],
                     [(a, n, v) for a in accounts for n, v in attrs.items()],
                     on_conflict="(app_id, account, name) DO UPDATE SET value = excluded.value")
    elif action == Job.Action.REMOVE_ATTRS:
        _delete_rows(AccountAttr, app_id, account=accounts, name=list(attrs))


# Jobs write the mirror a hundred times a second, a thousand rows or more a statement. On
# PostgreSQL the rows go as one JSON document: psycopg renders a query's parameters in Python,
# and with a placeholder a value (or an array a column) that rendering took half of a job
# worker's CPU (py-spy, BENCHMARKS.md); json.dumps does it in C and the query stays short.

def _insert_rows(model, app_id: int, columns: list[str], rows: list[tuple], *,
                 on_conflict: str = "DO NOTHING") -> None:
    """One multi-row INSERT of `app_id`'s rows, without building model instances (bulk_create
    cost more CPU than the call to Tencent). SQLite and PostgreSQL both read ON CONFLICT."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(["app_id", *columns])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(f"entry->>{i}" for i in range(len(columns)))
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT %s, {values} "
                           f"FROM jsonb_array_elements(%s::jsonb) AS entry "
                           f"ON CONFLICT {on_conflict}", [app_id, json.dumps(rows)])
            return
        # The app's id written out (an int): SQLite allows so many parameters a statement.
        row = "(" + ", ".join([str(int(app_id))] + ["%s"] * len(columns)) + ")"
        cursor.execute(f"INSERT INTO {table} ({names}) "
                       f"VALUES {', '.join([row] * len(rows))} ON CONFLICT {on_conflict}",
                       [value for r in rows for value in r])


def _delete_rows(model, app_id: int, **any_of: list[str]) -> None:
    """Delete `app_id`'s rows whose every named column holds one of its listed values."""
    if connection.vendor != "postgresql":
        model.objects.filter(app_id=app_id, **{f"{column}__in": values
                                               for column, values in any_of.items()}).delete()
        return
    table = connection.ops.quote_name(model._meta.db_table)
    where = " AND ".join(f"{column} IN (SELECT jsonb_array_elements_text(%s::jsonb))"
                         for column in any_of)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE app_id = %s AND {where}",
                       [app_id, *(json.dumps(values) for values in any_of.values())])
