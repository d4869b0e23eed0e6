#!/usr/bin/env bash
# Installs what is missing, builds ticketd and starts it on its embedded Redis with
# config/ticketd.example.yaml (listening on 127.0.0.1:8080, data in /var/lib/ticketd).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DTICKETD_BUILD_TESTS=OFF -DTICKETD_BUILD_BENCH=OFF
state_dir=/var/lib/ticketd
if [ ! -w "$state_dir" ] && [ ! -w "$(dirname "$state_dir")" ]; then
  sudo install -d -o "$(id -u)" -g "$(id -g)" "$state_dir"
fi
exec build/daemon/ticketd --config config/ticketd.example.yaml
