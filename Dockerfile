# The back office image: the api (`backoffice serve`) and the projection
# worker (`backoffice project`) run from it; see docker-compose.yml.
#
# Stage 1 builds a wheel of the package; stage 2 installs that wheel (not
# editable, no source tree, no build tools) and runs as an unprivileged user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY adapters ./adapters
COPY backoffice ./backoffice
COPY domain ./domain
COPY projections ./projections
COPY replay ./replay
COPY api ./api
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 backoffice \
    && useradd --system --uid 10001 --gid backoffice --no-create-home \
       --home-dir /var/lib/backoffice --shell /usr/sbin/nologin backoffice \
    && install -d -o backoffice -g backoffice -m 0750 /var/lib/backoffice
COPY --from=build /wheels /tmp/wheels
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels
# The working directory is the only writable place: the SQLite default
# (sqlite:///./backoffice.db) lands here when no BACKOFFICE_DATABASE_URL is set.
WORKDIR /var/lib/backoffice
USER backoffice:backoffice
EXPOSE 8000
CMD ["backoffice", "serve", "--host", "0.0.0.0", "--port", "8000"]
