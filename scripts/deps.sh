#!/usr/bin/env bash
# Installs what tests and the demo run against, from Debian's packages: clickhouse-server (the
# real ClickHouse the tests start as a child process) and kcat (a librdkafka client the tests use
# to read what chatpulse writes with a client other than its own).
#
# `deps.sh test` also installs a Java runtime and Maven and collects Apache Kafka's jars
# (scripts/kafka-jars.sh), for the suites that run on Apache Kafka. The demo runs on kfake, a Go
# module, and needs no Java.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || missing+=(clickhouse-server)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
if [ "${1:-}" = test ]; then
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: missing ${missing[*]}; install as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "deps: installing ${missing[*]} (Debian packages)"
  $sudo apt-get update -qq
  # clickhouse-server's post-install may try to start a system service; nothing here needs it.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = test ]; then
  libs="$(scripts/kafka-jars.sh)"
  echo "deps: Apache Kafka $(tr -d '[:space:]' < testenv/apache_kafka_version) jars in $libs"
fi
