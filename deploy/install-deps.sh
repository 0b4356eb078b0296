#!/usr/bin/env bash
# Installs every Debian 12 package apiscope needs to build, run and be tested.
# Run as root. Safe to run again.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
  prometheus-cpp-dev libcli11-dev libyaml-cpp-dev catch2 libcrypt-dev libssl-dev openssl \
  nginx-light curl wrk python3 prometheus util-linux ca-certificates \
  podman runc debootstrap libclang-rt-14-dev mtail valgrind \
  libnghttp2-dev nghttp2-client python3-grpcio python3-h2 libcapstone-dev golang-go \
  libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev nlohmann-json3-dev >/dev/null
# Node.js runs the real client libraries some tests drive apiscope with (a
# Node.js already installed, e.g. a newer one, is kept).
command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
# The Debian nginx and mtail packages start services; the tests and benchmarks
# run their own.
systemctl disable --now nginx mtail >/dev/null 2>&1 || true
echo "install-deps.sh: packages installed"
