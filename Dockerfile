# syntax=docker/dockerfile:1
# tagpilot's image. Build from the repository root: `docker build -t tagpilot .`; run read-only with
# the state on a volume and your config mounted over the default one:
#   docker run --read-only --tmpfs /tmp -v tagpilot-state:/state \
#     -v "$PWD/tagpilot.yaml:/config/tagpilot.yaml:ro" -e GIT_TOKEN -p 8080:8080 tagpilot
# Kubernetes: deploy/ (the ConfigMap is mounted at /config, a PersistentVolumeClaim at /state).
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only: package.json `dependencies`, the few packages the bundle leaves
# external (bullmq, ioredis, ssh2). The final image copies these and never runs npm. --ignore-scripts:
# `prepare` patches dev dependencies (patches/ → isomorphic-git, node-cron), which this stage does not install.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The bundle (scripts/build.mjs): src/ and the patched isomorphic-git and node-cron in dist/, what `npm pack` ships.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# patches/ is applied to node_modules by the prepare script (patch-package) that npm ci runs.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# --max-semi-space-size: left alone, V8 grows a busy process's young generation to 128 MB (two
# semi-spaces of 64), and a serve scanning 1,000 images gets there and stays; capped at 2 × 16 MB its
# peak RSS is 30-40 MB lower at no CPU cost measured (bench/service.bench.ts runs a serve with this
# NODE_OPTIONS beside the npm bin's). The flags of SERVE_V8_FLAGS in src/main.ts that NODE_OPTIONS may
# carry: serve re-executes itself once to add the others (--no-concurrent-recompilation and
# --no-concurrent-sweeping, which Node refuses in NODE_OPTIONS), as the npm bin does.
ENV NODE_ENV=production \
    TAGPILOT_CONFIG=/config \
    NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
# package.json stays: its "type": "module" is what makes Node load dist/*.js as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
# dist/ is the whole program: the production install above holds only what it leaves external.
COPY --from=build /app/dist ./dist
# A config that serves on every address and keeps state on the volume, so the image starts as is;
# mounting a file over it or a folder at /config replaces it.
COPY deploy/container/tagpilot.yaml /config/tagpilot.yaml
# stateDir (clones, caches) is the only place tagpilot writes, so the root filesystem can be read-only.
RUN mkdir -p /state && chown 1000:1000 /state
VOLUME /state
# Numeric, so that Kubernetes' runAsNonRoot can verify it; uid 1000 is `node` in the Node images.
USER 1000:1000
EXPOSE 8080
# Assumes server.port 8080, as the default config and deploy/ use; Kubernetes uses its own probes.
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --enable-source-maps is not needed: dist/main.js turns source maps on itself.
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve"]
