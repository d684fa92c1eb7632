# bwdc-runner: the runner (compiled TypeScript) and the official bwdc CLI, in one image.
# Base images are build arguments, so the image can be built from local bases (the image test does);
# the defaults are the official Node LTS images on Debian 13 (glibc 2.41: bwdc v2026.6 needs >= 2.39).
ARG BUILD_IMAGE=docker.io/library/node:22-trixie-slim
ARG RUNTIME_IMAGE=docker.io/library/node:22-trixie-slim
# Where bwdc comes from: "download" (the official release zip) or "context" (bwdc-bundle/ in the context).
ARG BWDC_SOURCE=download

# ---- build: install, type-check and compile, then drop dev dependencies -----------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# ---- bwdc from the official release -------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS bwdc-download
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
WORKDIR /tmp/bwdc
COPY scripts/image/install-bwdc.sh /usr/local/bin/install-bwdc
RUN node -e "const u='https://github.com/bitwarden/directory-connector/releases/download/v'+process.env.BWDC_VERSION+'/bwdc-linux-'+process.env.BWDC_VERSION+'.zip';fetch(u).then(async r=>{if(!r.ok)throw new Error(u+': HTTP '+r.status);require('fs').writeFileSync('bwdc.zip',Buffer.from(await r.arrayBuffer()))}).catch(e=>{console.error(e.message);process.exit(1)})" \
 && install-bwdc

# ---- bwdc from the build context (offline builds, mirrors, tests) --------------------------------
FROM ${RUNTIME_IMAGE} AS bwdc-context
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
WORKDIR /tmp/bwdc
COPY scripts/image/install-bwdc.sh /usr/local/bin/install-bwdc
COPY bwdc-bundle/ ./
RUN mv "bwdc-linux-${BWDC_VERSION}.zip" bwdc.zip && install-bwdc

FROM bwdc-${BWDC_SOURCE} AS bwdc

# ---- runtime ------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
ARG RUNNER_VERSION=0.1.0
# Where the source lives, for the OCI label (set by scripts/image/build.sh from git).
ARG SOURCE_URL=""
# tini reaps bwdc's children and forwards signals; bwdc needs libatomic1. Installed only if the base lacks them.
RUN if ! command -v tini >/dev/null || ! ldconfig -p | grep -q 'libatomic.so.1'; then \
      apt-get update && apt-get install -y --no-install-recommends tini libatomic1 ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --gid 10001 bwdc \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/bwdc-runner --shell /usr/sbin/nologin bwdc \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/bwdc-runner
COPY --from=bwdc /opt/bwdc /opt/bwdc
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
ENV PATH=/opt/bwdc:$PATH \
    NODE_ENV=production \
    BWDC_STATE_DIR=/var/lib/bwdc-runner \
    BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS=true \
    BWDC_HTTP_PORT=8080 \
    MALLOC_ARENA_MAX=2
LABEL org.opencontainers.image.title="bwdc-runner" \
      org.opencontainers.image.description="Runs the Bitwarden Directory Connector CLI (bwdc) unattended" \
      org.opencontainers.image.version="${RUNNER_VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      io.bwdc-runner.bwdc.version="${BWDC_VERSION}" \
      io.bwdc-runner.bwdc.sha256="${BWDC_SHA256:-unverified}"
VOLUME ["/var/lib/bwdc-runner"]
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=1", "--optimize-for-size", "/app/bin/bwdc-runner.js"]
CMD ["schedule"]
