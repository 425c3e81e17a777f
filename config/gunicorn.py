"""gunicorn's settings (`gunicorn config.wsgi -c python:config.gunicorn`): it binds 0.0.0.0:$PORT
by itself; its own lines follow LOG_FORMAT like the rest of the product."""

import os

from config.logformat import FORMATTERS

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A sync worker that reads a segment's upload (up to AUDIENCE_MAX_UPLOAD_BYTES, hundreds of MB)
# from a person's uplink is busy for minutes: at gunicorn's default 30 s it was killed mid-upload.
timeout = 600
# On SIGTERM, requests in flight get this long to finish (compose's stop_grace_period is 30 s).
graceful_timeout = 25
accesslog = "-"
# gunicorn's default line with the path (%(U)s) instead of the request line (%(r)s): query
# strings stay out of the log. Tencent's callback carries its Sign and RequestTime there, and
# anyone reading them within a minute could post other bodies under that signature.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
# No control socket: nothing here uses gunicornc, and the image's user has no home to put it in.
control_socket_disable = True

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": FORMATTERS["json"]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO",
                                       "propagate": False},
                    "gunicorn.access": {"handlers": ["console"], "level": "INFO",
                                        "propagate": False}},
    }
