"""The two shapes of a log line, shared by Django, Celery and gunicorn (LOG_FORMAT)."""

from pythonjsonlogger.core import RESERVED_ATTRS

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATTERS = {
    "plain": {"format": FORMAT},
    "json": {"()": "pythonjsonlogger.json.JsonFormatter", "format": FORMAT,
             "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
             # The JSON line holds a record's extra attributes too; Django's request logging
             # adds the request, whose text is the full URL with its query string (a Tencent
             # callback's Sign and RequestTime). The message already names the path.
             "reserved_attrs": [*RESERVED_ATTRS, "request"]},
}
