#!/usr/bin/env bash
# promtool (Debian's prometheus package) for checking and unit-testing the chart's alerting rules and
# linting /metrics, and the real Pushgateway (prometheus-pushgateway) for the push tests. Neither is
# started here: the tests start what they need on loopback ports.
set -euo pipefail
if command -v promtool >/dev/null && command -v prometheus-pushgateway >/dev/null; then
  echo "promtool and prometheus-pushgateway present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus prometheus-pushgateway >/dev/null
# The packages' maintainer scripts may start the daemons where an init system runs: the tests need neither.
pkill -x prometheus 2>/dev/null || true
pkill -x prometheus-pushgateway 2>/dev/null || true
echo "$(promtool --version 2>&1 | head -1); $(prometheus-pushgateway --version 2>&1 | head -1)"
