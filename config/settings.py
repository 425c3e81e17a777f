"""One settings module, driven by environment variables.

With nothing set it runs on a laptop: SQLite (also as the Celery broker), the local emulator.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and the TIM_* variables. A `.env` file in
the project folder (or at ENV_FILE) is read when present (`.env.example` lists the variables);
the process environment wins over it.
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.logformat import FORMATTERS

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.exists():
    env.read_env(ENV_FILE)  # variables already set are never overwritten
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Development must be asked for; anything else is production (DEBUG off, SECRET_KEY required).
DEVELOPMENT = env.bool("DJANGO_DEVELOPMENT", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=DEVELOPMENT)
SECRET_KEY = env.str("SECRET_KEY", default="development-only-not-secret" if DEVELOPMENT else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is required unless DJANGO_DEVELOPMENT=1")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "ninja",
    "core.apps.LoginLockoutsConfig",  # django-axes, with a name in words
    "core",
    "audience",
    "campaigns",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.api.json_errors_under_api",
    "core.security.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the form first: a form over DATA_UPLOAD_MAX_MEMORY_SIZE is
    # answered with its page and the size rule in words.
    "core.pages.FormTooBigMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.preferences.user_preferences",
    "core.current_app.current_app",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it turns a lockout found during authentication into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "core.roles.role_context",
        "core.preferences.preference_choices",
        "core.current_app.app_context",
    ]},
}]
# Forms render their widgets with the templates above, so templates/ can word one in Chinese:
# Django's password summary puts an ASCII colon after each label ("算法: pbkdf2_sha256").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes SQLite take its write lock at BEGIN, so the push gate's
    # conditional updates serialise across worker processes as they do on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30,
                                       "init_command": "PRAGMA journal_mode=WAL;"}
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # An unreachable database fails a request in seconds rather than after the system's TCP
    # timeout (minutes): Tencent's callbacks are answered FAIL in time to be retried.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): the first backend refuses a locked-out username+address before
# the password is checked; failures are counted in the database, shared by every process.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_ALLOWED", default=5)
AXES_COOLOFF_TIME = dt.timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=900))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner from every process
AXES_CLIENT_IP_CALLABLE = "core.security.client_address"
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
# Behind a reverse proxy every request comes from the proxy's address. With TRUSTED_PROXIES=N,
# the client is the address the N-th proxy from us appended to X-Forwarded-For (Caddy in
# docker-compose.yml: 1). Only set it when clients cannot reach the app except through them.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Outside VAR_DIR: the image collects static files at build time, while VAR_DIR is runtime state.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
if DEVELOPMENT:
    STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing folder; dev serves finders
# Hashed names cached forever by browsers; development serves the source files unhashed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if DEVELOPMENT else
                    "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REDIS_URL = env.str("REDIS_URL", default="")

# One cache for every process: Redis when there is one.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": REDIS_URL} if REDIS_URL else
          {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
           "LOCATION": str(VAR_DIR / "cache")}}

# Celery: Redis in production; with no REDIS_URL kombu's SQLAlchemy transport on a SQLite file
# of its own in VAR_DIR, which needs no server and is shared by every process of `make run`.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, with which a worker reconnects after Redis went away while
    # tasks ran, instead of stopping on an AttributeError (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:RedisTransport"
    # A broker host that does not answer (not merely refuses) must not hold a web request that
    # queues work: connect within 2 s (redis-py waits for the OS, minutes, by default).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
else:
    # Not the database's file: a worker polling the broker takes its write lock each time. The
    # URL is SQLAlchemy's: with kombu's "sqla+" in front, kombu would ignore the transport named.
    CELERY_BROKER_URL = f"sqlite:///{VAR_DIR / 'broker.sqlite3'}"
    CELERY_BROKER_TRANSPORT = "config.broker:SQLiteTransport"
    from config.broker import sqlite_transport_options
    CELERY_BROKER_TRANSPORT_OPTIONS = sqlite_transport_options(VAR_DIR / "broker.sqlite3")
# Publishing retries a lost connection twice, 0.2 s apart, then the request says the queue is
# down (core/queue.py); Celery's own defaults are 3 tries and a 4 s connect timeout each.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Bulk jobs and imports hold a worker process for minutes: they run on a queue of their own,
# served by workers of their own, so the 1 s dispatch tick and campaign sends on the default
# queue never wait behind them for a free process (config/run.py, docker-compose.yml).
AUDIENCE_QUEUE = "audience"
CELERY_TASK_ROUTES = {"audience.tasks.run_job": {"queue": AUDIENCE_QUEUE},
                      "audience.tasks.import_segment": {"queue": AUDIENCE_QUEUE}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker goes away keeps trying to reconnect (2 s, 4 s, ... then every 30 s)
# for as long as it takes, instead of exiting after Celery's default of 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks keep running through a lost broker connection, as they always have here: a job's task
# carries on with its batches (the database, not the message, says what is left), and an
# import finishes. Celery 6 will cancel them by default; written down so that it does not.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# Tencent Cloud Chat. Without TIM_REGION the default run talks to the local emulator.
TIM_SDKAPPID = env.int("TIM_SDKAPPID", default=1400000000)
# The name the dashboard shows for the app these TIM_* settings describe (more apps are added in
# the dashboard, their secrets sealed with APP_SECRETS_KEY: see core/encryption.py).
TIM_APP_NAME = env.str("TIM_APP_NAME", default="")
APP_SECRETS_KEY = env.str("APP_SECRETS_KEY", default="")
TIM_SECRET_KEY = env.str("TIM_SECRET_KEY", default="emulator-secret-key")
TIM_ADMIN_IDENTIFIER = env.str("TIM_ADMIN_IDENTIFIER", default="administrator")
TIM_REGION = env.str("TIM_REGION", default="")
TIM_API_BASE_URL = env.str("TIM_API_BASE_URL", default="" if TIM_REGION else "http://127.0.0.1:9180")
TIM_CALLS_PER_SECOND = env.int("TIM_CALLS_PER_SECOND", default=100)
# The limiter counts a call at its permit, Tencent at its arrival. Two calls a window apart in
# permits stay more than a second apart at Tencent while the first is not delayed more than
# the window's margin over the second one: 40 ms = a permit at most TIM_PERMIT_MAX_AGE_SECONDS
# old when its call leaves (older ones are given back unused, core/tencent.py throttle) +
# 20 ms for the spread of transit times to Tencent. The margin costs 3.8 % of the ceiling.
TIM_RATE_WINDOW_SECONDS = env.float("TIM_RATE_WINDOW_SECONDS", default=1.04)
TIM_PERMIT_MAX_AGE_SECONDS = env.float("TIM_PERMIT_MAX_AGE_SECONDS", default=0.02)
# Test sends (v4/timpush/batch, spec §3.2): 10 a second on the free edition, 30 standard, 40
# advanced; their own limiter, shared by every process. Recall (timpush/revoke) is 1 a second.
TIM_BATCH_CALLS_PER_SECOND = env.int("TIM_BATCH_CALLS_PER_SECOND", default=30)
# Worker processes that take part in each job, and each one's sender threads (calls in flight
# at most; audience/jobs.py Crew): 100 calls a second need 100 × latency in flight, so 64 reach
# the ceiling up to about 600 ms from Tencent.
AUDIENCE_TASKS_PER_JOB = env.int("AUDIENCE_TASKS_PER_JOB", default=2)
AUDIENCE_MAX_IN_FLIGHT = env.int("AUDIENCE_MAX_IN_FLIGHT", default=64)
# Threads (each with a database connection) recording a crew's answers: one, more while answers
# wait. A crew holds at most 2 + AUDIENCE_MAX_RECORDERS connections, whatever its in-flight count.
AUDIENCE_MAX_RECORDERS = env.int("AUDIENCE_MAX_RECORDERS", default=3)
AUDIENCE_BATCH_TRIES = env.int("AUDIENCE_BATCH_TRIES", default=5)
AUDIENCE_RETRY_BASE_SECONDS = env.float("AUDIENCE_RETRY_BASE_SECONDS", default=1.0)
AUDIENCE_BATCH_LEASE_SECONDS = env.float("AUDIENCE_BATCH_LEASE_SECONDS", default=60)
# Room for 10,000,000 accounts of up to 50 characters (ids of 14 make a 143 MB file).
AUDIENCE_MAX_UPLOAD_BYTES = env.int("AUDIENCE_MAX_UPLOAD_BYTES", default=512 * 1024 * 1024)
# Larger files are stored by the web request and imported by a worker, with progress.
AUDIENCE_INLINE_IMPORT_BYTES = env.int("AUDIENCE_INLINE_IMPORT_BYTES", default=1024 * 1024)
TIM_READ_TIMEOUT_SECONDS = env.float("TIM_READ_TIMEOUT_SECONDS", default=10.0)

# The push gate (campaigns/dispatch.py).
# The default daily limit; admins raise it in the dashboard (or PUT /api/quota/), no restart.
PUSH_DAILY_QUOTA = env.int("PUSH_DAILY_QUOTA", default=100)
# Whether test sends (timpush/batch) use the daily quota is not documented (spec §3.5
# [UNCERTAIN]): by default they are counted apart; on, each one takes a push from the day.
PUSH_TEST_SENDS_USE_QUOTA = env.bool("PUSH_TEST_SENDS_USE_QUOTA", default=False)
# Test sends are for the team's own phones (campaigns/tester_sends.py): typed accounts at most this
# many a send (larger lists are test groups), and at most these many accounts a day per person
# and for the whole team, counted on the quota day.
TEST_SEND_TYPED_ACCOUNTS = env.int("TEST_SEND_TYPED_ACCOUNTS", default=10)
TEST_SEND_ACCOUNTS_PER_PERSON_DAY = env.int("TEST_SEND_ACCOUNTS_PER_PERSON_DAY", default=500)
TEST_SEND_ACCOUNTS_PER_DAY = env.int("TEST_SEND_ACCOUNTS_PER_DAY", default=2000)
PUSH_MIN_INTERVAL_SECONDS = env.float("PUSH_MIN_INTERVAL_SECONDS", default=1.0)
PUSH_QUOTA_TIMEZONE = env.str("PUSH_QUOTA_TIMEZONE", default="Asia/Shanghai")
PUSH_ALLOWED_LATENESS_SECONDS = env.int("PUSH_ALLOWED_LATENESS_SECONDS", default=3600)
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=5)
# A send_at this much in the past is still taken (clocks differ); earlier is refused.
PUSH_SCHEDULE_SKEW_SECONDS = env.int("PUSH_SCHEDULE_SKEW_SECONDS", default=60)
PUSH_SCHEDULE_MAX_DAYS = env.int("PUSH_SCHEDULE_MAX_DAYS", default=366)
# Whether Tencent dedupes a repeated MsgRandom is uncertain (spec §9.2): by default a push
# whose answer never came is not resent blindly but left for an operator to review.
PUSH_RETRY_UNKNOWN_OUTCOME = env.bool("PUSH_RETRY_UNKNOWN_OUTCOME", default=False)
# How long a push may hold the gate before its worker is presumed dead.
PUSH_LEASE_SECONDS = env.float("PUSH_LEASE_SECONDS", default=TIM_READ_TIMEOUT_SECONDS + 10)
DISPATCH_POLL_SECONDS = env.float("DISPATCH_POLL_SECONDS", default=0.1)
DISPATCH_RUN_SECONDS = env.float("DISPATCH_RUN_SECONDS", default=30)
# Apps whose campaigns the dispatcher sends side by side: a thread and a database connection
# each, made only for apps with campaigns due. An app's thread stays for its whole queue, so an
# app beyond this waits for another app's queue to end (100 pushes: 100 s and more), not for a
# second: it is a bound on connections, kept above the apps a team runs (BENCHMARKS.md, "Several
# apps"). At 64 a compose deployment holds at most about 92 connections (web 3, campaign worker
# 4 + 64, audience crews 4 x 5): within PostgreSQL's default 100.
DISPATCH_APPS_AT_ONCE = env.int("DISPATCH_APPS_AT_ONCE", default=64)
# Dispatchers sending side by side, each for its share of the apps (an app's id modulo this),
# each in a campaign worker process of its own: a dispatcher's threads share one processor, so
# past about 25 apps pushing at once one is not enough (BENCHMARKS.md, "Several apps"). The
# campaign worker's concurrency must be at least twice this plus one: at a hand-over a share's
# next dispatcher waits in a second process, and sends and reports need one.
DISPATCHERS = env.int("DISPATCHERS", default=1)

# Delivery reports (reports/): Tencent's result callback and the statistics poller (spec §3.5).
# The callback token set in Tencent's console; with one, every callback must carry a valid Sign
# and a RequestTime at most TIM_CALLBACK_MAX_AGE_SECONDS old. Without one, callbacks are refused
# unless TIM_CALLBACK_ALLOW_UNSIGNED is on (anyone could post figures otherwise).
TIM_CALLBACK_TOKEN = env.str("TIM_CALLBACK_TOKEN", default="")
TIM_CALLBACK_ALLOW_UNSIGNED = env.bool("TIM_CALLBACK_ALLOW_UNSIGNED", default=False)
TIM_CALLBACK_MAX_AGE_SECONDS = env.int("TIM_CALLBACK_MAX_AGE_SECONDS", default=60)
# How long an event's de-duplication key is kept. How long Tencent retries is not documented
# [UNCERTAIN]: six hours covers any plausible retry schedule and bounds Redis's memory.
TIM_CALLBACK_DEDUPE_SECONDS = env.int("TIM_CALLBACK_DEDUPE_SECONDS", default=6 * 3600)
# When the poller asks all_member_push_statistics and _loss about a sent campaign (seconds
# after sending); loss is only kept 7 days by Tencent, statistics 30.
REPORT_POLL_AFTER_SECONDS = [int(s) for s in env.list(
    "REPORT_POLL_AFTER_SECONDS", default=["300", "3600", "86400", "518400"])]
# statistics, loss and trace each allow 1 call a second (spec §3.5).
REPORT_CALLS_PER_SECOND = env.int("REPORT_CALLS_PER_SECOND", default=1)
# Working as a team (campaigns/approval.py, recurring.py, local_time.py).
# Approval: marketers submit, Approvers (and Admins) approve or send back before anything is booked.
CAMPAIGN_APPROVAL = env.bool("CAMPAIGN_APPROVAL", default=False)
# Approval also needs a successful test send of the exact current version.
CAMPAIGN_APPROVAL_NEEDS_TEST = env.bool("CAMPAIGN_APPROVAL_NEEDS_TEST", default=False)
# A one-person team: the approver may be someone who wrote, edited or submitted the campaign.
# Off: approval always takes a second person (superusers included).
CAMPAIGN_APPROVE_OWN = env.bool("CAMPAIGN_APPROVE_OWN", default=False)
# Recurring series book their occurrences this many days ahead.
RECURRING_HORIZON_DAYS = env.int("RECURRING_HORIZON_DAYS", default=30)
# A full day moved "to the next day with room" looks at most this many days further.
RECURRING_NEXT_DAY_SEARCH_DAYS = env.int("RECURRING_NEXT_DAY_SEARCH_DAYS", default=14)
# Local-time delivery by tags: a user in Asia/Tokyo carries the tag "tz:Asia/Tokyo".
LOCAL_TIME_TAG_PREFIX = env.str("LOCAL_TIME_TAG_PREFIX", default="tz:")
# Language versions by tags: a user who reads Simplified Chinese carries the tag "lang:zh-Hans".
LANGUAGE_TAG_PREFIX = env.str("LANGUAGE_TAG_PREFIX", default="lang:")
# A/B tests: every known account carries one bucket tag, EXPERIMENT_BUCKET_PREFIX and a number
# below EXPERIMENT_BUCKETS drawn from a hash of its id ("ab:0" ... "ab:9"); variants go to
# buckets. Changing either after buckets were assigned moves accounts between buckets.
EXPERIMENT_BUCKET_PREFIX = env.str("EXPERIMENT_BUCKET_PREFIX", default="ab:")
EXPERIMENT_BUCKETS = env.int("EXPERIMENT_BUCKETS", default=10)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # "json": one JSON object a line
# Beat sends a tick every second and the worker reports receiving and finishing each one:
# at INFO those lines would bury everything else, so they start at WARNING unless asked for.
CHATTY_LEVEL = "WARNING" if LOG_LEVEL == "INFO" else LOG_LEVEL
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": FORMATTERS,
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if LOG_FORMAT == "json" else "plain"}},
    "filters": {"redact": {"()": "config.observability.RedactArguments"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        **{name: {"level": CHATTY_LEVEL} for name in (
            "celery.beat", "celery.app.trace", "celery.worker.strategy")},
        # make run's runserver logs each request line, query string included (a callback's
        # Sign). Configuring this logger drops Django's own handler for it: ours, then.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False,
                          "filters": ["redact"]},
    },
}
# The debug page (development only) hides passwords inside URLs too, e.g. REDIS_URL's.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.observability.CredentialFilter"

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.observability import sentry_init
    sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"),
                secrets=(TIM_SECRET_KEY, SECRET_KEY, TIM_CALLBACK_TOKEN))

if not DEVELOPMENT:
    # Production is served over HTTPS (Caddy in docker-compose.yml), which sets the header.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is hard to undo for a domain and all its subdomains: the operator's choice.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Healthchecks ask the app directly over plain HTTP, from inside the container.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_CONTENT_TYPE_NOSNIFF = True
