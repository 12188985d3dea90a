#!/usr/bin/env bash
# Collects Apache Kafka's broker jars (org.apache.kafka:kafka_2.13 and everything it needs at
# run time, plus a log4j2 backend, which its published POM leaves to the distribution) into a
# cache outside the repository, once. testenv runs the broker from there with `java -cp`.
#
# The version is testenv/apache_kafka_version. The cache is
#   ${CHATPULSE_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/chatpulse/kafka-VERSION}/libs
# and Maven keeps its own download cache in ~/.m2 as usual. Prints the libs directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/testenv/apache_kafka_version")"
# The backend: log4j-core behind Kafka's log4j2 API calls, and the SLF4J 2 binding for the
# libraries that log through SLF4J (slf4j-api raised to 2.x to match that binding).
log4j=2.26.1
slf4j=2.0.17
home="${CHATPULSE_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/chatpulse/kafka-$version}"
libs="$home/libs"
if [ -f "$libs/.complete" ]; then
  echo "$libs"
  exit 0
fi
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "kafka-jars: $tool not found; scripts/deps.sh installs it" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>chatpulse.test</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$log4j</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$log4j</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$slf4j</version></dependency>
  </dependencies>
</project>
POM
echo "kafka-jars: collecting org.apache.kafka:kafka_2.13:$version into $libs" >&2
rm -rf "$libs.tmp"
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
ls "$libs.tmp"/kafka_2.13-"$version".jar >/dev/null
rm -rf "$libs"
mv "$libs.tmp" "$libs"
touch "$libs/.complete"
echo "$libs"
