# qsign-oidc: Keycloak-compatible OIDC provider with ML-DSA token signing.
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    QSIGN_MODE=production \
    PORT=8080 \
    DATA_DIR=/var/lib/qsign-oidc \
    REALMS_DIR=/opt/qsign-oidc/realms

WORKDIR /opt/qsign-oidc
COPY package.json package-lock.json ./
COPY patches ./patches
# The image already runs Node 24: production dependencies only, no install scripts (the node@24
# devDependency and the verifier build are for development), then the one oidc-provider patch.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx patch-package && npm cache clean --force
COPY src ./src
COPY adapters ./adapters
COPY views ./views
COPY realms ./realms

RUN mkdir -p "$DATA_DIR" && chown node:node "$DATA_DIR"
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Memory per process, as `npm start` sets it (README, "Memory"): two malloc arenas, large buffers
# (argon2id's 7 MiB) mmapped and returned on free, an 8 MiB young generation.
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=1024", "src/main.ts", "start"]
