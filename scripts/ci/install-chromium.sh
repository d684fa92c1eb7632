#!/usr/bin/env bash
# Debian's chromium, for the status page's test in a real browser (test/status-page.test.ts: headless, the
# page rendered and a screenshot kept under .cache/test-artifacts/). Nothing is started here.
set -euo pipefail
if command -v chromium >/dev/null; then
  echo "chromium present: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "$(chromium --version 2>/dev/null | head -1)"
