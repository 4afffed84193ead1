# syntax=docker/dockerfile:1

# Build stage: dev dependencies, compile TypeScript to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` dev dependency only provisions Node 24 on machines that lack it;
# this image has it, so skip install scripts and unlink that copy.
# Behind a TLS-intercepting proxy, pass its CA bundle as the optional build
# secret npm_ca (README, "Container image"): mounted for this step only, never
# written to a layer.
RUN --mount=type=secret,id=npm_ca,target=/run/secrets/npm_ca \
    if [ -f /run/secrets/npm_ca ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund && rm -f node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json build.ts ./
COPY src ./src
RUN npm run build

# Runtime stage: only the bundle. dist/main.js holds every module it uses
# (build.ts) and reads no file of a package at run time, so no node_modules;
# dist/package.json makes it an ES module. Non-root, no shell tools needed.
FROM node:24-bookworm-slim
ARG VERSION=dev
LABEL org.opencontainers.image.title="apig-cert-operator" \
      org.opencontainers.image.description="Keeps Huawei Cloud APIG / ROMA Connect certificates in step with cert-manager TLS Secrets" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
# Sized so the operator runs in a 64 MiB memory cgroup (README, "Performance";
# the Deployment's limit is 128 MiB): a small young generation and old-space
# limit so V8 collects instead of growing, one V8 worker thread and two malloc
# arenas so native memory stays small too. From 32 KiB up, malloc maps memory
# of its own and unmaps it on free: V8's compiler zones (32 KiB segments and
# up, tens of MiB over a burst of reconciles) otherwise leave holes in the heap
# that glibc never returns. `--expose-gc` lets the operator run one full
# collection when it goes quiet after a burst (src/common/idle-collection.ts),
# so that an idle operator's RSS is not the burst's. Running `node dist/main.js`
# outside the image needs none of them.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=32 --v8-pool-size=1 --expose-gc" \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=32768
WORKDIR /app
COPY --from=build /app/dist ./dist
USER 65532:65532
# Node itself is PID 1 and handles SIGTERM (src/main.ts), so no init wrapper is needed.
ENTRYPOINT ["node", "dist/main.js"]
