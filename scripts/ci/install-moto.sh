#!/usr/bin/env bash
# moto (a real AWS emulator) for the Secrets Manager tests. moto is packaged in Debian trixie,
# not bookworm; it is pure Python, so its dependencies come from the machine's own release and
# only the moto .deb is taken from trixie, through a separate apt configuration that leaves the
# system's apt sources alone. Installs into .cache/moto; does nothing when already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest="$PWD/.cache/moto"
py=/usr/bin/python3
if [ -f "$dest/ok" ] && PYTHONPATH="$dest/usr/lib/python3/dist-packages" "$py" -c 'import moto.server' 2>/dev/null; then
  echo "moto already installed in $dest"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-boto3 python3-botocore python3-cryptography \
  python3-dateutil python3-flask python3-flask-cors python3-jinja2 python3-requests python3-responses \
  python3-werkzeug python3-xmltodict python3-yaml python3-antlr4 >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc/sources.list.d" "$work/state/lists/partial" "$work/cache/archives/partial"
cat > "$work/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
aptopts=(-o "Dir::Etc::SourceList=$work/etc/sources.list" -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
  -o "Dir::State=$work/state" -o "Dir::State::status=/var/lib/dpkg/status" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1")
apt-get "${aptopts[@]}" update -qq
(cd "$work" && apt-get "${aptopts[@]}" download python3-moto >/dev/null)
rm -rf "$dest"
mkdir -p "$dest"
dpkg -x "$work"/python3-moto_*.deb "$dest"
PYTHONPATH="$dest/usr/lib/python3/dist-packages" "$py" -c 'import moto.server; print("moto", moto.__version__)'
touch "$dest/ok"
