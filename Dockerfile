# bwdc-runner: the runner (TypeScript, bundled: scripts/build.mjs) and the official bwdc CLI, in one image.
# Base images are build arguments, so the image can be built from local bases (the image test does);
# the defaults are the official Node 24 LTS images on Debian 13 (glibc 2.41: bwdc v2026.6 needs >= 2.39).
ARG BUILD_IMAGE=docker.io/library/node:24-trixie-slim
ARG RUNTIME_IMAGE=docker.io/library/node:24-trixie-slim
# Where bwdc comes from: "download" (the official release zip) or "context" (bwdc-bundle/ in the context).
ARG BWDC_SOURCE=download

# ---- dependencies: everything package-lock.json names (dev tools included) ---------------------
FROM ${BUILD_IMAGE} AS deps
# Only for builds behind a TLS-intercepting proxy: the CA file npm and Node's fetch should trust
# (the official Node binary trusts only its own CA store). A path, never a secret; build stages only.
ARG NODE_EXTRA_CA_CERTS=""
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# ---- build: type-check and bundle (scripts/build.mjs), then drop dev dependencies -----------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# What Node never reads at run time goes too: type declarations, TypeScript sources, source maps and
# documents (licences stay).
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
      -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete

# ---- the runtime base: the Node image plus what bwdc and PID 1 need, the bwdc user -----------------
FROM ${RUNTIME_IMAGE} AS runtime-base
ARG RUNTIME_IMAGE
# The build log says which base this is. Two packages are added when the base lacks them (the official
# Node images lack both): tini (PID 1: reaps bwdc's children, forwards signals) and libatomic1, which
# bwdc's executable (the official Node 25 binary plus bwdc's bundle) links against; the official Node
# images purge it because their own Node does not need it (docs/image.md "libatomic"). apt's package
# lists, its caches (/var/cache/apt/*.bin, ~90 MB after an update) and its logs are removed here, not left
# to an apt hook of the base's (docs/image.md "What the image carries").
RUN echo "runtime base: ${RUNTIME_IMAGE} ($(. /etc/os-release && echo "$PRETTY_NAME"), node $(node --version))" \
 && if ! command -v tini >/dev/null || ! ldconfig -p | grep -q 'libatomic\.so\.1 '; then \
      apt-get update && apt-get install -y --no-install-recommends tini libatomic1 \
      && apt-get clean \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
           /var/cache/apt/archives/partial/* /var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old \
           /var/lib/dpkg/*-old; \
    fi \
 && groupadd --gid 10001 bwdc \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/bwdc-runner --shell /usr/sbin/nologin bwdc \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/bwdc-runner

# ---- the bwdc installer: Node and a zip library, nothing from the OS (no unzip in the Node images). On
# the runtime base, so its ldd check sees exactly the libraries bwdc will have at run time.
FROM runtime-base AS bwdc-installer
COPY --from=deps /src/node_modules/fflate /opt/bwdc-installer/node_modules/fflate
COPY scripts/image/install-bwdc.mjs /opt/bwdc-installer/install-bwdc.mjs

# ---- bwdc from the official release -------------------------------------------------------------
FROM bwdc-installer AS bwdc-download
ARG NODE_EXTRA_CA_CERTS=""
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
WORKDIR /tmp/bwdc
RUN node -e "const u='https://github.com/bitwarden/directory-connector/releases/download/v'+process.env.BWDC_VERSION+'/bwdc-linux-'+process.env.BWDC_VERSION+'.zip';fetch(u).then(async r=>{if(!r.ok)throw new Error(u+': HTTP '+r.status);require('fs').writeFileSync('bwdc.zip',Buffer.from(await r.arrayBuffer()))}).catch(e=>{console.error(e.message);process.exit(1)})" \
 && node /opt/bwdc-installer/install-bwdc.mjs

# ---- bwdc from the build context (offline builds, mirrors, tests) --------------------------------
FROM bwdc-installer AS bwdc-context
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
# Tests only: lets install-bwdc.mjs take a bwdc that is not the real executable (a test double); the
# image then says so in its label and in `bwdc-runner --version`.
ARG BWDC_ALLOW_TEST_DOUBLE=""
WORKDIR /tmp/bwdc
COPY bwdc-bundle/ ./
RUN mv "bwdc-linux-${BWDC_VERSION}.zip" bwdc.zip && node /opt/bwdc-installer/install-bwdc.mjs

FROM bwdc-${BWDC_SOURCE} AS bwdc

# ---- runtime ------------------------------------------------------------------------------------
FROM runtime-base
ARG BWDC_VERSION=2026.6.1
ARG BWDC_SHA256=""
ARG RUNNER_VERSION=0.1.0
# Where the source lives, for the OCI label (set by scripts/image/build.sh from git).
ARG SOURCE_URL=""
ARG RUNTIME_IMAGE
# Tests only: set when the bwdc stage was allowed to install a test double (see install-bwdc.mjs).
ARG BWDC_ALLOW_TEST_DOUBLE=""
COPY --from=bwdc /opt/bwdc /opt/bwdc
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
# The code cache of the runner's bundle (bin/code-cache.js: every function compiled in advance), made by the
# runtime's own Node with the ENTRYPOINT's V8 flags (V8 refuses a cache made under other flags). Read-only at
# run time (the image may run --read-only); docs/image.md "Compile cache".
RUN mkdir compile-cache \
 && node --max-semi-space-size=1 --optimize-for-size --max-opt=1 bin/code-cache.js compile-cache \
 && chmod -R a+rX,go-w compile-cache
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
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}" \
      io.bwdc-runner.bwdc.version="${BWDC_VERSION}" \
      io.bwdc-runner.bwdc.sha256="${BWDC_SHA256:-unverified}" \
      io.bwdc-runner.bwdc.test-double="${BWDC_ALLOW_TEST_DOUBLE:+allowed: not for use}"
VOLUME ["/var/lib/bwdc-runner"]
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
ENTRYPOINT ["tini", "--", "node", "--max-semi-space-size=1", "--optimize-for-size", "--max-opt=1", "/app/bin/bwdc-runner.js"]
CMD ["schedule"]
