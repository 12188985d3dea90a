#!/usr/bin/env bash
# Installs what the demo and the tests run against, from Debian's packages, and nothing that is
# already there.
#
#   deps.sh        the demo: clickhouse-server (the real ClickHouse, started as a child process)
#                  and kcat (a librdkafka client). Kafka is kfake, a Go module: no Java.
#   deps.sh test   the test suite adds: a Java 17 JDK (the peers under bench/peers are built)
#                  and Maven, then Apache Kafka's jars
#                  (scripts/kafka-jars.sh) for the suites that carry the promises; zookeeper
#                  (3.8, for the ClickHouse cluster tests; 18.16 has no ClickHouse Keeper);
#                  chromium (the status page's browser test) and prometheus (the dashboard
#                  queries on a real Prometheus).
# Every server is started by testenv with its own configuration; no system service is used.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
need() { # need COMMAND-OR-FILE PACKAGE
  case "$1" in
    /*) [ -e "$1" ] || missing+=("$2") ;;
    *) command -v "$1" >/dev/null 2>&1 || missing+=("$2") ;;
  esac
}
need /usr/sbin/clickhouse-server clickhouse-server
need kcat kcat
if [ "${1:-}" = test ]; then
  need java openjdk-17-jre-headless
  need javac openjdk-17-jdk-headless
  need mvn maven
  need /usr/share/java/zookeeper.jar zookeeper
  need chromium chromium
  need prometheus prometheus
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: missing ${missing[*]}; install as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "deps: installing ${missing[*]} (Debian packages)"
  # Another apt run on the machine may hold the dpkg lock for a while: wait for it.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  # Post-install scripts may try to start system services; nothing here needs them.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = test ]; then
  libs="$(scripts/kafka-jars.sh)"
  echo "deps: Apache Kafka $(tr -d '[:space:]' < testenv/apache_kafka_version) jars in $libs"
  # Build the peers here, once, so that no test spends its time downloading their dependencies.
  mvn -q -B -f bench/peers/pom.xml -DskipTests package >/dev/null
  echo "deps: bench/peers dependencies in Maven's cache"
fi
