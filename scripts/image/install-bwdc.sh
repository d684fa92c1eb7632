#!/bin/sh
# Runs inside the Dockerfile's bwdc stages: verifies the bwdc zip in the current folder (bwdc.zip)
# against BWDC_SHA256 when given (a loud warning and the computed digest otherwise: never an
# invented one), unpacks it into /opt/bwdc keeping bwdc and its native module together, records the
# version and digest, and checks that every shared library the binaries need is present.
set -eu
sha=$(sha256sum bwdc.zip | cut -d' ' -f1)
if [ -n "${BWDC_SHA256:-}" ]; then
  if [ "$sha" != "$BWDC_SHA256" ]; then
    echo "bwdc-linux-${BWDC_VERSION}.zip has SHA-256 $sha, expected BWDC_SHA256=$BWDC_SHA256: refusing it" >&2
    exit 1
  fi
  echo "bwdc ${BWDC_VERSION}: SHA-256 verified ($sha)"
else
  echo "################################################################################" >&2
  echo "WARNING: BWDC_SHA256 not given: bwdc ${BWDC_VERSION} is NOT verified." >&2
  echo "Its SHA-256 is $sha; compare it with the digest GitHub shows for the release" >&2
  echo "asset and pin it with --build-arg BWDC_SHA256=$sha" >&2
  echo "################################################################################" >&2
fi
mkdir -p /opt/bwdc
unzip -q -o bwdc.zip -d /opt/bwdc
rm -f bwdc.zip
test -f /opt/bwdc/bwdc || { echo "the zip holds no bwdc executable" >&2; exit 1; }
# v2026.6+: the native module is loaded from the executable's folder at start-up, even in plaintext mode.
test -f /opt/bwdc/dc_native.linux-x64-gnu.node || { echo "the zip holds no dc_native.linux-x64-gnu.node (needed beside bwdc from v2026.6.0)" >&2; exit 1; }
chmod 0755 /opt/bwdc/bwdc
echo "$BWDC_VERSION" > /opt/bwdc/VERSION
echo "$sha" > /opt/bwdc/SHA256
for f in /opt/bwdc/bwdc /opt/bwdc/dc_native.linux-x64-gnu.node; do
  if ldd "$f" 2>/dev/null | grep 'not found'; then
    echo "$f needs shared libraries this base image lacks (listed above)" >&2
    exit 1
  fi
done
