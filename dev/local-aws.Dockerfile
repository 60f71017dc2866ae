# Dev only: DynamoDB and SQS emulators (dev/local-aws-server.ts) for a cluster's dev mode, and the
# chart's bootstrap init container (`node dev/bootstrap-main.ts`, from the working directory).
# They check no signature: never expose this image's ports outside a private cluster.
#   docker build -f dev/local-aws.Dockerfile -t jobsys-local-aws .
# Not bundled: the emulators are devDependencies loaded from node_modules (dev/local-aws-sqs.ts
# reads and corrects local-aws-sqs's own file), and Node 24 runs the TypeScript as it is.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# The same lines as the other images' build stages, so they share the dependency layer.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM debian:bookworm-slim
# --no-log-init: a lastlog entry for a high uid is a sparse file the layer would store in full.
RUN groupadd --gid 10001 jobsys \
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin jobsys
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /src/node_modules node_modules/
# dev/local-aws-sqs.ts writes its corrected copy of the emulator beside the package at start: that
# one directory is the user's, the rest of the tree stays root's.
RUN chown 10001:10001 node_modules/local-aws-sqs/dist
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
