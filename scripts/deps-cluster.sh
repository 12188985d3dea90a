#!/usr/bin/env bash
# Installs what the ClickHouse cluster tests add to scripts/deps.sh: Debian's zookeeper package
# (3.8), the coordination service ClickHouse 18.16's replicated tables need; ClickHouse Keeper
# does not exist in 18.16. testenv runs it as a child process with its own generated zoo.cfg, so
# the system service the package ships is neither configured nor started here.
set -euo pipefail
# testenv runs the jar itself, with the java the package depends on.
[ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1 && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps-cluster: missing zookeeper; install as root: apt-get install -y zookeeper" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps-cluster: installing zookeeper (Debian package)"
# Another apt run on the machine holds the dpkg lock for a while; wait for it instead of failing.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends zookeeper >/dev/null
