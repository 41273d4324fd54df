# syntax=docker/dockerfile:1
# One image for every process of the platform; SERVICE_ENTRY picks which compiled entry point runs:
#   docker build -t delivery-platform .
#   docker run --rm -e SERVICE_ENTRY=dist/services/ops/src/main.js -e JWT_SECRET=… -p 8080:8080 delivery-platform
# Entry points: dist/services/ops/src/main.js, dist/services/<context>/<service>/src/main.js (and main.worker.js),
# dist/deploy/nats/src/provision.cli.js (NATS provisioning, one-shot).
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# npm workspaces need every workspace package.json before `npm ci`, so the whole (filtered) context comes in.
COPY . .
RUN npm ci --no-audit --no-fund
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# git: the embedded git provider and pipeline runner shell out to it.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /var/lib/delivery/git && chown node:node /var/lib/delivery/git
# GIT_DATA_DIR of the source-control services (a volume in compose, a PVC in a cluster); a new named volume
# takes this directory's owner, so the non-root user can write it.
WORKDIR /app
# register.js maps the @delivery/* aliases onto dist/ using tsconfig.base.json; contracts/ holds the schemas.
COPY --from=build /app/package.json /app/tsconfig.base.json ./
COPY --from=build /app/tools/register.js ./tools/register.js
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/contracts/asyncapi.json ./contracts/asyncapi.json
COPY --from=build /app/contracts/schemas ./contracts/schemas
ARG SERVICE_ENTRY=dist/services/ops/src/main.js
# In a container the service must listen beyond loopback (the local default is 127.0.0.1).
ENV NODE_ENV=production \
    SERVICE_ENTRY=${SERVICE_ENTRY} \
    SERVICE_HOST=0.0.0.0 \
    SERVICE_PORT=8080
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.SERVICE_PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec: node is PID 1 and receives SIGTERM itself (bootstrapService drains on it).
CMD ["sh", "-c", "exec node --enable-source-maps -r ./tools/register.js \"$SERVICE_ENTRY\""]
