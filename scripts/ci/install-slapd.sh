#!/usr/bin/env bash
# Debian's slapd and ldap-utils for the real-bwdc tier (an LDAP directory on a loopback port, started
# by test/helpers/slapd.ts with its own config), and libatomic1, which the real bwdc executable (the
# official Node 25 binary plus bwdc's bundle) links against (docs/image.md). The package's own
# configuration is skipped: the tests never use the system's slapd. Does nothing when all are present.
set -euo pipefail
if [ -x /usr/sbin/slapd ] && command -v ldapsearch >/dev/null && command -v slapadd >/dev/null \
  && ldconfig -p | grep 'libatomic\.so\.1 ' >/dev/null; then
  echo "slapd, ldap-utils and libatomic1 present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends slapd ldap-utils libatomic1 >/dev/null
# Where an init system runs, the package may have started the system's slapd: the tests need none.
if [ -f /run/slapd/slapd.pid ]; then kill "$(cat /run/slapd/slapd.pid)" 2>/dev/null || true; fi
echo "$(/usr/sbin/slapd -VV 2>&1 | head -1 | sed 's/^@(#) //'); $(ldapsearch -VV 2>&1 | head -1)"
