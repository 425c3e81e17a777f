# The one image behind web, worker, beat, migrate and flower (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles VAR_DIR=/app/var PORT=8000
WORKDIR /app

# Dependencies first, from the hashed lock file: the layer is reused until the lock changes.
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes --no-deps -r requirements/run.txt

# The code runs from /app as checked out (.dockerignore keeps .venv, var/ and secrets out):
# every app, templates/ and locale/ are here, with nothing to forget in a package list.
COPY . .
# Static files with hashed names for WhiteNoise's manifest storage, outside VAR_DIR. The
# throwaway key only lets production settings load; nothing is signed at build time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p "$VAR_DIR" && chown app "$VAR_DIR"
USER app

EXPOSE 8000
# Exec form: gunicorn is PID 1 and receives the stop signal itself. It binds 0.0.0.0:$PORT.
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"]
