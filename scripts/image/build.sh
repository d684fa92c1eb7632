#!/usr/bin/env bash
# Builds the image with docker or podman. Pins bwdc when BWDC_SHA256 is set; when it is not, builds
# the bwdc stage first, reads the digest it computed, and records it in the final image's label
# io.bwdc-runner.bwdc.sha256 (with the Dockerfile's loud warning), so an unpinned build is never silent.
#   scripts/image/build.sh [-t TAG] [extra build args...]
#   BWDC_SHA256=<digest from the GitHub release page> scripts/image/build.sh -t bwdc-runner:1.0
set -euo pipefail
cd "$(dirname "$0")/../.."
engine="${ENGINE:-$(command -v docker >/dev/null && docker info >/dev/null 2>&1 && echo docker || echo podman)}"
tag=bwdc-runner:local
if [ "${1:-}" = "-t" ]; then tag=$2; shift 2; fi
version=$(node -p "require('./package.json').version")
# A web address from the git remote, or empty: never a local path or credentials.
source_url=$(node scripts/image/source-url.mjs)
args=(--build-arg "RUNNER_VERSION=$version" --build-arg "SOURCE_URL=$source_url" --build-arg "BWDC_VERSION=${BWDC_VERSION:-2026.6.1}")
if [ -n "${BWDC_SHA256:-}" ]; then
  args+=(--build-arg "BWDC_SHA256=$BWDC_SHA256")
else
  "$engine" build "${args[@]}" "$@" --target bwdc -t "$tag-bwdc-stage" .
  computed=$("$engine" run --rm --entrypoint cat "$tag-bwdc-stage" /opt/bwdc/SHA256)
  echo "WARNING: bwdc not pinned; recording its computed SHA-256 $computed in the image label" >&2
  args+=(--label "io.bwdc-runner.bwdc.sha256=unverified:$computed")
fi
"$engine" build "${args[@]}" "$@" -t "$tag" .
