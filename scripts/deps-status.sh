#!/usr/bin/env bash
# Installs what the status page and dashboard tests run against, from Debian's packages:
# chromium (the headless browser that loads the status page) and prometheus (the server, with
# promtool, that scrapes a running worker with deploy/prometheus/prometheus.yml).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps-status: missing ${missing[*]}; install as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps-status: installing ${missing[*]} (Debian packages)"
$sudo apt-get update -qq
# prometheus's post-install may try to start a system service; the tests start their own.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
