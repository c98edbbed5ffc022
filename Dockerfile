# syntax=docker/dockerfile:1
# watcher in a container: the daemon as an unprivileged user, its database on a volume, its health
# checked with `watcher status`. Build: docker build -t watcher .   Run: see docs/operations.md.

FROM python:3.11-slim AS build
# Optional extras to install, comma-separated (metrics, apprise, serve).
ARG EXTRAS=metrics
WORKDIR /src
COPY pyproject.toml README.md ./
COPY watcher ./watcher
RUN python -m venv /opt/watcher \
    && /opt/watcher/bin/pip install --no-cache-dir ".[${EXTRAS}]"

FROM python:3.11-slim
# A fixed uid/gid, so a bind-mounted data directory can be chowned to match on the host.
RUN groupadd --system --gid 10001 watcher \
    && useradd --system --uid 10001 --gid watcher --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin watcher \
    && mkdir -p /data /etc/watcher \
    && chown watcher:watcher /data
COPY --from=build /opt/watcher /opt/watcher
# The offline demo's feeds: docker run --rm watcher demo --seeds /opt/watcher/seeds --workdir /tmp/demo
COPY seeds /opt/watcher/seeds
ENV PATH=/opt/watcher/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WATCHER_CONFIG=/etc/watcher/watcher.toml \
    WATCHER_DB=/data/watcher.db
WORKDIR /data
# The SQLite database (and its -wal/-shm files) and file-based alert channels live here.
VOLUME ["/data"]
# Numeric, so runtimes (Kubernetes runAsNonRoot) can tell it is not root.
USER 10001:10001
# Only used when [daemon] metrics_port = 9108 and metrics_address = "0.0.0.0".
EXPOSE 9108
# SIGTERM: finish or abandon in-flight polls within [daemon] shutdown_grace, then exit 0.
STOPSIGNAL SIGTERM
# Unhealthy when the daemon's heartbeat is older than its [daemon] stale_after.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["watcher", "status"]
ENTRYPOINT ["watcher"]
CMD ["run"]
