FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY pushclient ./pushclient
COPY campaigns ./campaigns
RUN pip install .
COPY . .
RUN DJANGO_DEVELOPMENT=1 python manage.py collectstatic --noinput -v 0
USER nobody
