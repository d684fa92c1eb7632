#!/usr/bin/env bash
# Makes the two local base images the image test builds the Dockerfile from (no registry can be
# reached here): Debian trixie (glibc 2.41, which bwdc v2026.6 needs) with Node, tini and libatomic1
# for the runtime, plus npm for the build stage. Skips an image that already exists.
#   localhost/bwdc-runner-base:runtime   localhost/bwdc-runner-base:build
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/.cache/containers/containers.conf}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

make_image() {
  local tag=$1 packages=$2
  if podman image exists "$tag"; then echo "$tag exists"; return; fi
  local root
  root=$(mktemp -d)
  echo "debootstrap trixie -> $tag ($packages)"
  debootstrap --variant=minbase --include="$packages" trixie "$root" "$mirror" >/dev/null
  # Keep the image small: no apt lists, caches or docs.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
  rm -rf "$root"
  echo "made $tag"
}

make_image localhost/bwdc-runner-base:runtime nodejs,ca-certificates,tini,libatomic1,unzip

# The build image adds npm. Debian's npm package drags in hundreds of node-* packages that
# debootstrap cannot resolve; npm's own registry tarball bundles its dependencies (it is how the
# official Node images ship npm), so it is unpacked on top of the runtime image instead.
if ! podman image exists localhost/bwdc-runner-base:build; then
  ctx=$(mktemp -d)
  (cd "$ctx" && npm pack --silent npm@10 >/dev/null && mv npm-*.tgz npm.tgz)
  cat > "$ctx/Containerfile" <<'CF'
FROM localhost/bwdc-runner-base:runtime
COPY npm.tgz /tmp/npm.tgz
RUN mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/npm.tgz
CF
  podman build -q -t localhost/bwdc-runner-base:build "$ctx" >/dev/null
  rm -rf "$ctx"
  echo "made localhost/bwdc-runner-base:build"
fi
