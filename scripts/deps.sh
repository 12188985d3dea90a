#!/usr/bin/env bash
# Installs what tests and the demo run against, from Debian's packages: clickhouse-server (the
# real ClickHouse the tests start as a child process) and kcat (a librdkafka client the tests use
# to read what chatpulse writes with a client other than its own). Kafka itself is kfake, a Go
# module, so it needs no install.
set -euo pipefail
missing=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || missing+=(clickhouse-server)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: missing ${missing[*]}; install as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps: installing ${missing[*]} (Debian packages)"
$sudo apt-get update -qq
# clickhouse-server's post-install may try to start a system service; nothing here needs it.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
