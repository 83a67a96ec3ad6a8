# qsign-oidc: Keycloak-compatible OIDC provider with ML-DSA token signing.
# Build stage: the full image has python3, make and g++ for pkcs11js, the one native addon that
# ships no prebuilt binary (liboqs is WebAssembly; argon2id is node:crypto's).
FROM node:24-bookworm AS dependencies
WORKDIR /opt/qsign-oidc
COPY package.json package-lock.json ./
COPY patches ./patches
# Production dependencies only, without the package's own scripts (the node@24 devDependency and
# the verifier build are for development); then pkcs11js built against this Node's own headers
# (no download), and the one oidc-provider patch.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm_config_nodedir=/usr/local npm rebuild pkcs11js \
 && npx patch-package \
 && npm cache clean --force

# The Admin Console (console/, Keycloak's admin-ui built by Vite into dist/console; docs/consoles.md):
# built here with the development dependencies, only its static files go into the image.
FROM node:24-bookworm AS console
WORKDIR /opt/qsign-oidc
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY console ./console
RUN npm run build:console

FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    QSIGN_MODE=production \
    PORT=8080 \
    DATA_DIR=/var/lib/qsign-oidc \
    REALMS_DIR=/opt/qsign-oidc/realms

WORKDIR /opt/qsign-oidc
COPY package.json package-lock.json ./
COPY --from=dependencies /opt/qsign-oidc/node_modules ./node_modules
COPY src ./src
COPY adapters ./adapters
COPY views ./views
COPY realms ./realms
COPY --from=console /opt/qsign-oidc/dist/console ./dist/console

RUN mkdir -p "$DATA_DIR" && chown node:node "$DATA_DIR"
# The image's `node` user by number, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# Liveness, not readiness: a PostgreSQL or HSM outage makes the server answer 503 (and recover by
# itself), which must not get the container restarted.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.MANAGEMENT_PORT||process.env.KC_HTTP_MANAGEMENT_PORT||process.env.PORT||process.env.KC_HTTP_PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Memory per process, as `npm start` sets it (README, "Memory"): two malloc arenas, large buffers
# (argon2id's 7 MiB) mmapped and returned on free, an 8 MiB young generation.
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=1024", "src/main.ts", "start"]
