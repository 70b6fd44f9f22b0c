FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY store ./store
COPY config ./config
RUN pip install . && useradd --system --no-create-home reviewbot \
  && mkdir -p /data && chown reviewbot /data
USER reviewbot
# DATA_DIR: embedded servers, if DATABASE_URL/REDIS_URL are unset, and the instance's files.
ENV DATA_DIR=/data

EXPOSE 8080
# Readiness, not liveness: unhealthy while PostgreSQL cannot be used. Exec form, no shell;
# the port comes from PORT at check time. (HOST must include 127.0.0.1: the default, or 0.0.0.0.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % (os.environ.get('PORT') or '8080'), timeout=2)"]
# Migrations run at start (under an advisory lock, so several replicas may start at once).
CMD ["reviewbot", "serve"]
