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
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; \
    sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz').status == 200 else 1)" \
    || exit 1
ENTRYPOINT ["tsbot"]
CMD ["run"]
