"""The two shapes of a log line, shared by Django, Celery and gunicorn (LOG_FORMAT)."""

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATTERS = {
    "plain": {"format": FORMAT},
    "json": {"()": "pythonjsonlogger.json.JsonFormatter", "format": FORMAT,
             "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
}
