# Dev only: DynamoDB and SQS emulators (dev/local-aws-server.ts) for a cluster's dev mode, and the
# chart's bootstrap init container (`node dev/bootstrap-main.ts`, from the working directory).
# They check no signature: never expose this image's ports outside a private cluster.
#   docker build -f dev/local-aws.Dockerfile -t jobsys-local-aws .
# Not bundled: the emulators are devDependencies loaded from node_modules, and Node 24 runs the
# TypeScript as it is. Nothing is written at run time, so the root filesystem can be read-only.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# The same lines as the other images' build stages, so they share the dependency layer.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# What postinstall does outside an image, which --ignore-scripts skipped: the committed corrections
# to dependencies (local-aws-sqs's receive count). A patch that no longer applies fails the build.
COPY patches patches/
RUN node_modules/.bin/patch-package --error-on-fail --error-on-warn

FROM debian:bookworm-slim
# --no-log-init: a lastlog entry for a high uid is a sparse file the layer would store in full.
RUN groupadd --gid 10001 jobsys \
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin jobsys
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /src/node_modules node_modules/
COPY package.json ./
COPY lib lib/
COPY dev dev/
COPY ops/resources ops/resources/
USER 10001:10001
EXPOSE 8000 9324
CMD ["node", "dev/local-aws-server.ts"]
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="jobsys-local-aws" \
      org.opencontainers.image.description="jobsys dev only: in-memory DynamoDB and SQS emulators, and the bootstrap of the table and queues" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
