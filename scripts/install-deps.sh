#!/usr/bin/env bash
# Installs the Debian bookworm packages ticketd builds, tests and runs with (shared/TOOLCHAIN.md).
# Idempotent and quick when everything is already there. Needs root (uses sudo when not root).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config mold
  libboost1.81-dev libboost-json1.81-dev libhiredis-dev libyaml-cpp-dev prometheus-cpp-dev
  libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev libhowardhinnant-date-dev libjemalloc-dev
  redis-server redis-tools curl
  clang-14 clang-format-14 libclang-rt-14-dev prometheus systemd dpkg-dev
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo)" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
