# Dev only (k3d has no Lambda): the dlq-lambda's handler behind the local SQS event source mapping,
# dev/dlq-runner.ts, bundled like the services. On AWS the real Lambda consumes the DLQ instead.
#   docker build -f dev/dlq-runner.Dockerfile -t jobsys-dlq-runner .
# Plain Dockerfile syntax, so the legacy builder (Debian's docker.io) builds it as BuildKit does.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# The same lines as the other images' build stages, so they share the dependency layer.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY ops/build ops/build/
COPY lib lib/
COPY dlq-lambda dlq-lambda/
COPY dev dev/
ARG SOURCEMAP
RUN case "$SOURCEMAP" in \
      true) set -- --sourcemap ;; \
      '') set -- ;; \
      *) echo "SOURCEMAP is true or unset, not '$SOURCEMAP'" >&2; exit 1 ;; \
    esac \
 && node ops/build/bundle.ts dev/dlq-runner.ts /out/main.mjs "$@"

FROM debian:bookworm-slim
# --no-log-init: a lastlog entry for a high uid is a sparse file the layer would store in full.
RUN groupadd --gid 10001 jobsys \
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin jobsys
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /out/ /app/
USER 10001:10001
ARG SOURCEMAP
ENV NODE_ENV=production \
    NODE_OPTIONS=${SOURCEMAP:+--enable-source-maps}
# No HEALTHCHECK, as for the worker: no HTTP to probe.
CMD ["node", "/app/main.mjs"]
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="jobsys-dlq-runner" \
      org.opencontainers.image.description="jobsys dev only: the DLQ Lambda's handler on a local SQS event source mapping, for clusters without Lambda" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
