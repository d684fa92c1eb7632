#!/usr/bin/env bash
# podman and friends, for building and running the real Dockerfile in the image test, plus the
# machine-specific settings found necessary on the project's machines: the runc runtime with the cgroupfs
# manager (crun refuses this cgroup layout) and default ulimits within the machine's hard limits.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v unzip >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman buildah runc conmon fuse-overlayfs slirp4netns uidmap \
    debootstrap containernetworking-plugins netavark aardvark-dns iptables unzip zip >/dev/null
fi
mkdir -p .cache/containers
nofile_hard=$(ulimit -Hn); nproc_hard=$(ulimit -Hu)
[ "$nofile_hard" = unlimited ] && nofile_hard=1048576
[ "$nproc_hard" = unlimited ] && nproc_hard=4096
nofile=$(( nofile_hard < 20000 ? nofile_hard : 20000 )); nproc=$(( nproc_hard < 4096 ? nproc_hard : 4096 ))
cat > .cache/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=1024:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
echo "podman $(podman --version | awk '{print $3}'), containers.conf in .cache/containers"
