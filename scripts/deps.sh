#!/usr/bin/env bash
# Installs what tests and the demo run against: Debian's clickhouse-server. Go modules come
# through the module proxy on first build; kfake is a Go module, so Kafka needs no install.
set -euo pipefail
if command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: clickhouse-server is missing; install it as root: apt-get install -y clickhouse-server" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps: installing clickhouse-server (Debian package)"
$sudo apt-get update -qq
# The package's post-install tries to start a system service; nothing here needs it running.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clickhouse-server >/dev/null
