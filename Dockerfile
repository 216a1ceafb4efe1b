# Production image: slim Python, non-root user, `tsbot run`.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 ENVIRONMENT=production LOG_FORMAT=json
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY core ./core
COPY handlers ./handlers
COPY services ./services
COPY migrations ./migrations
# Editable: alembic.ini and migrations/ stay next to the code that runs them.
RUN pip install -e . && useradd --create-home --uid 10001 tsbot && mkdir -p /app/data \
    && chown tsbot /app/data
USER tsbot
# 8080: the webhook (public). /healthz and /metrics listen on HEALTH_HOST:HEALTH_PORT
# (127.0.0.1:8081 by default) in polling and webhook mode; never publish that port.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import os,urllib.request,sys; \
    port = os.environ.get('HEALTH_PORT', '8081'); \
    sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz').status == 200 else 1)" \
    || exit 1
ENTRYPOINT ["tsbot"]
CMD ["run"]
